import { dynamoItems } from '../src/findings/dynamoStore';
import type { MemoryBackend } from '../src/findings/memoryStore';
import type { Marker, ScopeState, StoredFinding } from '../src/findings/store';
import type { AwsPolicyEntry, CreatorRecord, IndexEntry, KeptTemplateVersion } from '../src/findings/stateStore';
import type { Clock } from './clock';

/** What the store was asked since the last reset, as DynamoDB would bill it (on-demand request units). */
export interface StoreStats {
  /** DynamoDB requests (each Query page is one). */
  requests: number;
  byOperation: Record<string, number>;
  /** Request units by operation: what the cluster index and creator records cost, apart from the findings. */
  unitsByOperation: Record<string, { read: number; write: number }>;
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

/** The operations on the state items (cluster index, CreateCluster records, template versions, AWS managed policies, head), as opposed to findings. */
export const STATE_OPERATIONS = ['GetItem state head', 'UpdateItem state head', 'Query cluster index', 'GetItem index entry', 'PutItem index entry', 'Query creator records', 'PutItem creator record', 'GetItem AWS policy', 'PutItem AWS policy', 'GetItem template version', 'PutItem template version'];

/** Everything the store holds, in bytes as DynamoDB bills storage (items plus 100 bytes of overhead each). */
export function storedBytes(state: { findings: Record<string, StoredFinding>; markers: Record<string, Marker>; scopes: Record<string, ScopeState>; clusters: Record<string, IndexEntry>; creators: Record<string, CreatorRecord>; templateVersions: Record<string, KeptTemplateVersion>; awsPolicies: Record<string, AwsPolicyEntry> }) {
  const sum = (items: Record<string, unknown>[]) => items.reduce((n, i) => n + dynamoItemBytes(i) + 100, 0);
  return {
    findings: sum(Object.values(state.findings).map((f) => dynamoItems.finding(f))),
    markers: sum(Object.values(state.markers).map((m) => dynamoItems.marker(m))),
    scopes: sum(Object.values(state.scopes).map((x) => dynamoItems.scope(x))),
    index: sum(Object.values(state.clusters).map((e) => dynamoItems.indexEntry(e))),
    creators: sum(Object.values(state.creators).map((r) => dynamoItems.creator(r))),
    awsPolicies: sum(Object.values(state.awsPolicies).map((e) => dynamoItems.awsPolicy(e))),
    templateVersions: sum(Object.values(state.templateVersions).map((v) => dynamoItems.templateVersion(v))),
    markerCount: Object.keys(state.markers).length,
  };
}

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
    return { requests: 0, byOperation: {}, unitsByOperation: {}, readUnits: 0, writeUnits: 0 };
  }

  reset(): void {
    this.stats = CountingStore.empty();
  }

  snapshot(): StoreStats {
    return { ...this.stats, byOperation: { ...this.stats.byOperation }, unitsByOperation: structuredClone(this.stats.unitsByOperation) };
  }

  private async charge(op: string, units: { read?: number; write?: number }, requests = 1): Promise<void> {
    this.stats.requests += requests;
    this.stats.byOperation[op] = (this.stats.byOperation[op] ?? 0) + requests;
    this.stats.readUnits += units.read ?? 0;
    this.stats.writeUnits += units.write ?? 0;
    const u = (this.stats.unitsByOperation[op] ??= { read: 0, write: 0 });
    u.read += units.read ?? 0;
    u.write += units.write ?? 0;
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
    type Item = Record<string, unknown>;
    /** A GetItem: what it returned, sized as the table stores it. */
    const getting =
      <A extends unknown[], R>(op: string, read: (...a: A) => Promise<R>, item: (r: NonNullable<R>) => Item) =>
      async (...a: A): Promise<R> => {
        const r = await read(...a);
        await get(op, r ? item(r) : undefined);
        return r;
      };
    /** A PutItem or UpdateItem: the larger of the item before and after it. */
    const putting =
      <V, A extends unknown[], R>(op: string, write: (v: V, ...a: A) => Promise<R>, before: (v: V) => Promise<Item | undefined>, after: (v: V, before: Item | undefined) => Item) =>
      async (v: V, ...a: A) => {
        const b = await before(v);
        await put(op, b, after(v, b));
        return write(v, ...a);
      };
    /** A Query: its pages and their items. */
    const querying =
      <A extends unknown[], R>(op: string, read: (...a: A) => Promise<R[]>, item: (r: R) => Item) =>
      async (...a: A) => {
        const items = await read(...a);
        await query(op, items.map(item));
        return items;
      };
    const findingBefore = async (f: StoredFinding) => {
      const b = await inner.getFinding(f.key);
      return b && dynamoItems.finding(b);
    };
    const wrapped: Partial<Backend> = {
      getMarker: getting('GetItem marker', (ref) => inner.getMarker(ref), dynamoItems.marker),
      putMarker: putting('PutItem marker', (m: Marker, lease: string | null) => inner.putMarker(m, lease), async (m) => { const b = await inner.getMarker(m); return b && dynamoItems.marker(b); }, (m) => dynamoItems.marker(m)),
      getScope: getting('GetItem scope', (scope) => inner.getScope(scope), dynamoItems.scope),
      putScope: putting('PutItem scope', (x: ScopeState, v: number | null) => inner.putScope(x, v), async (x) => { const b = await inner.getScope(x.scope); return b && dynamoItems.scope(b); }, (x) => dynamoItems.scope(x)),
      async anyScope() {
        await charge('Query scope (limit 1)', { read: 1 });
        return inner.anyScope();
      },
      queryScope: querying('Query findings of a scope', (scope: string) => inner.queryScope(scope), (f) => dynamoItems.finding(f)),
      getFinding: getting('GetItem finding', (key) => inner.getFinding(key), (f) => dynamoItems.finding(f)),
      putFinding: putting('PutItem finding', (f: StoredFinding, v: number | null) => inner.putFinding(f, v), findingBefore, (f) => dynamoItems.finding(f)),
      putPending: putting('UpdateItem finding outbox', (f: StoredFinding, v: number) => inner.putPending(f, v), findingBefore, (f, b) => (b ? { ...b, pending: f.pending } : dynamoItems.finding(f))),
      listAll: querying('Query all findings', () => inner.listAll(), (f) => dynamoItems.finding(f)),
      getHead: getting('GetItem state head', () => inner.getHead(), dynamoItems.head),
      updateHead: putting('UpdateItem state head', (u: { bump?: boolean; indexBuiltAt?: string; creatorsPrimedAt?: string }) => inner.updateHead(u), async () => dynamoItems.head(await inner.getHead()), (u, b) => ({ ...b, ...u })),
      listIndexEntries: querying('Query cluster index', () => inner.listIndexEntries(), dynamoItems.indexEntry),
      getIndexEntry: getting('GetItem index entry', (cluster) => inner.getIndexEntry(cluster), dynamoItems.indexEntry),
      putIndexEntry: putting('PutItem index entry', (e: IndexEntry, v: number | null) => inner.putIndexEntry(e, v), async (e) => { const b = await inner.getIndexEntry(e.cluster); return b && dynamoItems.indexEntry(b); }, (e) => dynamoItems.indexEntry(e)),
      listCreatorRecords: querying('Query creator records', () => inner.listCreatorRecords(), dynamoItems.creator),
      putCreatorRecord: putting('PutItem creator record', (r: CreatorRecord) => inner.putCreatorRecord(r), async () => undefined, (r) => dynamoItems.creator(r)),
      getTemplateVersion: getting('GetItem template version', (id: string, n: number) => inner.getTemplateVersion(id, n), (v) => dynamoItems.templateVersion({ ...v, LaunchTemplateId: v.LaunchTemplateId ?? '', VersionNumber: v.VersionNumber ?? 0 })),
      putTemplateVersion: putting('PutItem template version', (v: KeptTemplateVersion) => inner.putTemplateVersion(v), async () => undefined, (v) => dynamoItems.templateVersion(v)),
      getAwsPolicy: getting('GetItem AWS policy', (arn: string) => inner.getAwsPolicy(arn), dynamoItems.awsPolicy),
      putAwsPolicy: putting('PutItem AWS policy', (e: AwsPolicyEntry) => inner.putAwsPolicy(e), async (e) => { const b = await inner.getAwsPolicy(e.arn); return b && dynamoItems.awsPolicy(b); }, (e) => dynamoItems.awsPolicy(e)),
    };
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && prop in wrapped) return wrapped[prop as keyof Backend];
        return Reflect.get(target, prop, receiver);
      },
    });
  }
}
