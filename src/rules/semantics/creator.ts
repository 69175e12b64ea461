import type { AccessEntryView } from '../../inventory/reader';
import type { ClusterView } from '../../inventory/view';
import { createdCluster } from '../../inventory/creator';
import { hasClusterAdminPolicy, principalKey, toTime } from './iam';

/** How close to the cluster's creation an admin access entry must be created to count as the creator's bootstrap entry. */
const BOOTSTRAP_WINDOW_MS = 10 * 60 * 1000;

/** Access entries with AmazonEKSClusterAdminPolicy created within 10 minutes of the cluster: candidates for the bootstrap entry. */
export function bootstrapAdminEntries(view: ClusterView): AccessEntryView[] {
  const created = toTime(view.cluster.createdAt);
  if (created === undefined) return [];
  return view.accessEntries.filter(hasClusterAdminPolicy).filter((e) => {
    const t = toTime(e.createdAt);
    return t !== undefined && Math.abs(t - created) <= BOOTSTRAP_WINDOW_MS;
  });
}

/** What kind of principal created the cluster: only a role can be a dedicated creation role. */
export type CreatorKind = 'role' | 'sso-session' | 'user' | 'root' | 'federated-session' | 'other';

export interface Creator {
  /** The principal's ARN: the role behind an assumed-role session, the user, the root. */
  arn: string;
  kind: CreatorKind;
  /** userIdentity.type of the record, when known. */
  identityType?: string;
  /** The session ARN behind `arn` (an assumed role's session), when known. */
  sessionArn?: string;
  /** How it was identified, for evidence. */
  via: string;
}

function kindOfArn(arn: string): CreatorKind {
  if (/:root$/.test(arn)) return 'root';
  if (/:user\//.test(arn)) return 'user';
  if (/:federated-user\//.test(arn)) return 'federated-session';
  // IAM Identity Center permission sets are roles named AWSReservedSSO_* under /aws-reserved/sso.amazonaws.com/.
  if (/:(role|assumed-role)\//.test(arn)) return /AWSReservedSSO_|\/aws-reserved\/sso\.amazonaws\.com\//.test(arn) ? 'sso-session' : 'role';
  return 'other';
}

interface RecordIdentity {
  type?: string;
  arn?: string;
  sessionContext?: { sessionIssuer?: { arn?: string; type?: string } };
}

/** The creator named by a CreateCluster record's userIdentity. */
function fromRecord(record: Record<string, unknown> | undefined, via: string): Creator | undefined {
  const ui = record?.userIdentity as RecordIdentity | undefined;
  if (!ui) return undefined;
  const type = ui.type;
  const issuer = ui.sessionContext?.sessionIssuer?.arn;
  if (type === 'AssumedRole' && issuer) {
    return { arn: issuer, kind: kindOfArn(issuer), identityType: type, ...(ui.arn ? { sessionArn: ui.arn } : {}), via };
  }
  const arn = ui.arn ?? issuer;
  if (!arn) return undefined;
  // A session ARN without its issuer (older or trimmed records): the role is in the ARN, its path is not.
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  if (session) {
    const role = `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`;
    return { arn: role, kind: kindOfArn(role), identityType: type, sessionArn: arn, via };
  }
  const kind: CreatorKind =
    type === 'Root' ? 'root' : type === 'IAMUser' ? 'user' : type === 'FederatedUser' || type === 'SAMLUser' || type === 'WebIdentityUser' ? 'federated-session' : type === 'IdentityCenterUser' ? 'sso-session' : kindOfArn(arn);
  return { arn, kind, identityType: type, via };
}

/** The creator a CreateCluster record names (for an assumed role, the role), when it names one. */
export function creatorOfRecord(record: Record<string, unknown> | undefined): Creator | undefined {
  return fromRecord(record, 'CreateCluster record');
}

/**
 * Who created the cluster: the principal of its CreateCluster record (for an assumed role, the role), from the
 * first creator source that had it; else the principal of its bootstrap access entry (the one admin entry created
 * with the cluster, when EKS created one). Unknown otherwise, with what was tried.
 */
export function identifyCreator(view: ClusterView): { creator: Creator } | { unknown: string } {
  const loaded = (p: 'creator' | 'accessEntries') => view.loaded.has(p) && !view.unreadable.some((u) => u.part === p);
  const e = view.creatorEvent;
  if (loaded('creator') && e) {
    const c = fromRecord(e.record, `CreateCluster record ${e.EventId ?? ''} from ${e.source}`.replace('  ', ' '));
    if (c) return { creator: c };
  }
  const tried: string[] = [];
  if (!loaded('creator')) tried.push(`CreateCluster records could not be read (${view.unreadable.find((u) => u.part === 'creator')?.reason ?? 'not read'})`);
  else tried.push(`no CreateCluster record for ${view.name} in ${view.creatorSources.map((s) => (s.error ? `${s.name} (failed: ${s.error})` : s.name)).join(', ') || 'any source'}`);
  if (!loaded('accessEntries')) tried.push('access entries could not be read');
  else if (view.cluster.accessConfig?.bootstrapClusterCreatorAdminPermissions === false) tried.push('the cluster was created without a bootstrap access entry');
  else {
    const entries = bootstrapAdminEntries(view);
    const principals = [...new Map(entries.map((x) => [principalKey(x.principalArn ?? ''), x.principalArn ?? ''])).values()].filter(Boolean);
    if (principals.length === 1) {
      return { creator: { arn: principals[0], kind: kindOfArn(principals[0]), via: `bootstrap access entry (${entries[0].accessEntryArn ?? principals[0]}, created with the cluster)` } };
    }
    tried.push(principals.length ? `several admin access entries were created with the cluster (${principals.join(', ')})` : 'no admin access entry was created with the cluster (the bootstrap entry may have been deleted)');
  }
  return { unknown: `the creator of ${view.name} is unknown: ${tried.join('; ')}` };
}

/** The principal key of each record's creator, by record: a sweep's clusters all look through the same records. */
const principalOf = new WeakMap<Record<string, unknown>, string | null>();
function recordPrincipalKey(record: Record<string, unknown> | undefined): string | undefined {
  if (!record) return undefined;
  if (!principalOf.has(record)) {
    const p = fromRecord(record, '');
    principalOf.set(record, p ? principalKey(p.arn) : null);
  }
  return principalOf.get(record) ?? undefined;
}

/** The clusters the creator's principal created, by the CreateCluster records the sources know (names, deduplicated). */
export function clustersCreatedBy(view: ClusterView, creator: Creator): { cluster: string; eventId?: string; eventTime?: string; source: string }[] {
  const key = principalKey(creator.arn);
  const out = new Map<string, { cluster: string; eventId?: string; eventTime?: string; source: string }>();
  for (const r of view.creations) {
    if (recordPrincipalKey(r.record) !== key) continue;
    const cluster = createdCluster(r);
    if (!cluster || out.has(cluster)) continue;
    out.set(cluster, { cluster, eventId: r.EventId, eventTime: r.EventTime?.toISOString(), source: r.source });
  }
  return [...out.values()];
}
