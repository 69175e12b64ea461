import { BackendFindingStore } from './backendStore';
import type { Marker, MarkerRef, ScopeState, StoreBackend, StoreOptions, StoredFinding } from './store';

/** Plain maps with the same compare-and-set semantics as DynamoDB's conditional writes. */
export interface MemoryState {
  findings: Record<string, StoredFinding>;
  markers: Record<string, Marker>;
  scopes: Record<string, ScopeState>;
}

export const emptyMemoryState = (): MemoryState => ({ findings: {}, markers: {}, scopes: {} });

const markerId = (ref: MarkerRef) => `${ref.eventId}|${ref.scope}`;
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryBackend implements StoreBackend {
  constructor(
    protected state: MemoryState = emptyMemoryState(),
    /** Called after every mutation (the file store persists there). */
    private readonly onChange: (s: MemoryState) => Promise<void> = async () => {},
  ) {}

  async getMarker(ref: MarkerRef): Promise<Marker | undefined> {
    const m = this.state.markers[markerId(ref)];
    return m && clone(m);
  }
  async putMarker(m: Marker, expectedLease: string | null): Promise<boolean> {
    const id = markerId(m);
    if ((this.state.markers[id]?.leaseUntil ?? null) !== expectedLease) return false;
    this.state.markers[id] = clone(m);
    await this.onChange(this.state);
    return true;
  }
  async getScope(scope: string): Promise<ScopeState | undefined> {
    const s = this.state.scopes[scope];
    return s && clone(s);
  }
  async putScope(s: ScopeState, expectedVersion: number | null): Promise<boolean> {
    if ((this.state.scopes[s.scope]?.version ?? null) !== expectedVersion) return false;
    this.state.scopes[s.scope] = clone(s);
    await this.onChange(this.state);
    return true;
  }
  async anyScope(): Promise<boolean> {
    return Object.keys(this.state.scopes).length > 0;
  }
  async queryScope(scope: string): Promise<StoredFinding[]> {
    const prefix = `${scope}|`;
    return Object.values(this.state.findings).filter((f) => f.key.startsWith(prefix)).map(clone);
  }
  async getFinding(key: string): Promise<StoredFinding | undefined> {
    const f = this.state.findings[key];
    return f && clone(f);
  }
  async putFinding(item: StoredFinding, expectedVersion: number | null): Promise<boolean> {
    const current = this.state.findings[item.key];
    if ((current?.version ?? null) !== expectedVersion) return false;
    this.state.findings[item.key] = clone(item);
    await this.onChange(this.state);
    return true;
  }
  async putPending(item: StoredFinding, expectedVersion: number): Promise<boolean> {
    const current = this.state.findings[item.key];
    if (current?.version !== expectedVersion) return false;
    const { pending: _old, ...rest } = current;
    return this.putFinding({ ...rest, version: item.version, ...(item.pending ? { pending: item.pending } : {}) }, expectedVersion);
  }
  async listAll(): Promise<StoredFinding[]> {
    return Object.values(this.state.findings).map(clone);
  }
}

/** For tests, the demo and `replay` without `--state`: forgets everything when the process ends. */
export class MemoryFindingStore extends BackendFindingStore {
  constructor(opts: StoreOptions = {}) {
    super(new MemoryBackend(), opts);
  }
}
