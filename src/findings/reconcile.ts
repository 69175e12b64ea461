import { randomUUID } from 'node:crypto';
import type { Suppression } from '../configSchema';
import { mapLimit } from '../concurrency';
import { findingKey, type Finding } from './finding';
import { decide, type Change, type Desired } from './decide';
import { gatherDeliveries, leaseLive } from './outbox';
import { matchingSuppression } from './suppression';
import { CAUSES, triggerCause, triggerId, type Cause } from './trigger';
import {
  EventInProgressError,
  KNOWN_FINDING_CHANGES,
  openOf,
  scopeOf,
  type ChangeKind,
  type Changes,
  type EngineOptions,
  type Marker,
  type ReconcileInput,
  type RuleRecord,
  type ScopeState,
  type StoreBackend,
  type StoredFinding,
} from './store';

const MAX_CAS_ATTEMPTS = 5;

/** Another reconciliation held the scope for longer than this one could wait: retry later. */
export class ScopeBusyError extends Error {
  constructor(scope: string, until: string) {
    super(`scope ${scope} is being reconciled by another invocation (lease until ${until}); retry later`);
    this.name = 'ScopeBusyError';
  }
}

export async function reconcileWith(backend: StoreBackend, i: ReconcileInput, suppressions: readonly Suppression[], opts: EngineOptions): Promise<Changes> {
  const now = i.now ?? new Date();
  const readAt = (i.readAt ?? now).toISOString();
  const scope = scopeOf(i);
  for (const f of i.findings) {
    if (scopeOf(f) !== scope) throw new Error(`finding ${findingKey(f)} is outside the reconciled scope ${scope}`);
  }
  const eventId = triggerId(i.trigger);
  const add = i.mode === 'add';
  // An event reconciles an account both in 'add' mode (root-user-activity) and in 'replace' mode: two deliveries.
  const ref = { eventId, scope: add ? `${scope}|add` : scope };
  const deliver = i.deliver ?? CAUSES;
  const leaseMs = i.leaseMs ?? opts.leaseMs;
  const nothing = { opened: [], escalated: [], resolved: [], suppressed: [], superseded: [] };

  // The delivery marker: a redelivery of a delivered trigger is a duplicate (it still hands out what others left
  // pending); while another delivery of the same trigger holds the lease, retry later.
  const marker = await backend.getMarker(ref);
  const duplicate = async (): Promise<Changes> => {
    const items = await backend.queryScope(scope);
    return { ...nothing, duplicate: true, deliveries: await gatherDeliveries(backend, items, { deliver, now, leaseMs, opts }), open: openOf(items) };
  };
  if (marker?.status === 'published') return duplicate();
  if (marker && leaseLive(marker, now)) throw new EventInProgressError(eventId, scope, marker.leaseUntil);

  const held = await acquireScope(backend, scope, opts);
  let claim: Marker | undefined;
  let outcome: Applied | undefined;
  try {
    const evaluated = add ? [] : i.ruleIds.filter((r) => !isNewer(held.rules[r], readAt));
    const superseded = add ? [] : i.ruleIds.filter((r) => isNewer(held.rules[r], readAt));
    const firstCheck = (ruleId: string) => !add && !i.createsScope && !held.rules[ruleId];
    const own = triggerCause(i.trigger);
    // What a rule sees on its first check predates the detector's knowledge, silenced or not; a change to a finding
    // already known (resolved, escalated) is the trigger's doing.
    const causeOf = (ruleId: string) => (change: ChangeKind): Cause => (!KNOWN_FINDING_CHANGES.includes(change) && firstCheck(ruleId) ? 'first-check' : own);

    // Claimed with every cause this evaluation might produce before any finding points at it, so a marker never
    // looks complete while an entry of it waits undelivered.
    const causes = [...new Set<Cause>([...(marker?.causes ?? []), own, ...(evaluated.some(firstCheck) ? ['first-check' as const] : [])])];
    claim = {
      eventId,
      scope: ref.scope,
      status: 'pending',
      trigger: i.trigger,
      causes,
      delivered: marker?.delivered ?? [],
      createdAt: marker?.createdAt ?? now.toISOString(),
      leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
    };
    if (!(await backend.putMarker(claim, marker?.leaseUntil ?? null))) {
      const other = await backend.getMarker(ref);
      if (other?.status === 'published') return await duplicate();
      throw new EventInProgressError(eventId, scope, other?.leaseUntil ?? claim.leaseUntil);
    }
    outcome = await apply(backend, i, suppressions, { evaluated, superseded, causeOf, readAt, now, ref, eventId, opts });
  } finally {
    const rules = outcome ? recordRules(held.rules, outcome.evaluated, readAt, now) : held.rules;
    await releaseScope(backend, held, rules);
  }

  const deliveries = await gatherDeliveries(backend, outcome.items, { own: claim, deliver, now, leaseMs, opts });
  const exact = [...new Set(outcome.items.flatMap((s) => (s.pending ?? []).filter((e) => e.delivery.eventId === eventId && e.delivery.scope === ref.scope).map((e) => e.cause)))];
  if (!exact.length) {
    // Nothing of this delivery waits anywhere: it is complete now.
    await backend.putMarker({ ...claim, causes: [], status: 'published' }, claim.leaseUntil);
    deliveries.splice(0, 1);
  } else if (exact.length !== claim.causes.length) {
    const precise = { ...claim, causes: exact };
    if (await backend.putMarker(precise, claim.leaseUntil)) deliveries[0] = { ...deliveries[0], covers: deliveries[0].covers.filter((c) => exact.includes(c)) };
  }
  return { ...outcome.changes, superseded: outcome.superseded, duplicate: false, deliveries, open: openOf(outcome.items) };
}

function isNewer(r: RuleRecord | undefined, readAt: string): boolean {
  return r !== undefined && r.readAt > readAt;
}

function recordRules(rules: ScopeState['rules'], evaluated: readonly string[], readAt: string, now: Date): ScopeState['rules'] {
  const out = { ...rules };
  for (const r of evaluated) {
    const before = rules[r];
    out[r] = { firstAt: before?.firstAt ?? now.toISOString(), readAt: before && before.readAt > readAt ? before.readAt : readAt };
  }
  return out;
}

interface Applied {
  changes: Pick<Changes, 'opened' | 'escalated' | 'resolved' | 'suppressed'>;
  evaluated: string[];
  superseded: string[];
  /** Every finding of the scope after the writes. */
  items: StoredFinding[];
}

async function apply(
  backend: StoreBackend,
  i: ReconcileInput,
  suppressions: readonly Suppression[],
  c: { evaluated: string[]; superseded: string[]; causeOf: (ruleId: string) => (change: ChangeKind) => Cause; readAt: string; now: Date; ref: { eventId: string; scope: string }; eventId: string; opts: EngineOptions },
): Promise<Applied> {
  const scope = scopeOf(i);
  const live = new Set(i.mode === 'add' ? i.ruleIds : c.evaluated);
  const wanted = new Map<string, Finding>();
  for (const f of i.findings) if (live.has(f.ruleId)) wanted.set(findingKey(f), f);
  const stored = new Map<string, StoredFinding>();
  for (const s of await backend.queryScope(scope)) stored.set(s.key, s);

  const keys = new Set<string>(wanted.keys());
  if (i.mode !== 'add') {
    for (const s of stored.values()) if (live.has(s.finding.ruleId) && s.status !== 'resolved') keys.add(s.key);
  }

  const changes: Applied['changes'] = { opened: [], escalated: [], resolved: [], suppressed: [] };
  const results = await mapLimit([...keys].sort(), c.opts.writeConcurrency, async (key) => {
    const finding = wanted.get(key) ?? null;
    const current = stored.get(key);
    const ruleId = finding?.ruleId ?? current!.finding.ruleId;
    const desired: Desired = { finding, suppression: finding ? matchingSuppression(finding, suppressions, c.now) : undefined };
    const ctx = { key, eventId: c.eventId, delivery: c.ref, now: c.now, readAt: c.readAt, causeOf: c.causeOf(ruleId), reopenUnsuppressed: i.trigger.kind === 'sweep' };
    return { key, ...(await transition(backend, current, desired, ctx)) };
  });
  for (const r of results) {
    if (r.item) stored.set(r.key, r.item);
    if (r.change) changes[r.change].push(r.item!.finding);
  }
  return { changes, evaluated: c.evaluated, superseded: c.superseded, items: [...stored.values()] };
}

/** The per-finding compare-and-set loop: a lost race re-reads the item and decides again. */
async function transition(backend: StoreBackend, first: StoredFinding | undefined, desired: Desired, ctx: Parameters<typeof decide>[2]): Promise<{ change: Change; item?: StoredFinding }> {
  let current = first;
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const { write, change } = decide(current, desired, ctx);
    if (!write) return { change: null, item: current };
    if (await backend.putFinding(write, current?.version ?? null)) return { change, item: write };
    current = await backend.getFinding(ctx.key);
  }
  throw new Error(`finding ${ctx.key}: gave up after ${MAX_CAS_ATTEMPTS} conflicting concurrent writes`);
}

/**
 * The scope lease: one reconciliation of a scope at a time, so checking the rule records and writing the verdict
 * happen as one step (DynamoDB transactions are not used: a conditional put on the ScopeState item does it). A
 * holder that died is overtaken once its lease runs out.
 */
async function acquireScope(backend: StoreBackend, scope: string, opts: EngineOptions): Promise<ScopeState> {
  const owner = randomUUID();
  const deadline = opts.clock() + opts.scopeWaitMs;
  let wait = 5;
  for (;;) {
    const current = await backend.getScope(scope);
    const t = opts.clock();
    if (!current?.lease || Date.parse(current.lease.until) <= t) {
      const held: ScopeState = { scope, version: (current?.version ?? 0) + 1, rules: current?.rules ?? {}, lease: { owner, until: new Date(t + opts.scopeLeaseMs).toISOString() } };
      if (await backend.putScope(held, current?.version ?? null)) return held;
      continue; // lost the race for it: look again at once
    }
    if (t >= deadline) throw new ScopeBusyError(scope, current.lease.until);
    await opts.sleep(Math.min(wait, deadline - t));
    wait = Math.min(wait * 2, 250);
  }
}

/** Ends the lease and records the rules evaluated. Fails silently when the lease was overtaken (the holder was too slow). */
async function releaseScope(backend: StoreBackend, held: ScopeState, rules: ScopeState['rules']): Promise<void> {
  await backend.putScope({ scope: held.scope, version: held.version + 1, rules }, held.version);
}
