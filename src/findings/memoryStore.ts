import { BackendFindingStore, type Marker, type MarkerRef, type StoreBackend, type StoredFinding } from './store';

/** Plain maps with the same compare-and-set semantics as DynamoDB's conditional writes. */
export interface MemoryState {
  findings: Record<string, StoredFinding>;
  markers: Record<string, Marker>;
}

const markerId = (eventId: string, scope: string) => `${eventId}|${scope}`;
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryBackend implements StoreBackend {
  constructor(
    protected state: MemoryState = { findings: {}, markers: {} },
    /** Called after every mutation (the file store persists there). */
    private readonly onChange: (s: MemoryState) => Promise<void> = async () => {},
  ) {}

  async getMarker(eventId: string, scope: string): Promise<Marker | undefined> {
    const m = this.state.markers[markerId(eventId, scope)];
    return m && clone(m);
  }
  async putMarker(m: Marker, expectedLease: string | null): Promise<boolean> {
    const id = markerId(m.eventId, m.scope);
    if ((this.state.markers[id]?.leaseUntil ?? null) !== expectedLease) return false;
    this.state.markers[id] = clone(m);
    await this.onChange(this.state);
    return true;
  }
  async setMarkerPublished(ref: MarkerRef): Promise<void> {
    const m = this.state.markers[markerId(ref.eventId, ref.scope)];
    if (!m) return;
    m.status = 'published';
    await this.onChange(this.state);
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
  async listAll(): Promise<StoredFinding[]> {
    return Object.values(this.state.findings).map(clone);
  }
}

/** For tests, the demo and `replay` without `--state`: forgets everything when the process ends. */
export class MemoryFindingStore extends BackendFindingStore {
  constructor(opts: { leaseMs?: number } = {}) {
    super(new MemoryBackend(), opts.leaseMs);
  }
}
