import { lookupCatalog, type CatalogEntry, type ResourceRefs } from './catalog';
import { parseEvent, type CloudTrailEnvelope, type CloudTrailRecord } from './schema';

export type Classification =
  | { status: 'invalid'; reason: string; eventId?: string }
  | { status: 'ignored'; reason: string; record: CloudTrailRecord; envelope: CloudTrailEnvelope }
  | { status: 'watched'; entry: CatalogEntry; record: CloudTrailRecord; envelope: CloudTrailEnvelope; refs: ResourceRefs; rootUser: boolean };

/**
 * Decides what an EventBridge event means to the detector, without any I/O: not a CloudTrail call at all
 * (invalid), a call that cannot have changed anything we watch (ignored, with the reason), or a watched call with
 * the resources it names. Calls by service-linked roles (`invokedBy: eks-nodegroup.amazonaws.com` opening an
 * `eks-remoteAccess-…` group to the world) are real changes and stay watched.
 */
export function classifyEvent(raw: unknown): Classification {
  const parsed = parseEvent(raw);
  if (parsed.kind === 'invalid') return { status: 'invalid', reason: parsed.reason, eventId: parsed.id };
  const { event: envelope, record } = parsed;
  const ignored = (reason: string): Classification => ({ status: 'ignored', reason, record, envelope });

  // Any errorCode means nothing changed (EC2: `Client.InvalidPermission.Duplicate`, `Client.DryRunOperation`).
  if (record.errorCode) return ignored(`failed call (${record.errorCode})`);
  const entry = lookupCatalog(record.eventSource, record.eventName);
  if (!entry) return ignored(`unwatched call ${record.eventSource} ${record.eventName}`);
  if (record.readOnly === true) return ignored(`read-only call ${record.eventName}`);

  return { status: 'watched', entry, record, envelope, refs: entry.extract(record), rootUser: record.userIdentity.type === 'Root' };
}
