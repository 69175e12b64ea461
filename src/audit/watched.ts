import { getRule } from '../rules/engine/catalog';

/**
 * The Kubernetes objects whose writes can change a verdict, and the rules that read them. This table is the one
 * source of both the handler's decision and the subscription filter pattern (src/audit/subscriptionFilter.ts).
 *
 * Not here, on purpose: ClusterRoleBindings, ClusterRoles and RoleBindings. No rule's verdict depends on them: the
 * creator's `system:masters` grant (CONFIG_MAP mode) is authorized by the API server before RBAC, so no binding grants
 * or revokes it, and `no-system-masters` reads aws-auth only. A write to them is ignored with that reason.
 */
export interface WatchedObject {
  /** `objectRef.resource` (plural, lower case, as the audit log writes it). */
  resource: string;
  /** `objectRef.apiGroup` values; '' is the core group, which the audit log leaves out. */
  apiGroups: readonly string[];
  /** Only this namespace and name (a create or delete of the collection names no object: see `covers`). */
  namespace?: string;
  name?: string;
  /** Reads like "the aws-auth ConfigMap", for reasons and docs. */
  what: string;
  /** Rule ids whose verdict a write can change; only those in the catalog are evaluated. */
  rules: readonly string[];
}

const SSH_EGRESS_RULES = ['ssh-egress-blocked'] as const;
const CALICO = ['crd.projectcalico.org', 'projectcalico.org'] as const;

/*
 * Each object lists the rules that read it, and no other: an alert names the writer as the cause of the change, so
 * re-checking a rule the write cannot affect would blame them for whatever else changed unseen (the sweep's job).
 * test/audit/watched.test.ts fails when a rule reading Kubernetes objects is missing from this table.
 */
export const WATCHED: readonly WatchedObject[] = [
  { resource: 'configmaps', apiGroups: [''], namespace: 'kube-system', name: 'aws-auth', what: 'the aws-auth ConfigMap', rules: ['no-system-masters'] },
  { resource: 'networkpolicies', apiGroups: ['networking.k8s.io', 'extensions'], what: 'a NetworkPolicy', rules: SSH_EGRESS_RULES },
  { resource: 'networkpolicies', apiGroups: CALICO, what: 'a Calico NetworkPolicy', rules: SSH_EGRESS_RULES },
  { resource: 'globalnetworkpolicies', apiGroups: CALICO, what: 'a Calico GlobalNetworkPolicy', rules: SSH_EGRESS_RULES },
  { resource: 'namespaces', apiGroups: [''], what: 'a Namespace', rules: SSH_EGRESS_RULES },
];

export interface ObjectRef {
  resource?: string;
  apiGroup?: string;
  namespace?: string;
  name?: string;
}

/**
 * Whether a write to `ref` can touch `w`. A request without a name (`deletecollection`, a create by
 * `generateName`) may touch every object of the collection, so it counts for a named object in that namespace.
 */
export function covers(w: WatchedObject, ref: ObjectRef): boolean {
  if (ref.resource !== w.resource || !w.apiGroups.includes(ref.apiGroup ?? '')) return false;
  if (w.namespace !== undefined && ref.namespace !== w.namespace) return false;
  if (w.name !== undefined && ref.name && ref.name !== w.name) return false;
  return true;
}

/** The watched entry a write touches, if any. */
export function watchedObject(ref: ObjectRef): WatchedObject | undefined {
  return WATCHED.find((w) => covers(w, ref));
}

/** The entry's rules that this catalog has (a rule added by a later version is skipped until it lands). */
export function catalogRules(w: WatchedObject): string[] {
  return w.rules.filter((id) => getRule(id) !== undefined);
}
