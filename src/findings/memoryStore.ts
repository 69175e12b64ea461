import { BackendFindingStore } from './backendStore';
import type { Marker, MarkerRef, ScopeState, StoreBackend, StoreOptions, StoredFinding } from './store';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { StateStore, type AwsPolicyEntry, type CreatorRecord, type IndexEntry, type KeptTemplateVersion, type StateBackend, type StateHead } from './stateStore';

/** Plain maps with the same compare-and-set semantics as DynamoDB's conditional writes. */
export interface MemoryState {
  findings: Record<string, StoredFinding>;
  markers: Record<string, Marker>;
  scopes: Record<string, ScopeState>;
  /** The cluster index, by cluster name. */
  clusters: Record<string, IndexEntry>;
  /** CreateCluster records, by `<cluster>#<event id>`. */
  creators: Record<string, CreatorRecord>;
  /** Launch template versions, by `<template id>#<version number>`. */
  templateVersions: Record<string, KeptTemplateVersion>;
  /** AWS managed policies' default versions as last checked, by ARN. */
  awsPolicies: Record<string, AwsPolicyEntry>;
  head: StateHead;
}

export const emptyMemoryState = (): MemoryState => ({ findings: {}, markers: {}, scopes: {}, clusters: {}, creators: {}, templateVersions: {}, awsPolicies: {}, head: { generation: 0 } });

const markerId = (ref: MarkerRef) => `${ref.eventId}|${ref.scope}`;
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryBackend implements StoreBackend, StateBackend {
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
  /** Finding keys by scope (a key is `<scope>|<ruleId>|<resourceId>`, and no scope holds a `|`), as a DynamoDB Query finds them. */
  private scopes?: Map<string, Set<string>>;
  private keysOf(scope: string): Set<string> {
    if (!this.scopes) {
      this.scopes = new Map();
      for (const key of Object.keys(this.state.findings)) this.indexKey(key);
    }
    return this.scopes.get(scope) ?? new Set();
  }
  private indexKey(key: string): void {
    const scope = key.slice(0, key.indexOf('|'));
    this.scopes?.set(scope, (this.scopes.get(scope) ?? new Set()).add(key));
  }
  async queryScope(scope: string): Promise<StoredFinding[]> {
    const prefix = `${scope}|`;
    return [...this.keysOf(scope)].filter((k) => k.startsWith(prefix)).map((k) => clone(this.state.findings[k]));
  }
  async getFinding(key: string): Promise<StoredFinding | undefined> {
    const f = this.state.findings[key];
    return f && clone(f);
  }
  async putFinding(item: StoredFinding, expectedVersion: number | null): Promise<boolean> {
    const current = this.state.findings[item.key];
    if ((current?.version ?? null) !== expectedVersion) return false;
    this.state.findings[item.key] = clone(item);
    this.indexKey(item.key);
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

  async getHead(): Promise<StateHead> {
    return clone(this.state.head);
  }
  async updateHead(u: { bump?: boolean; indexBuiltAt?: string; creatorsPrimedAt?: string }): Promise<void> {
    const h = this.state.head;
    this.state.head = { ...h, generation: h.generation + (u.bump ? 1 : 0), ...(u.indexBuiltAt ? { indexBuiltAt: u.indexBuiltAt } : {}), ...(u.creatorsPrimedAt ? { creatorsPrimedAt: u.creatorsPrimedAt } : {}) };
    await this.onChange(this.state);
  }
  async listIndexEntries(): Promise<IndexEntry[]> {
    return Object.values(this.state.clusters).map(clone);
  }
  async getIndexEntry(cluster: string): Promise<IndexEntry | undefined> {
    const e = this.state.clusters[cluster];
    return e && clone(e);
  }
  async putIndexEntry(e: IndexEntry, expectedVersion: number | null): Promise<boolean> {
    if ((this.state.clusters[e.cluster]?.version ?? null) !== expectedVersion) return false;
    this.state.clusters[e.cluster] = clone(e);
    await this.onChange(this.state);
    return true;
  }
  async listCreatorRecords(): Promise<CreatorRecord[]> {
    return Object.values(this.state.creators).map(clone);
  }
  async putCreatorRecord(r: CreatorRecord): Promise<void> {
    const id = `${r.cluster}#${r.event.EventId ?? ''}`;
    if (this.state.creators[id]) return;
    this.state.creators[id] = clone(r);
    await this.onChange(this.state);
  }
  async getTemplateVersion(templateId: string, version: number): Promise<LaunchTemplateVersion | undefined> {
    const v = this.state.templateVersions[`${templateId}#${version}`];
    return v && clone(v);
  }
  async putTemplateVersion(v: KeptTemplateVersion): Promise<void> {
    const key = `${v.LaunchTemplateId}#${v.VersionNumber}`;
    if (this.state.templateVersions[key]) return;
    this.state.templateVersions[key] = clone(v);
    await this.onChange(this.state);
  }
  async getAwsPolicy(arn: string): Promise<AwsPolicyEntry | undefined> {
    const e = this.state.awsPolicies[arn];
    return e && clone(e);
  }
  async putAwsPolicy(e: AwsPolicyEntry): Promise<void> {
    const cur = this.state.awsPolicies[e.arn];
    if (cur && cur.checkedAt > e.checkedAt) return;
    this.state.awsPolicies[e.arn] = clone(e);
    await this.onChange(this.state);
  }
}

/** For tests, the demo and `replay` without `--state`: forgets everything when the process ends. */
export class MemoryFindingStore extends BackendFindingStore {
  /** The cluster index and CreateCluster records beside the findings (src/findings/stateStore.ts). */
  readonly state: StateStore;
  constructor(opts: StoreOptions = {}, backend: StoreBackend & StateBackend = new MemoryBackend()) {
    super(backend, opts);
    this.state = new StateStore(backend);
  }
}
