import { dynamoItems } from '../src/findings/dynamoStore';
import type { MemoryBackend } from '../src/findings/memoryStore';
import type { Marker, ScopeState, StoredFinding } from '../src/findings/store';
import type { CreatorRecord, IndexEntry } from '../src/findings/stateStore';
import type { Clock } from './clock';

/** What the store was asked since the last reset, as DynamoDB would bill it (on-demand request units). */
export interface StoreStats {
  /** DynamoDB requests (each Query page is one). */
  requests: number;
  byOperation: Record<string, number>;
  /** Read request units: strongly consistent, 4 KB each (a Query sums its items before rounding, per page). */
  readUnits: number;
  /** Write request units: 1 KB each, the larger of the item before and after the write. */
  writeUnits: number;
}

/**
 * The size DynamoDB bills an item at: attribute names plus values (strings in UTF-8, numbers by digits, lists and
 * maps with their 3-byte overhead and 1 byte per element), after the document client drops undefined values.
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) if (v !== undefined) n += Buffer.byteLength(k) + valueBytes(v);
  return n;
}

function valueBytes(v: unknown): number {
  if (v === null || typeof v === 'boolean') return 1;
  if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace(/[.-]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (v instanceof Date) return v.toISOString().length;
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueBytes(x), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as Record<string, unknown>).reduce((n, [k, x]) => (x === undefined ? n : n + 1 + Buffer.byteLength(k) + valueBytes(x)), 0);
  return 0;
}

const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
/** DynamoDB returns at most 1 MB per Query page. */
const PAGE_BYTES = 1024 * 1024;

type Backend = MemoryBackend;

/**
 * Wraps the in-memory backend the bench runs on and charges each request what the DynamoDB backend would cost:
 * one request per GetItem/PutItem/UpdateItem and per Query page, request units from the sizes of the items as
 * src/findings/dynamoStore.ts writes them, and `latencyMs` per request on the bench clock (DynamoDB in-region answers
 * in a few milliseconds; requests of one invocation are mostly sequential).
 */
export class CountingStore {
  private stats: StoreStats = CountingStore.empty();

  constructor(
    private readonly clock: Clock,
    private readonly latencyMs: number,
  ) {}

  private static empty(): StoreStats {
    return { requests: 0, byOperation: {}, readUnits: 0, writeUnits: 0 };
  }

  reset(): void {
    this.stats = CountingStore.empty();
  }

  snapshot(): StoreStats {
    return { ...this.stats, byOperation: { ...this.stats.byOperation } };
  }

  private async charge(op: string, units: { read?: number; write?: number }, requests = 1): Promise<void> {
    this.stats.requests += requests;
    this.stats.byOperation[op] = (this.stats.byOperation[op] ?? 0) + requests;
    this.stats.readUnits += units.read ?? 0;
    this.stats.writeUnits += units.write ?? 0;
    for (let i = 0; i < requests; i++) await this.clock.sleep(this.latencyMs);
  }

  /** Query pages of the given items: each page up to 1 MB, its read units from its items' total size. */
  private query(op: string, items: Record<string, unknown>[]): Promise<void> {
    const pages: number[] = [0];
    for (const i of items) {
      const b = dynamoItemBytes(i);
      if (pages[pages.length - 1] + b > PAGE_BYTES) pages.push(0);
      pages[pages.length - 1] += b;
    }
    return this.charge(op, { read: pages.reduce((n, b) => n + readUnits(b), 0) }, pages.length);
  }

  wrap(inner: Backend): Backend {
    const charge = (op: string, units: { read?: number; write?: number }) => this.charge(op, units);
    const query = (op: string, items: Record<string, unknown>[]) => this.query(op, items);
    const get = (op: string, item: Record<string, unknown> | undefined) => charge(op, { read: readUnits(item ? dynamoItemBytes(item) : 0) });
    const put = (op: string, before: Record<string, unknown> | undefined, after: Record<string, unknown>) =>
      charge(op, { write: writeUnits(Math.max(before ? dynamoItemBytes(before) : 0, dynamoItemBytes(after))) });
    const wrapped: Partial<Backend> = {
      async getMarker(ref) {
        const m = await inner.getMarker(ref);
        await get('GetItem marker', m && dynamoItems.marker(m));
        return m;
      },
      async putMarker(m: Marker, expected) {
        const before = await inner.getMarker(m);
        await put('PutItem marker', before && dynamoItems.marker(before), dynamoItems.marker(m));
        return inner.putMarker(m, expected);
      },
      async getScope(scope) {
        const s = await inner.getScope(scope);
        await get('GetItem scope', s && dynamoItems.scope(s));
        return s;
      },
      async putScope(s: ScopeState, expected) {
        const before = await inner.getScope(s.scope);
        await put('PutItem scope', before && dynamoItems.scope(before), dynamoItems.scope(s));
        return inner.putScope(s, expected);
      },
      async anyScope() {
        await charge('Query scope (limit 1)', { read: 1 });
        return inner.anyScope();
      },
      async queryScope(scope) {
        const items = await inner.queryScope(scope);
        await query('Query findings of a scope', items.map((i) => dynamoItems.finding(i)));
        return items;
      },
      async getFinding(key) {
        const f = await inner.getFinding(key);
        await get('GetItem finding', f && dynamoItems.finding(f));
        return f;
      },
      async putFinding(item: StoredFinding, expected) {
        const before = await inner.getFinding(item.key);
        await put('PutItem finding', before && dynamoItems.finding(before), dynamoItems.finding(item));
        return inner.putFinding(item, expected);
      },
      async putPending(item: StoredFinding, expected) {
        const before = await inner.getFinding(item.key);
        await put('UpdateItem finding outbox', before && dynamoItems.finding(before), dynamoItems.finding(before ? { ...before, pending: item.pending } : item));
        return inner.putPending(item, expected);
      },
      async listAll() {
        const items = await inner.listAll();
        await query('Query all findings', items.map((i) => dynamoItems.finding(i)));
        return items;
      },
      async getHead() {
        const h = await inner.getHead();
        await get('GetItem state head', dynamoItems.head(h));
        return h;
      },
      async updateHead(u) {
        const h = await inner.getHead();
        await put('UpdateItem state head', dynamoItems.head(h), dynamoItems.head({ ...h, ...u, generation: h.generation + 1 }));
        return inner.updateHead(u);
      },
      async listIndexEntries() {
        const items = await inner.listIndexEntries();
        await query('Query cluster index', items.map((e) => dynamoItems.indexEntry(e)));
        return items;
      },
      async getIndexEntry(cluster) {
        const e = await inner.getIndexEntry(cluster);
        await get('GetItem index entry', e && dynamoItems.indexEntry(e));
        return e;
      },
      async putIndexEntry(e: IndexEntry, expected) {
        const before = await inner.getIndexEntry(e.cluster);
        await put('PutItem index entry', before && dynamoItems.indexEntry(before), dynamoItems.indexEntry(e));
        return inner.putIndexEntry(e, expected);
      },
      async listCreatorRecords() {
        const items = await inner.listCreatorRecords();
        await query('Query creator records', items.map((r) => dynamoItems.creator(r)));
        return items;
      },
      async putCreatorRecord(r: CreatorRecord) {
        await put('PutItem creator record', undefined, dynamoItems.creator(r));
        return inner.putCreatorRecord(r);
      },
    };
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && prop in wrapped) return wrapped[prop as keyof Backend];
        return Reflect.get(target, prop, receiver);
      },
    });
  }
}
