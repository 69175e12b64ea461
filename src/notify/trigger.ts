import type { KubernetesWriter, Trigger } from '../findings/trigger';

/**
 * What a message says about the trigger, whatever its kind: the message code (SNS text, Slack) reads only these
 * facts, so a new trigger kind only adds its case here.
 */
export interface TriggerFacts {
  /** The call, writes or run, e.g. "UpdateClusterConfig (eks.amazonaws.com)" or "scheduled sweep sweep:…". */
  what: string;
  at: string;
  /** Who made the call or the writes (none for a sweep): one CloudTrail principal, or every writer of a delivery (capped). */
  actors: Actor[];
  /** Actors beyond those listed. */
  moreActors?: number;
  /** How to find the record, e.g. "CloudTrail eventID: 0f3…". */
  reference?: string;
}

export interface Actor {
  who: string;
  /** What kind of principal that is. */
  whoType?: string;
  from?: string;
  userAgent?: string;
  /** What this actor did, one line each, when the trigger holds several acts (a delivery of audit-log writes). */
  did?: string[];
}

export function triggerFacts(t: Trigger): TriggerFacts {
  switch (t.kind) {
    case 'event':
      return {
        what: `${t.eventName} (${t.eventSource})`,
        at: t.eventTime,
        actors: [{ who: t.principalArn ?? 'unknown principal', whoType: t.principalType, from: t.sourceIPAddress, userAgent: t.userAgent }],
        reference: `CloudTrail eventID: ${t.eventId}`,
      };
    case 'kubernetes': {
      const [first] = t.writers.flatMap((w) => w.writes);
      const more = t.writeCount - 1;
      return {
        what: `${first ? `${first.verb} ${first.object}` : 'writes'}${more > 0 ? ` and ${more} more write(s)` : ''} through the Kubernetes API of cluster ${t.cluster}`,
        at: t.time,
        actors: t.writers.map(writerFacts),
        moreActors: t.moreWriters || undefined,
        reference: `Audit log: ${t.logGroup}, stream ${t.logStream}, delivery ${t.deliveryId}`,
      };
    }
    case 'sweep':
      return { what: `scheduled sweep ${t.sweepId}`, at: t.time, actors: [] };
  }
}

/** The Kubernetes user, the IAM identity behind it (aws-auth lets anyone pick a username) and whom it impersonated. */
function writerFacts(w: KubernetesWriter): Actor {
  return {
    who: `${w.username}${w.iamArn && w.iamArn !== w.username ? ` (IAM ${w.iamArn})` : ''}${w.impersonatedUser ? ` acting as ${w.impersonatedUser}` : ''}`,
    whoType: `Kubernetes user${w.groups.length ? ` in ${w.groups.join(', ')}` : ''}`,
    from: w.sourceIPs.join(', ') || undefined,
    userAgent: w.userAgents.join(', ') || undefined,
    did: [
      ...w.writes.map((x) => `${x.verb} ${x.object}${x.time ? ` at ${x.time}` : ''} (auditID ${x.auditID}; re-checks ${x.rules.join(', ')})`),
      ...(w.moreWrites ? [`…and ${w.moreWrites} more write(s)`] : []),
    ],
  };
}
