import type { ClusterView } from '../inventory/view';
import type { ClusterRule } from './engine/rule';
import { sshEgressByNamespace } from './semantics/networkPolicy';
import { RESOURCE, list } from './semantics/resources';
import { isTrue, vpcCniAddon, vpcCniConfiguration } from './semantics/vpcCni';

/**
 * What enforces NetworkPolicy objects: Calico (its CRDs are served), or the VPC CNI's network policy agent
 * (`enableNetworkPolicy: "true"` in the vpc-cni add-on's configuration values). Undefined when nothing does, with why.
 */
function enforcement(view: ClusterView): { engine?: 'Calico' | 'vpc-cni network policy agent'; why: string } {
  const k = view.kubernetes;
  if (k?.calicoGlobalNetworkPolicies !== undefined || k?.calicoNetworkPolicies !== undefined) return { engine: 'Calico', why: 'Calico CRDs are served' };
  const addon = vpcCniAddon(view.addons);
  if (!addon) return { why: 'no vpc-cni EKS add-on (its network policy agent cannot be confirmed) and no Calico CRDs' };
  const value = vpcCniConfiguration(addon).enableNetworkPolicy;
  if (isTrue(value)) return { engine: 'vpc-cni network policy agent', why: 'vpc-cni configuration enableNetworkPolicy is "true"' };
  return { why: `vpc-cni configuration enableNetworkPolicy is ${value === undefined ? 'unset' : JSON.stringify(value)} and no Calico CRDs are served` };
}

/**
 * No pod may open SSH (TCP 22) anywhere (guide: Control SSH Access to Nodes, network policies). Evaluated per
 * namespace with the real egress semantics of Kubernetes NetworkPolicy and Calico policies (semantics/networkPolicy):
 * a namespace is open when some pods are not isolated for egress, when an egress rule admits TCP 22 (an empty rule
 * admits everything), or when what decides cannot be told (named ports, unmodelled selectors: said, not guessed).
 * Policies nothing enforces protect nothing: without Calico or the VPC CNI's network policy agent every namespace is
 * open. One finding per cluster (resourceId = cluster name) listing the open namespaces and why.
 */
export const sshEgressBlocked: ClusterRule = {
  id: 'ssh-egress-blocked',
  scope: 'cluster',
  title: 'Pods cannot open SSH connections',
  guideline: 'Control SSH Access to Nodes (network policies)',
  severity: 'low',
  description:
    'Some pod may open TCP 22: a namespace whose pods no egress policy isolates, an egress rule that admits port 22 (an empty rule admits everything), or policies that nothing enforces (neither vpc-cni enableNetworkPolicy nor Calico).',
  remediation:
    'Enforce network policies (vpc-cni add-on configuration {"enableNetworkPolicy":"true"}, or Calico), give every namespace a default-deny egress NetworkPolicy plus the egress it needs (DNS, HTTPS), or deny TCP 22 for all() in a Calico GlobalNetworkPolicy ordered before any allow.',
  needs: ['kubernetes', 'addons'],
  evaluate(view) {
    const k = view.kubernetes ?? {};
    if (!k.namespaces?.length) throw new Error(`no namespaces were recorded for cluster ${view.name}: its pods cannot be judged`);
    const names = k.namespaces.map((n) => String((n.metadata as { name?: unknown } | undefined)?.name ?? '?'));
    const engine = enforcement(view);
    if (!engine.engine) {
      return [
        {
          resourceType: RESOURCE.cluster,
          resourceId: view.name,
          message: `nothing enforces network policies on cluster ${view.name} (${engine.why}): pods in all ${names.length} namespaces may open SSH`,
          evidence: { enforcedBy: null, why: engine.why, namespaces: names.map((namespace) => ({ namespace, reasons: ['network policies are not enforced'] })) },
        },
      ];
    }
    const verdicts = sshEgressByNamespace({
      namespaces: k.namespaces,
      networkPolicies: k.networkPolicies ?? [],
      calicoNetworkPolicies: k.calicoNetworkPolicies ?? [],
      calicoGlobalNetworkPolicies: k.calicoGlobalNetworkPolicies ?? [],
      calico: engine.engine === 'Calico',
    });
    const open = verdicts.filter((v) => v.open);
    if (!open.length) return [];
    return [
      {
        resourceType: RESOURCE.cluster,
        resourceId: view.name,
        message: `pods may open SSH (TCP 22) in ${open.length} of ${verdicts.length} namespaces of cluster ${view.name}: ${list(open.map((v) => v.namespace))} (${open[0].reasons[0] ?? open[0].undecided[0]})`,
        evidence: {
          enforcedBy: engine.engine,
          why: engine.why,
          namespaces: open.map((v) => ({ namespace: v.namespace, reasons: v.reasons, ...(v.undecided.length ? { undecided: v.undecided } : {}) })),
          closedNamespaces: verdicts.filter((v) => !v.open).map((v) => v.namespace),
        },
      },
    ];
  },
};
