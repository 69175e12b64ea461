import type { Trigger } from '../findings/trigger';

/**
 * What a message says about the trigger, whatever its kind: the message code (SNS text, Slack) reads only these
 * facts, so a new trigger kind only adds its case here.
 */
export interface TriggerFacts {
  /** The call or run, e.g. "UpdateClusterConfig (eks.amazonaws.com)" or "scheduled sweep sweep:…". */
  what: string;
  at: string;
  /** Who made the call (only triggers made by someone), and what kind of principal that is. */
  who?: string;
  whoType?: string;
  from?: string;
  userAgent?: string;
  /** How to find the record, e.g. "CloudTrail eventID: 0f3…". */
  reference?: string;
}

export function triggerFacts(t: Trigger): TriggerFacts {
  switch (t.kind) {
    case 'event':
      return {
        what: `${t.eventName} (${t.eventSource})`,
        at: t.eventTime,
        who: t.principalArn ?? 'unknown principal',
        whoType: t.principalType,
        from: t.sourceIPAddress,
        userAgent: t.userAgent,
        reference: `CloudTrail eventID: ${t.eventId}`,
      };
    case 'sweep':
      return { what: `scheduled sweep ${t.sweepId}`, at: t.time };
  }
}
