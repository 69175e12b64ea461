import type { Suppression } from '../configSchema';
import type { Finding, Severity } from './finding';
import { findingKey } from './finding';
import type { Cause, Trigger } from './trigger';

/*
 * Findings lifecycle. Identity = findingKey (clusterArn, ruleId, resourceId); status open | resolved | suppressed.
 *
 * Diff (per scope: one cluster, or the account-level checks of an account and region):
 *   not stored / resolved -> violating             opened (published)
 *   open -> not violating (rule evaluated)          resolved (published)
 *   open -> still violating, severity rose          escalated (published, with the severity it had): whoever pages
 *                                                   only on high/critical learns that a medium finding became high
 *   open -> still violating, other details changed  stored copy updated silently (no re-open, no alert storm; a
 *                                                   severity that fell is stored without an alert too)
 *   violating + unexpired matching suppression      suppressed (stored, listed in Changes.suppressed, not published)
 *   suppressed -> suppression ended, violating      opened by the next sweep (cause `sweep`): it is nobody's call
 *   suppressed -> not violating                     resolved silently (it was never announced)
 *   rules not in `ruleIds`                          untouched; 'add' mode never resolves anything
 *
 * Cause (DESIGN.md, "Cause of a notification"): the store keeps, per scope and rule, when that rule first evaluated
 * the scope and the newest read it applied (ScopeState). An opening on a rule with no such record is `first-check`
 * (a new deployment, a rule added to the catalog, a part read for the first time — e.g. Kubernetes access granted
 * later — or a cluster no event announced), except when the trigger created the scope (CreateCluster: what the new
 * cluster violates is the creator's doing, `event`). A resolution or an escalation is never `first-check`: the
 * finding was known, and what changed it is the trigger at hand. A suppressed finding is not published; when its
 * suppression ends the sweep opens it (`sweep`).
 *
 * Stale verdicts: reconciliations of a scope run one at a time (a scope lease on the ScopeState item), and a rule
 * whose record holds a newer read than this evaluation's is skipped (`superseded`): an older read never resolves,
 * opens or creates over a newer verdict, whatever order the evaluations finish in. Each finding also carries the
 * read time of the verdict that wrote it, so even a reconciliation that outlived its scope lease cannot overwrite
 * a newer write.
 *
 * Delivery (no lost alert): a transition is written together with an outbox entry on the finding item (change,
 * cause, and the delivery that owns it: the (trigger id, scope) marker, which holds the trigger and a lease). The
 * caller publishes and then acknowledges: the marker records which causes were delivered, and the entries are
 * pruned. Until then, whatever invocation next touches the scope — a redelivery, another event, the sweep — finds
 * the entries and, once their owner's lease has run out (it crashed, timed out, or failed to publish and released
 * it), takes the delivery over and publishes them under their original trigger. The marker stays small whatever
 * the number of changes (no 400 KB item limit). A redelivery of a fully delivered event is a duplicate. The price
 * of at-least-once: a crash between publishing and acknowledging alerts twice.
 */

export type FindingStatus = 'open' | 'resolved' | 'suppressed';
/**
 * `escalated`: an open finding's severity rose (a severity that falls is stored silently).
 * `suppressed`: a matching suppression silenced a violating finding (an open one, or one seen for the first time). It
 * travels in messages of its own, so a `{"change": ["opened", "escalated", "resolved"]}` filter keeps it from paging
 * anyone; sinks that mirror the lifecycle (Security Hub) need it.
 */
export const CHANGE_KINDS = ['opened', 'escalated', 'resolved', 'suppressed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Changes that tell of a finding already announced: their cause is the trigger's, never `first-check`. */
export const KNOWN_FINDING_CHANGES: readonly ChangeKind[] = ['escalated', 'resolved'];

/** One delivery: the changes a trigger made in one scope (`<scope>`, or `<scope>|add` for event-only findings). */
export interface MarkerRef {
  eventId: string;
  scope: string;
}

/** A change kept on its finding until SNS accepted it (the outbox). */
export interface PendingChange {
  change: ChangeKind;
  cause: Cause;
  /** `escalated` only: the severity the finding had before it rose. */
  previousSeverity?: Severity;
  delivery: MarkerRef;
  at: string;
}

/** A finding as the store keeps it. `version` guards every write (optimistic concurrency). */
export interface StoredFinding {
  key: string;
  status: FindingStatus;
  finding: Finding;
  version: number;
  /** When the current status began (ISO). */
  since: string;
  /** The trigger (CloudTrail eventID or sweep id) that made the last status change. */
  lastEventId: string;
  /** When the evaluation that last wrote this finding began reading (ISO): an older read never overwrites it. */
  readAt?: string;
  /** Changes not yet acknowledged as published, oldest first. */
  pending?: PendingChange[];
  /** Why it is suppressed (only while `suppressed`). */
  suppression?: { reason: string; expires: string };
}

/** Per scope: which rules have evaluated it (and the newest read applied), and the lease of the reconciliation running on it. */
export interface ScopeState {
  scope: string;
  version: number;
  rules: Record<string, RuleRecord>;
  lease?: { owner: string; until: string };
}

export interface RuleRecord {
  /** When this rule first evaluated the scope: before it, what the rule finds is `first-check`. */
  firstAt: string;
  /** The newest read time (evaluation start) of an evaluation of this rule applied to the scope. */
  readAt: string;
}

export interface Marker {
  eventId: string;
  scope: string;
  /** published: every change of this delivery was accepted by SNS (a redelivery of the trigger is a duplicate). */
  status: 'pending' | 'published';
  trigger: Trigger;
  /** The causes of the changes this delivery holds (an upper bound until the evaluation finished). */
  causes: Cause[];
  /** The causes whose changes were published. */
  delivered: Cause[];
  createdAt: string;
  /** Until then the invocation that claimed it owns its delivery; after it, the next invocation may take over. */
  leaseUntil: string;
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
  trigger: Trigger;
  /** When the evaluation began reading the state it judged (default: now): of two evaluations, the later read wins. */
  readAt?: Date;
  /** The trigger created this scope (CreateCluster): its first evaluation is the caller's doing, not `first-check`. */
  createsScope?: boolean;
  /** The causes this invocation publishes (default: all); changes of other causes stay pending for one that does. */
  deliver?: readonly Cause[];
  /** How long this invocation owns its delivery before another may take it over (default: the store's lease). */
  leaseMs?: number;
  /** 'add' for event-only findings (root-user-activity): opens, never resolves. Default 'replace'. */
  mode?: 'replace' | 'add';
  now?: Date;
}

/** A change to publish, with why it exists and the delivery to acknowledge. */
export interface Notice {
  key: string;
  /** The item as it was handed out: acknowledging prunes its outbox without reading it again. */
  stored: StoredFinding;
  change: ChangeKind;
  cause: Cause;
  finding: Finding;
  /** `escalated` only: the severity the finding had before it rose. */
  previousSeverity?: Severity;
  trigger: Trigger;
  delivery: MarkerRef;
}

/** What one invocation publishes for one delivery, and the causes it is responsible for there. */
export interface Delivery {
  ref: MarkerRef;
  trigger: Trigger;
  covers: Cause[];
  notices: Notice[];
}

export interface Changes {
  /** This evaluation's own transitions (published now, or left pending for the sweep's digest). */
  opened: Finding[];
  /** Open findings whose severity rose (published like openings). */
  escalated: Finding[];
  resolved: Finding[];
  /** Findings that became suppressed by this evaluation (not published). */
  suppressed: Finding[];
  /** This trigger was already fully delivered for this scope. */
  duplicate: boolean;
  /** Rules skipped because an evaluation that read the scope later already decided them. */
  superseded: string[];
  /** What to publish now (this evaluation's changes and earlier ones left pending in the scope), per delivery. */
  deliveries: Delivery[];
  /** Every open finding of the scope once this reconciliation is done, by key (the caller need not read it again). */
  open: Finding[];
}

export interface ListQuery {
  /** A cluster ARN; null = account-level findings; absent = all. */
  clusterArn?: string | null;
  status?: FindingStatus;
}

export interface ScopeRef {
  account: string;
  region: string;
  clusterArn: string | null;
}

export interface FindingStore {
  reconcile(i: ReconcileInput, suppressions: readonly Suppression[]): Promise<Changes>;
  /** Takes over the undelivered changes of a scope no evaluation reached (a cluster that could not be read, a deleted one). */
  collect(scope: ScopeRef, opts?: { deliver?: readonly Cause[]; leaseMs?: number; now?: Date }): Promise<Delivery[]>;
  /** SNS accepted the notices of these deliveries for `causes` (default: every cause each covers). */
  acknowledge(deliveries: readonly Delivery[], causes?: readonly Cause[]): Promise<void>;
  /** Publishing failed: give up the leases so the next invocation delivers at once. */
  release(deliveries: readonly Delivery[]): Promise<void>;
  listFindings(q?: ListQuery): Promise<StoredFinding[]>;
  /** Whether any rule ever evaluated any scope: false means the store is empty and the next sweep is the baseline. */
  hasEvaluations(): Promise<boolean>;
}

/** The scope part of `findingKey`: the cluster ARN, or the account and region for account-level findings. */
export function scopeOf(i: ScopeRef): string {
  return findingKey({ ...i, ruleId: '', resourceId: '' }).slice(0, -2);
}

export const notices = (ds: readonly Delivery[]): Notice[] => ds.flatMap((d) => d.notices);

/**
 * Storage primitives, each a compare-and-set: `putFinding` writes only when the stored version is still
 * `expectedVersion` (null = the item must not exist), `putScope` likewise, `putMarker` when the stored lease is
 * `expectedLease`; they return false when another writer got there first. The engine (reconcile.ts, outbox.ts)
 * holds every decision once; backends only store.
 */
export interface StoreBackend {
  getMarker(ref: MarkerRef): Promise<Marker | undefined>;
  putMarker(m: Marker, expectedLease: string | null): Promise<boolean>;
  getScope(scope: string): Promise<ScopeState | undefined>;
  putScope(s: ScopeState, expectedVersion: number | null): Promise<boolean>;
  /** Whether any ScopeState exists. */
  anyScope(): Promise<boolean>;
  queryScope(scope: string): Promise<StoredFinding[]>;
  getFinding(key: string): Promise<StoredFinding | undefined>;
  putFinding(item: StoredFinding, expectedVersion: number | null): Promise<boolean>;
  /** Writes only `item.pending` and `item.version` (the outbox), when the stored version is `expectedVersion`. */
  putPending(item: StoredFinding, expectedVersion: number): Promise<boolean>;
  listAll(): Promise<StoredFinding[]>;
}

export interface StoreOptions {
  /** How long one invocation owns a delivery before another may take it over (default 90 s: longer than an event handler's 60 s timeout). */
  leaseMs?: number;
  /** How long one reconciliation may hold a scope (default 60 s; it needs well under a second for hundreds of findings). */
  scopeLeaseMs?: number;
  /** How long a reconciliation waits for a busy scope before giving up with ScopeBusyError (default 20 s). */
  scopeWaitMs?: number;
  /** Finding writes in flight at once within one reconciliation (default 16). */
  writeConcurrency?: number;
  /** Wall clock (ms) for scope leases, and the wait between tries; injected by tests. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type EngineOptions = Required<StoreOptions>;

export const DEFAULT_LEASE_MS = 90_000;

export function engineOptions(o: StoreOptions = {}): EngineOptions {
  return {
    leaseMs: o.leaseMs ?? DEFAULT_LEASE_MS,
    scopeLeaseMs: o.scopeLeaseMs ?? 60_000,
    scopeWaitMs: o.scopeWaitMs ?? 20_000,
    writeConcurrency: o.writeConcurrency ?? 16,
    clock: o.clock ?? Date.now,
    sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  };
}

/** Another delivery of the same trigger is working on this scope right now: retry later (it may still fail). */
export class EventInProgressError extends Error {
  constructor(eventId: string, scope: string, until: string) {
    super(`event ${eventId} is being processed for ${scope} by another invocation (lease until ${until}); retry later`);
    this.name = 'EventInProgressError';
  }
}

const byKey = (a: StoredFinding, b: StoredFinding) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export async function listWith(backend: StoreBackend, q: ListQuery = {}): Promise<StoredFinding[]> {
  const items = typeof q.clusterArn === 'string' ? await backend.queryScope(q.clusterArn) : await backend.listAll();
  return items
    .filter((s) => (q.clusterArn === null ? s.finding.clusterArn === null : true))
    .filter((s) => (q.status ? s.status === q.status : true))
    .sort(byKey);
}

/** The open findings among the items of a scope, by key (as `listFindings` lists them). */
export const openOf = (items: readonly StoredFinding[]): Finding[] => items.filter((s) => s.status === 'open').sort(byKey).map((s) => s.finding);
