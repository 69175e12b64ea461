import { mapLimit } from '../concurrency';
import { CAUSES, type Cause } from './trigger';
import type { Delivery, EngineOptions, Marker, MarkerRef, Notice, PendingChange, StoreBackend, StoredFinding } from './store';

/*
 * The outbox: changes wait on their finding items until SNS accepts them; the (trigger, scope) marker says which
 * causes of a delivery were published and who is delivering the rest (its lease). See store.ts, "Delivery".
 */

/** A lease in the past: given up, so the next invocation may take the delivery over at once. */
export const RELEASED = new Date(0).toISOString();

const markerKey = (r: MarkerRef) => `${r.eventId}\u0000${r.scope}`;
const sameRef = (a: MarkerRef, b: MarkerRef) => a.eventId === b.eventId && a.scope === b.scope;

export function leaseLive(m: Pick<Marker, 'leaseUntil'>, now: Date): boolean {
  return Date.parse(m.leaseUntil) > now.getTime();
}

/** What is known of a delivery's progress: published entries can be pruned from the findings. */
type Progress = { published: boolean; delivered: readonly Cause[] };
const isDone = (p: Progress | undefined, e: PendingChange) => p !== undefined && (p.published || p.delivered.includes(e.cause));

/**
 * Gathers what this invocation must publish from the items of one scope: the entries of its own delivery (`own`,
 * already claimed) and those of earlier deliveries whose owner is gone (lease over), which it claims. Entries of
 * causes outside `deliver` stay for an invocation that delivers them; entries already published are pruned.
 */
export async function gatherDeliveries(
  backend: StoreBackend,
  items: readonly StoredFinding[],
  ctx: { own?: Marker; deliver: readonly Cause[]; now: Date; leaseMs: number; opts: EngineOptions },
): Promise<Delivery[]> {
  const groups = new Map<string, { ref: MarkerRef; entries: { item: StoredFinding; entry: PendingChange }[] }>();
  for (const item of items) {
    for (const entry of item.pending ?? []) {
      const k = markerKey(entry.delivery);
      if (!groups.has(k)) groups.set(k, { ref: entry.delivery, entries: [] });
      groups.get(k)!.entries.push({ item, entry });
    }
  }
  const deliver = new Set(ctx.deliver);
  const covers = (m: Marker) => CAUSES.filter((c) => deliver.has(c) && !m.delivered.includes(c));
  const deliveries: Delivery[] = [];
  const own = ctx.own && { ref: { eventId: ctx.own.eventId, scope: ctx.own.scope }, trigger: ctx.own.trigger, covers: covers(ctx.own), notices: [] as Notice[] };
  if (own) deliveries.push(own);
  const progress = new Map<string, Progress>();

  for (const [k, { ref, entries }] of groups) {
    const isOwn = own !== undefined && sameRef(ref, own.ref);
    // A pending marker never expires (only published ones do), so a missing one was published long ago.
    const m = isOwn ? ctx.own! : await backend.getMarker(ref);
    progress.set(k, m ? { published: m.status === 'published', delivered: m.delivered } : { published: true, delivered: [] });
    if (!m || m.status === 'published') continue;
    const wanted = entries.filter(({ entry }) => deliver.has(entry.cause) && !m.delivered.includes(entry.cause));
    const toNotice = ({ item, entry }: (typeof entries)[number]): Notice => ({
      key: item.key,
      stored: item,
      change: entry.change,
      cause: entry.cause,
      finding: item.finding,
      ...(entry.previousSeverity ? { previousSeverity: entry.previousSeverity } : {}),
      trigger: m.trigger,
      delivery: ref,
    });
    if (isOwn) {
      own.notices.push(...wanted.map(toNotice));
      continue;
    }
    if (!wanted.length || leaseLive(m, ctx.now)) continue;
    const claim = { ...m, leaseUntil: new Date(ctx.now.getTime() + ctx.leaseMs).toISOString() };
    if (!(await backend.putMarker(claim, m.leaseUntil))) continue; // another invocation took it over first
    deliveries.push({ ref, trigger: m.trigger, covers: covers(m), notices: wanted.map(toNotice) });
  }

  const stale = items.filter((i) => i.pending?.some((e) => isDone(progress.get(markerKey(e.delivery)), e)));
  await prune(backend, stale, (e) => isDone(progress.get(markerKey(e.delivery)), e), ctx.opts);
  return deliveries;
}

/** Records that SNS accepted the notices of `deliveries` for `causes`, then prunes their outbox entries. */
export async function acknowledgeWith(backend: StoreBackend, deliveries: readonly Delivery[], causes: readonly Cause[] = CAUSES, opts: EngineOptions): Promise<void> {
  const progress = new Map<string, Progress>();
  // Each delivery has its own marker: a sweep's digest acknowledges a thousand of them, so not one after another.
  await mapLimit(deliveries, opts.writeConcurrency, async (d) => {
    const covered = d.covers.filter((c) => causes.includes(c));
    const m = await updateMarker(backend, d.ref, (m) => {
      const delivered = [...new Set([...m.delivered, ...covered])];
      const complete = m.causes.every((c) => delivered.includes(c));
      // Done with it (nothing left this invocation delivers): whoever delivers the other causes may take over now.
      const mine = d.covers.some((c) => !delivered.includes(c));
      const leaseUntil = complete || !mine ? RELEASED : m.leaseUntil;
      if (delivered.length === m.delivered.length && leaseUntil === m.leaseUntil && (m.status === 'published') === complete) return m;
      return { ...m, delivered, status: complete ? 'published' : 'pending', leaseUntil };
    });
    if (m) progress.set(markerKey(d.ref), { published: m.status === 'published', delivered: m.delivered });
  });
  const items = new Map(deliveries.flatMap((d) => d.notices.map((n) => [n.key, n.stored] as const)));
  await prune(backend, [...items.values()], (e) => isDone(progress.get(markerKey(e.delivery)), e), opts);
}

/** Publishing failed: the leases are given up so the next invocation (a retry, another event, the sweep) delivers at once. */
export async function releaseWith(backend: StoreBackend, deliveries: readonly Delivery[], opts: EngineOptions): Promise<void> {
  // A refused digest gives up a thousand deliveries: as many at once as acknowledging them.
  await mapLimit(deliveries, opts.writeConcurrency, (d) => updateMarker(backend, d.ref, (m) => (m.status === 'published' ? m : { ...m, leaseUntil: RELEASED })));
}

/** The delivered-or-not entries of every finding of a scope that no evaluation reached. */
export async function collectWith(
  backend: StoreBackend,
  scope: string,
  o: { deliver?: readonly Cause[]; leaseMs?: number; now?: Date; opts: EngineOptions },
): Promise<Delivery[]> {
  const items = await backend.queryScope(scope);
  return gatherDeliveries(backend, items, { deliver: o.deliver ?? CAUSES, now: o.now ?? new Date(o.opts.clock()), leaseMs: o.leaseMs ?? o.opts.leaseMs, opts: o.opts });
}

async function updateMarker(backend: StoreBackend, ref: MarkerRef, change: (m: Marker) => Marker): Promise<Marker | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const m = await backend.getMarker(ref);
    if (!m) return undefined;
    const next = change(m);
    if (next === m || (await backend.putMarker(next, m.leaseUntil))) return next;
  }
  throw new Error(`delivery ${ref.eventId} on ${ref.scope}: gave up after 5 conflicting concurrent updates`);
}

/** Removes delivered entries from the outboxes (housekeeping: a delivered entry is never published again anyway). */
async function prune(backend: StoreBackend, items: readonly StoredFinding[], done: (e: PendingChange) => boolean, opts: EngineOptions): Promise<void> {
  await mapLimit(items, opts.writeConcurrency, async (first) => {
    let item: StoredFinding | undefined = first;
    for (let attempt = 0; item && attempt < 5; attempt++) {
      const pending = (item.pending ?? []).filter((e) => !done(e));
      if (pending.length === (item.pending ?? []).length) return;
      const { pending: _old, ...rest } = item;
      if (await backend.putPending({ ...rest, version: item.version + 1, ...(pending.length ? { pending } : {}) }, item.version)) return;
      item = await backend.getFinding(item.key);
    }
  });
}
