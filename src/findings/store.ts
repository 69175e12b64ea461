import type { Suppression } from '../config';
import type { Finding } from './finding';
import { findingKey } from './finding';
import { matchingSuppression } from './suppression';

/*
 * Findings lifecycle. Identity = findingKey (clusterArn, ruleId, resourceId); status open | resolved | suppressed.
 *
 * Diff (per scope: one cluster, or the account-level checks of an account and region):
 *   not stored / resolved -> violating             opened (published)
 *   open -> not violating (rule evaluated)          resolved (published)
 *   open -> still violating, details changed        stored copy updated silently (no re-open, no alert storm;
 *                                                   a severity change is not re-announced either)
 *   violating + unexpired matching suppression      suppressed (stored, listed in Changes.suppressed, not published)
 *   suppressed -> suppression expired/removed       opened (published) at the next evaluation
 *   suppressed -> not violating                     resolved silently (it was never announced)
 *   rules not in `ruleIds`                          untouched; 'add' mode never resolves anything
 *
 * Concurrency: every finding write is a compare-and-set on the version read (absent = must not exist), so of two
 * racing evaluations exactly one wins each transition and only the winner reports it; the loser re-reads and
 * decides again (so a resolution is never lost to a concurrent silent update).
 *
 * Delivery: at-least-once alerting, never at-most-once. reconcile() claims an (eventId, scope) marker with a lease,
 * writes the transitions stamped with the eventId, and leaves the marker pending; the caller publishes and then
 * calls markPublished(). A redelivery of an acknowledged event is a duplicate (nothing published); one arriving
 * while the lease is live gets EventInProgressError (throw: Lambda retries later); one arriving after the lease
 * expired without acknowledgement (the first delivery crashed anywhere between its first write and the publish)
 * re-reports every transition stamped with its eventId that is still current, plus the marker's list. The price:
 * a delivery slower than the lease, or a crash between publish and markPublished, can alert twice.
 */

export type FindingStatus = 'open' | 'resolved' | 'suppressed';

/** A finding as the store keeps it. `version` guards every write (optimistic concurrency). */
export interface StoredFinding {
  key: string;
  status: FindingStatus;
  finding: Finding;
  version: number;
  /** When the current status began (ISO). */
  since: string;
  /** The event (or sweep) id that made the last status change. */
  lastEventId: string;
  /** Whether that change is one to publish (opened/resolved), as opposed to a silent one (suppressed, resolved while suppressed). */
  announced?: boolean;
  /** Why it is suppressed (only while `suppressed`). */
  suppression?: { reason: string; expires: string };
}

export interface ReconcileInput {
  account: string;
  region: string;
  /** null = account-level scope. */
  cluster: string | null;
  clusterArn: string | null;
  /**
   * The rules evaluated: stored open findings of these rules in this scope that are not in `findings` get resolved;
   * findings of other rules are untouched (a rule not evaluated keeps its findings).
   */
  ruleIds: readonly string[];
  /** Everything currently violating within the scope. */
  findings: Finding[];
  /** CloudTrail eventID, or a sweep id. */
  eventId: string;
  /** 'add' for event-only findings (root-user-activity): opens, never resolves. Default 'replace'. */
  mode?: 'replace' | 'add';
  now?: Date;
}

/** Identifies the (eventId, scope) marker, so the caller can acknowledge publication. */
export interface MarkerRef {
  eventId: string;
  scope: string;
}

export interface Changes {
  opened: Finding[];
  resolved: Finding[];
  /** Findings that became suppressed by this evaluation (not published). */
  suppressed: Finding[];
  /** This eventId + scope was already processed and published: nothing to publish. */
  duplicate: boolean;
  /**
   * Pass back to `FindingStore.markPublished` once the notifications are published. Until then, a redelivery of the
   * same event returns these changes again (at-least-once alerting). Absent when there is nothing to acknowledge.
   */
  marker?: MarkerRef;
}

export interface ListQuery {
  /** A cluster ARN; null = account-level findings; absent = all. */
  clusterArn?: string | null;
  status?: FindingStatus;
}

export interface FindingStore {
  reconcile(i: ReconcileInput, suppressions: readonly Suppression[]): Promise<Changes>;
  /** Records that the changes of `changes.marker` were published; a later redelivery is then a duplicate. */
  markPublished(changes: Pick<Changes, 'marker'>): Promise<void>;
  listFindings(q?: ListQuery): Promise<StoredFinding[]>;
}

/** The scope part of `findingKey`: the cluster ARN, or the account and region for account-level findings. */
export function scopeOf(i: { account: string; region: string; clusterArn: string | null }): string {
  return findingKey({ ...i, ruleId: '', resourceId: '' }).slice(0, -2);
}

// ---------------------------------------------------------------------------------------------------------------
// The shared reconciliation engine. Backends supply a handful of primitives with compare-and-set semantics; the
// diff, suppression handling, idempotency and race handling live here once.
// ---------------------------------------------------------------------------------------------------------------

export interface Marker {
  eventId: string;
  scope: string;
  /** pending: changes recorded but not yet acknowledged as published. */
  status: 'pending' | 'published';
  changes: { opened: Finding[]; resolved: Finding[] };
  createdAt: string;
  /** Until then the delivery that wrote it owns the (event, scope); after it, a redelivery may take over. */
  leaseUntil: string;
}

/**
 * Storage primitives. `putFinding` is a compare-and-set: it writes only when the stored version is still
 * `expectedVersion` (null = the item must not exist) and returns false when another writer got there first.
 */
export interface StoreBackend {
  getMarker(eventId: string, scope: string): Promise<Marker | undefined>;
  /** Compare-and-set on the lease: writes only when the stored `leaseUntil` is `expectedLease` (null = no marker). */
  putMarker(m: Marker, expectedLease: string | null): Promise<boolean>;
  setMarkerPublished(ref: MarkerRef): Promise<void>;
  queryScope(scope: string): Promise<StoredFinding[]>;
  getFinding(key: string): Promise<StoredFinding | undefined>;
  putFinding(item: StoredFinding, expectedVersion: number | null): Promise<boolean>;
  listAll(): Promise<StoredFinding[]>;
}

type Change = 'opened' | 'resolved' | 'suppressed' | null;

interface Desired {
  /** The violating finding, or null when the finding no longer violates. */
  finding: Finding | null;
  suppression?: Suppression;
}

/**
 * Decides the write (if any) that brings `current` to `desired`, and the change it represents.
 * - not stored / resolved → violating: opened (or suppressed when a suppression matches: stored, not published)
 * - open → no longer violating: resolved
 * - suppressed → suppression gone (expired or removed) and still violating: opened
 * - suppressed → no longer violating: resolved silently (it was never announced)
 * - open → a suppression now matches: suppressed (not published)
 * - open, still violating with a different message/evidence/severity: stored copy updated silently
 */
export function decide(current: StoredFinding | undefined, desired: Desired, key: string, eventId: string, now: Date): { write?: StoredFinding; change: Change } {
  const at = now.toISOString();
  const next = (status: FindingStatus, finding: Finding, announced: boolean, extra: Partial<StoredFinding> = {}): StoredFinding => ({
    key,
    status,
    finding,
    version: (current?.version ?? 0) + 1,
    since: at,
    lastEventId: eventId,
    announced,
    ...extra,
  });
  const { finding, suppression } = desired;
  if (!finding) {
    if (!current || current.status === 'resolved') return { change: null };
    const announced = current.status === 'open';
    return { write: next('resolved', current.finding, announced), change: announced ? 'resolved' : null };
  }
  if (suppression) {
    const info = { reason: suppression.reason, expires: suppression.expires };
    if (current?.status === 'suppressed') {
      if (sameFinding(current.finding, finding) && current.suppression?.expires === info.expires && current.suppression.reason === info.reason) return { change: null };
      return { write: { ...current, finding, suppression: info, version: current.version + 1 }, change: null };
    }
    return { write: next('suppressed', finding, false, { suppression: info }), change: 'suppressed' };
  }
  if (current?.status === 'open') {
    if (sameFinding(current.finding, finding)) return { change: null };
    return { write: { ...current, finding, version: current.version + 1 }, change: null };
  }
  return { write: next('open', finding, true), change: 'opened' };
}

/** Key-order-insensitive: DynamoDB maps do not keep the order of their keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function sameFinding(a: Finding, b: Finding): boolean {
  return canonical(a) === canonical(b);
}

const MAX_CAS_ATTEMPTS = 5;

/** The per-finding compare-and-set loop: a lost race re-reads the item and decides again. */
async function transition(backend: StoreBackend, key: string, first: StoredFinding | undefined, desired: Desired, eventId: string, now: Date): Promise<Change> {
  let current = first;
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const { write, change } = decide(current, desired, key, eventId, now);
    if (!write) return null;
    if (await backend.putFinding(write, current?.version ?? null)) return change;
    current = await backend.getFinding(key);
  }
  throw new Error(`finding ${key}: gave up after ${MAX_CAS_ATTEMPTS} conflicting concurrent writes`);
}

/** Another delivery of the same event is processing this scope right now: retry later (it may still fail). */
export class EventInProgressError extends Error {
  constructor(eventId: string, scope: string, until: string) {
    super(`event ${eventId} is being processed for ${scope} by another invocation (lease until ${until}); retry later`);
    this.name = 'EventInProgressError';
  }
}

/** Longer than the event handlers' Lambda timeout (60 s): a live invocation is never overtaken. */
export const DEFAULT_LEASE_MS = 90_000;

export async function reconcileWith(backend: StoreBackend, i: ReconcileInput, suppressions: readonly Suppression[], leaseMs = DEFAULT_LEASE_MS): Promise<Changes> {
  const now = i.now ?? new Date();
  const scope = scopeOf(i);
  for (const f of i.findings) {
    if (scopeOf(f) !== scope) throw new Error(`finding ${findingKey(f)} is outside the reconciled scope ${scope}`);
  }

  // The (event, scope) marker is a lease: one delivery of an event works on a scope at a time, until it
  // acknowledges publishing or the lease runs out (it crashed), after which a redelivery takes over. An event
  // reconciles an account both in 'add' mode (root-user-activity) and in 'replace' mode: two markers.
  const markerScope = i.mode === 'add' ? `${scope}|add` : scope;
  const marker = await backend.getMarker(i.eventId, markerScope);
  if (marker?.status === 'published') return { opened: [], resolved: [], suppressed: [], duplicate: true };
  if (marker && Date.parse(marker.leaseUntil) > now.getTime()) throw new EventInProgressError(i.eventId, scope, marker.leaseUntil);
  const claim: Marker = {
    eventId: i.eventId,
    scope: markerScope,
    status: 'pending',
    changes: marker?.changes ?? { opened: [], resolved: [] },
    createdAt: marker?.createdAt ?? now.toISOString(),
    leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
  };
  if (!(await backend.putMarker(claim, marker?.leaseUntil ?? null))) {
    const other = await backend.getMarker(i.eventId, markerScope);
    if (other?.status === 'published') return { opened: [], resolved: [], suppressed: [], duplicate: true };
    throw new EventInProgressError(i.eventId, scope, other?.leaseUntil ?? claim.leaseUntil);
  }

  const evaluated = new Set(i.ruleIds);
  const wanted = new Map<string, Finding>();
  for (const f of i.findings) wanted.set(findingKey(f), f);
  const stored = new Map<string, StoredFinding>();
  for (const s of await backend.queryScope(scope)) stored.set(s.key, s);

  const keys = new Set<string>(wanted.keys());
  if (i.mode !== 'add') {
    for (const s of stored.values()) if (evaluated.has(s.finding.ruleId) && s.status !== 'resolved') keys.add(s.key);
  }

  const changes: Changes = { opened: [], resolved: [], suppressed: [], duplicate: false };
  // Sequential on purpose: a cluster has few findings, and it keeps DynamoDB write bursts small.
  for (const key of [...keys].sort()) {
    const finding = wanted.get(key) ?? null;
    const suppression = finding ? matchingSuppression(finding, suppressions, now) : undefined;
    const current = stored.get(key);
    const change = await transition(backend, key, current, { finding, suppression }, i.eventId, now);
    if (change === 'opened') changes.opened.push(finding!);
    else if (change === 'resolved') changes.resolved.push(current?.finding ?? (await backend.getFinding(key))!.finding);
    else if (change === 'suppressed') changes.suppressed.push(finding!);
  }

  // At-least-once alerting. An earlier delivery of this event that never acknowledged publishing (it crashed or
  // timed out anywhere between its first write and the publish) left findings stamped with this event id whose
  // transition is still the current one, and possibly a marker listing its changes: hand those out again.
  const recovered = [...stored.values()].filter((s) => s.lastEventId === i.eventId && s.announced && evaluated.has(s.finding.ruleId));
  changes.opened = dedupe([...claim.changes.opened, ...recovered.filter((s) => s.status === 'open').map((s) => s.finding), ...changes.opened]);
  changes.resolved = dedupe([...claim.changes.resolved, ...recovered.filter((s) => s.status === 'resolved').map((s) => s.finding), ...changes.resolved]);
  const hasWork = changes.opened.length > 0 || changes.resolved.length > 0;
  // With changes the marker stays pending (lease kept) until markPublished; without, it is done now.
  await backend.putMarker({ ...claim, status: hasWork ? 'pending' : 'published', changes: { opened: changes.opened, resolved: changes.resolved } }, claim.leaseUntil);
  if (hasWork) changes.marker = { eventId: i.eventId, scope: markerScope };
  return changes;
}

function dedupe(fs: Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of fs) seen.set(findingKey(f), f);
  return [...seen.values()];
}

export async function listWith(backend: StoreBackend, q: ListQuery = {}): Promise<StoredFinding[]> {
  const items = typeof q.clusterArn === 'string' ? await backend.queryScope(q.clusterArn) : await backend.listAll();
  return items
    .filter((s) => (q.clusterArn === null ? s.finding.clusterArn === null : true))
    .filter((s) => (q.status ? s.status === q.status : true))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The shared store: a backend plus the reconciliation engine. */
export class BackendFindingStore implements FindingStore {
  constructor(
    protected readonly backend: StoreBackend,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}
  reconcile(i: ReconcileInput, suppressions: readonly Suppression[]): Promise<Changes> {
    return reconcileWith(this.backend, i, suppressions, this.leaseMs);
  }
  async markPublished(changes: Pick<Changes, 'marker'>): Promise<void> {
    if (changes.marker) await this.backend.setMarkerPublished(changes.marker);
  }
  listFindings(q?: ListQuery): Promise<StoredFinding[]> {
    return listWith(this.backend, q);
  }
}
