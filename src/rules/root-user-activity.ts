import type { EventRule, Violation } from './engine/rule';
import { RESOURCE } from './semantics/resources';

export interface RootCallInput {
  account: string;
  region: string;
  eventID: string;
  eventName: string;
  eventSource: string;
  eventTime: string;
  sourceIPAddress?: string;
  userAgent?: string;
  userIdentityArn?: string;
}

/**
 * Raised from the triggering CloudTrail record itself (userIdentity.type "Root") for any watched call — no state is
 * re-read, so there is nothing to resolve later; resourceId is the record's eventID, so one call is one finding.
 */
export const rootUserActivity: EventRule = {
  id: 'root-user-activity',
  scope: 'event',
  title: 'The root user makes no API calls',
  guideline: 'Cloud Infrastructure Security',
  severity: 'critical',
  description: 'A watched call was made by the account root user.',
  remediation:
    'Confirm with the account owner that the call was intended; if not, treat it as a compromise (rotate the root password, check MFA, review CloudTrail for the source IP). Lock the root user away: MFA, no access keys, and do daily work through IAM roles.',
};

export function rootUserViolation(e: RootCallInput): Violation {
  return {
    resourceType: RESOURCE.event,
    resourceId: e.eventID,
    message: `root user of account ${e.account} called ${e.eventName} (${e.eventSource}) in ${e.region} at ${e.eventTime}${e.sourceIPAddress ? ` from ${e.sourceIPAddress}` : ''}`,
    evidence: {
      eventID: e.eventID,
      eventName: e.eventName,
      eventSource: e.eventSource,
      eventTime: e.eventTime,
      awsRegion: e.region,
      userIdentity: { type: 'Root', arn: e.userIdentityArn ?? `arn:aws:iam::${e.account}:root` },
      ...(e.sourceIPAddress ? { sourceIPAddress: e.sourceIPAddress } : {}),
      ...(e.userAgent ? { userAgent: e.userAgent } : {}),
    },
  };
}
