import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { check, clusterView, config, COMPLIANT_CNI, denyAllEgress, globalNetworkPolicy, namespace, networkPolicy, vpcCni, type ViewOverrides } from './fixtures';

const run = (o: ViewOverrides) => check('ssh-egress-blocked', clusterView(o));
const k8s = (namespaces: string[], networkPolicies: unknown[], calico?: { global?: unknown[] }) => ({
  kubernetes: {
    namespaces: namespaces.map((n) => namespace(n)),
    networkPolicies: networkPolicies as Record<string, unknown>[],
    ...(calico ? { calicoGlobalNetworkPolicies: (calico.global ?? []) as Record<string, unknown>[], calicoNetworkPolicies: [] } : {}),
  },
});
const ALLOW_ALL = (ns: string) => networkPolicy(ns, 'allow-all-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] });

describe('ssh-egress-blocked', () => {
  it('every namespace with a default-deny egress policy, enforced by the vpc-cni agent, passes', () => {
    expect(run(k8s(['default', 'apps'], [denyAllEgress('default'), denyAllEgress('apps')]))).toEqual([]);
  });

  it('a namespace no egress policy isolates is open', () => {
    const [f] = run(k8s(['default', 'apps'], [denyAllEgress('default')]));
    expect(f).toMatchObject({ ruleId: 'ssh-egress-blocked', severity: 'low', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
    expect(f.message).toBe('pods may open SSH (TCP 22) in 1 of 2 namespaces of cluster demo: apps (no egress policy selects these pods, so all their egress is allowed: every pod)');
    expect(f.evidence).toMatchObject({ enforcedBy: 'vpc-cni network policy agent', closedNamespaces: ['default'], namespaces: [{ namespace: 'apps' }] });
  });

  it('a namespace with an allow-all egress rule is open, whatever else denies', () => {
    const [f] = run(k8s(['apps'], [denyAllEgress('apps'), ALLOW_ALL('apps')]));
    expect(f.evidence.namespaces).toEqual([{ namespace: 'apps', reasons: ['NetworkPolicy apps/allow-all-egress egress rule 1 allows every port to any destination (e.g. 0.0.0.0): every pod'] }]);
  });

  it('policies nothing enforces are a violation: no enableNetworkPolicy, no Calico', () => {
    const [f] = run({ ...k8s(['apps'], [denyAllEgress('apps')]), addons: [vpcCni('{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true"}}')] });
    expect(f.message).toBe('nothing enforces network policies on cluster demo (vpc-cni configuration enableNetworkPolicy is unset and no Calico CRDs are served): pods in all 1 namespaces may open SSH');
    expect(f.evidence).toMatchObject({ enforcedBy: null });
    expect(run({ ...k8s(['apps'], [denyAllEgress('apps')]), addons: [] })[0].evidence.why).toMatch(/^no vpc-cni EKS add-on/);
    expect(run({ ...k8s(['apps'], [denyAllEgress('apps')]), addons: [vpcCni('enableNetworkPolicy: "false"')] })[0].evidence.why).toMatch(/enableNetworkPolicy is "false"/);
  });

  it('Calico enforces without the vpc-cni agent: a GlobalNetworkPolicy denying TCP 22 for all() first covers every namespace', () => {
    const denySsh = globalNetworkPolicy('deny-ssh', { order: 10, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22] } }, { action: 'Pass' }] });
    const view = { ...k8s(['default', 'apps', 'kube-system'], [ALLOW_ALL('apps')], { global: [denySsh] }), addons: [vpcCni('{}')] };
    expect(run(view)).toEqual([]);
    const [f] = run({ ...k8s(['apps'], [ALLOW_ALL('apps')], { global: [] }), addons: [vpcCni('{}')] });
    expect(f.evidence).toMatchObject({ enforcedBy: 'Calico' });
  });

  it('is not evaluated when the Kubernetes objects could not be read, or no namespace was recorded', () => {
    const unread = evaluateCluster(clusterView({ kubernetes: undefined, unreadable: [{ part: 'kubernetes', reason: 'Unauthorized' }] }), config(), ['ssh-egress-blocked']);
    expect(unread.notEvaluated[0].reason).toBe('kubernetes could not be read: Unauthorized');
    const empty = evaluateCluster(clusterView({ kubernetes: {} }), config(), ['ssh-egress-blocked']);
    expect(empty.notEvaluated[0].reason).toBe('no namespaces were recorded for cluster demo: its pods cannot be judged');
  });

  it('a vpc-cni configuration that does not parse is not evaluated rather than passed', () => {
    const r = evaluateCluster(clusterView({ addons: [vpcCni('{ nope')] }), config(), ['ssh-egress-blocked']);
    expect(r.notEvaluated[0].reason).toMatch(/vpc-cni configurationValues is neither JSON nor YAML/);
  });

  it('the compliant default runs the agent with the add-on configuration the guide asks for', () => {
    expect(run({ addons: [vpcCni(COMPLIANT_CNI)] })).toEqual([]);
  });
});
