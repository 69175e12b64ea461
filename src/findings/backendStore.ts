import type { Suppression } from '../configSchema';
import type { Cause } from './trigger';
import { reconcileWith } from './reconcile';
import { acknowledgeWith, collectWith, releaseWith } from './outbox';
import { engineOptions, listWith, scopeOf, type Changes, type Delivery, type EngineOptions, type FindingStore, type ListQuery, type ReconcileInput, type ScopeRef, type StoreBackend, type StoreOptions, type StoredFinding } from './store';

/** The shared store: a backend plus the engine. */
export class BackendFindingStore implements FindingStore {
  protected readonly opts: EngineOptions;
  constructor(
    protected readonly backend: StoreBackend,
    opts: StoreOptions = {},
  ) {
    this.opts = engineOptions(opts);
  }
  reconcile(i: ReconcileInput, suppressions: readonly Suppression[]): Promise<Changes> {
    return reconcileWith(this.backend, i, suppressions, this.opts);
  }
  collect(scope: ScopeRef, o: { deliver?: readonly Cause[]; leaseMs?: number; now?: Date } = {}): Promise<Delivery[]> {
    return collectWith(this.backend, scopeOf(scope), { ...o, opts: this.opts });
  }
  acknowledge(deliveries: readonly Delivery[], causes?: readonly Cause[]): Promise<void> {
    return acknowledgeWith(this.backend, deliveries, causes, this.opts);
  }
  release(deliveries: readonly Delivery[]): Promise<void> {
    return releaseWith(this.backend, deliveries, this.opts);
  }
  listFindings(q?: ListQuery): Promise<StoredFinding[]> {
    return listWith(this.backend, q);
  }
  hasEvaluations(): Promise<boolean> {
    return this.backend.anyScope();
  }
}
