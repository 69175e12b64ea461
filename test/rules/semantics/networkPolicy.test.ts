import { calicoPolicyTypes, kubePolicyTypes, sshEgressByNamespace, type NetworkPolicyInput } from '../../../src/rules/semantics/networkPolicy';

const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });
const knp = (namespace: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec });
const gnp = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', metadata: { name }, spec });
const cnp = (namespace: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec });

const DENY_ALL_EGRESS = { podSelector: {}, policyTypes: ['Egress'] };
const DNS_AND_HTTPS = {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }, { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] }],
};

function run(o: Partial<NetworkPolicyInput>) {
  return sshEgressByNamespace({ namespaces: [ns('apps')], networkPolicies: [], calicoNetworkPolicies: [], calicoGlobalNetworkPolicies: [], calico: false, ...o });
}
const one = (o: Partial<NetworkPolicyInput>) => run(o)[0];

describe('Kubernetes NetworkPolicy egress semantics', () => {
  it('a namespace no egress policy isolates is open; a default-deny egress policy closes it', () => {
    expect(one({})).toMatchObject({ open: true, reasons: ['no egress policy selects these pods, so all their egress is allowed: every pod'] });
    expect(one({ networkPolicies: [knp('apps', 'deny', DENY_ALL_EGRESS)] })).toMatchObject({ open: false, reasons: [], undecided: [] });
  });

  it('allowing DNS and HTTPS only keeps TCP 22 closed', () => {
    expect(one({ networkPolicies: [knp('apps', 'dns-https', DNS_AND_HTTPS)] })).toMatchObject({ open: false });
  });

  it('an empty egress rule allows everything, TCP 22 included', () => {
    const v = one({ networkPolicies: [knp('apps', 'deny', DENY_ALL_EGRESS), knp('apps', 'allow-all', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] })] });
    expect(v.open).toBe(true);
    expect(v.reasons).toEqual(['NetworkPolicy apps/allow-all egress rule 1 allows every port to any destination (e.g. 0.0.0.0): every pod']);
  });

  it('ports by number, protocol and endPort', () => {
    const with22 = (ports: unknown[]) => one({ networkPolicies: [knp('apps', 'p', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports }] })] }).open;
    expect(with22([{ port: 22 }])).toBe(true);
    expect(with22([{ protocol: 'TCP', port: 20, endPort: 25 }])).toBe(true);
    expect(with22([{ protocol: 'TCP', port: 23, endPort: 25 }])).toBe(false);
    expect(with22([{ protocol: 'UDP', port: 22 }])).toBe(false);
    expect(with22([{ protocol: 'TCP' }])).toBe(true); // every TCP port
  });

  it('a named port may be 22 on the destination pod: said, not guessed', () => {
    const v = one({ networkPolicies: [knp('apps', 'named', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'ssh' }] }] })] });
    expect(v).toMatchObject({ open: true, reasons: [] });
    expect(v.undecided[0]).toMatch(/^NetworkPolicy apps\/named egress rule 1 may allow TCP 22 \(named port ssh may be 22 on the destination pod\)/);
  });

  it('policyTypes default: Egress only when the policy has egress rules', () => {
    expect(kubePolicyTypes({ egress: [{}] })).toEqual(['Ingress', 'Egress']);
    expect(kubePolicyTypes({ egress: [] })).toEqual(['Ingress']);
    // Without policyTypes and without egress rules the policy isolates ingress only: egress stays open.
    expect(one({ networkPolicies: [knp('apps', 'ingress-only', { podSelector: {}, egress: [] })] }).open).toBe(true);
    // With egress rules and no policyTypes it does isolate egress.
    expect(one({ networkPolicies: [knp('apps', 'implied', { podSelector: {}, egress: [{ ports: [{ port: 443 }] }] })] }).open).toBe(false);
  });

  it('a policy selecting only some pods leaves the others open, naming them', () => {
    const v = one({ networkPolicies: [knp('apps', 'web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] })] });
    expect(v.open).toBe(true);
    expect(v.reasons).toEqual(['no egress policy selects these pods, so all their egress is allowed: pods !app (and 1 more label combinations)']);
  });

  it('two selectors that together cover every pod isolate the namespace', () => {
    const v = one({
      networkPolicies: [
        knp('apps', 'a', { podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, policyTypes: ['Egress'] }),
        knp('apps', 'b', { podSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, policyTypes: ['Egress'] }),
      ],
    });
    expect(v.open).toBe(false);
  });

  it('allowing SSH to one address range is still SSH egress', () => {
    const v = one({ networkPolicies: [knp('apps', 'bastion', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.1.0/24'] } }], ports: [{ port: 22 }] }] })] });
    expect(v.reasons).toEqual(['NetworkPolicy apps/bastion egress rule 1 allows TCP 22 to 10.20.0.0/16 except 10.20.1.0/24 (e.g. 10.20.0.0): every pod']);
  });

  it('policies of another namespace do not count; Calico policies do not count without Calico', () => {
    expect(one({ networkPolicies: [knp('other', 'deny', DENY_ALL_EGRESS)] }).open).toBe(true);
    expect(one({ calicoGlobalNetworkPolicies: [gnp('deny', { selector: 'all()', types: ['Egress'] })] }).open).toBe(true);
  });
});

describe('Calico policy semantics', () => {
  const calico = (o: Partial<NetworkPolicyInput>) => one({ calico: true, ...o });
  const DENY_SSH = { order: 10, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22] } }, { action: 'Pass' }] };

  it('types default like Calico: Egress only with egress rules and no ingress rules', () => {
    expect(calicoPolicyTypes({ egress: [{ action: 'Allow' }] })).toEqual(['Egress']);
    expect(calicoPolicyTypes({ egress: [{ action: 'Allow' }], ingress: [{ action: 'Allow' }] })).toEqual(['Ingress', 'Egress']);
    expect(calicoPolicyTypes({})).toEqual(['Ingress']);
  });

  it('a GlobalNetworkPolicy denying TCP 22 for all() before any allow covers every namespace', () => {
    const v = run({
      calico: true,
      namespaces: [ns('apps'), ns('kube-system')],
      calicoGlobalNetworkPolicies: [gnp('deny-ssh', DENY_SSH)],
      networkPolicies: [knp('apps', 'allow-all', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] })],
    });
    expect(v.map((x) => [x.namespace, x.open])).toEqual([
      ['apps', false],
      ['kube-system', false],
    ]);
  });

  it('order matters: an Allow with a lower order wins over the Deny', () => {
    const v = calico({
      calicoGlobalNetworkPolicies: [gnp('deny-ssh', DENY_SSH), gnp('ops', { order: 5, selector: "app == 'ops'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['20:30'] } }] })],
    });
    expect(v.open).toBe(true);
    expect(v.reasons).toEqual(["GlobalNetworkPolicy ops (order 5) egress rule 1 allows TCP 22 to any destination (e.g. 0.0.0.0): pods app=ops"]);
  });

  it('a Deny for 0.0.0.0/0 only leaves IPv6 open to a later allow', () => {
    const v = calico({
      calicoGlobalNetworkPolicies: [gnp('deny-v4', { order: 10, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', destination: { nets: ['0.0.0.0/0'], ports: [22] } }, { action: 'Allow' }] })],
    });
    expect(v.reasons).toEqual(['GlobalNetworkPolicy deny-v4 (order 10) egress rule 2 allows TCP 22 to any destination (e.g. ::): every pod']);
  });

  it('ipVersion and notNets narrow what a Deny covers: the rest stays open to a later allow', () => {
    const deny = (rule: Record<string, unknown>) =>
      calico({ calicoGlobalNetworkPolicies: [gnp('deny', { order: 10, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', ...rule }, { action: 'Allow' }] })] }).reasons;
    expect(deny({ ipVersion: 6, destination: { ports: [22] } })).toEqual(['GlobalNetworkPolicy deny (order 10) egress rule 2 allows TCP 22 to any destination (e.g. 0.0.0.0): every pod']);
    expect(deny({ ipVersion: 4, destination: { ports: [22] } })).toEqual(['GlobalNetworkPolicy deny (order 10) egress rule 2 allows TCP 22 to any destination (e.g. ::): every pod']);
    expect(deny({ destination: { nets: ['0.0.0.0/0', '::/0'], notNets: ['192.0.2.0/24'], ports: [22] } })).toEqual([
      'GlobalNetworkPolicy deny (order 10) egress rule 2 allows TCP 22 to any destination (e.g. 192.0.2.0): every pod',
    ]);
  });

  it('a CIDR that does not parse leaves the namespace not evaluated, and open', () => {
    const v = one({ networkPolicies: [knp('apps', 'bad-cidr', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }], ports: [{ port: 22 }] }] })] });
    expect(v).toMatchObject({ open: true, reasons: [], undecided: ['pods of apps not evaluated: not a CIDR: 10.0.0.0/33'] });
  });

  it('Pass hands the packet to the next tier, and past the last tier to the namespace profile (allow)', () => {
    const v = calico({ calicoGlobalNetworkPolicies: [gnp('pass', { order: 1, selector: 'all()', types: ['Egress'], egress: [{ action: 'Pass' }] })] });
    expect(v.reasons).toEqual(['TCP 22 (e.g. 0.0.0.0) is passed through every tier and allowed by the namespace profile: every pod']);
  });

  it('a policy that applies and matches nothing denies at the end of its tier', () => {
    expect(calico({ calicoGlobalNetworkPolicies: [gnp('https', { selector: 'all()', types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [443] } }] })] }).open).toBe(false);
  });

  it('namespaceSelector of a GlobalNetworkPolicy, and namespaced Calico policies', () => {
    const v = run({
      calico: true,
      namespaces: [ns('apps', { team: 'a' }), ns('tools')],
      calicoGlobalNetworkPolicies: [gnp('deny', { selector: 'all()', namespaceSelector: "team == 'a'", types: ['Egress'] })],
      calicoNetworkPolicies: [cnp('tools', 'allow-ssh', { selector: 'all()', egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [22], selector: "role == 'bastion'" } }] })],
    });
    expect(v.find((x) => x.namespace === 'apps')).toMatchObject({ open: false });
    expect(v.find((x) => x.namespace === 'tools')?.reasons).toEqual(["Calico NetworkPolicy tools/allow-ssh egress rule 1 allows TCP 22 to endpoints matching role == 'bastion': every pod"]);
  });

  it('a Deny to a destination selector covers only endpoints: outside addresses stay open', () => {
    const v = calico({
      calicoGlobalNetworkPolicies: [gnp('deny-pods', { order: 1, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', destination: { selector: "app == 'db'", ports: [22] } }, { action: 'Allow' }] })],
    });
    expect(v.reasons[0]).toMatch(/egress rule 2 allows TCP 22 to any destination \(e\.g\. 0\.0\.0\.0\): every pod/);
    const all = calico({
      calicoGlobalNetworkPolicies: [gnp('deny-all', { order: 1, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22] } }, { action: 'Allow' }] })],
    });
    expect(all.open).toBe(false);
  });

  it('what cannot be decided is said: an HTTP match, a selector with starts with, a source net', () => {
    const http = calico({ calicoGlobalNetworkPolicies: [gnp('l7', { selector: 'all()', types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', http: { methods: ['GET'] } }] })] });
    expect(http.undecided.join()).toMatch(/may allow TCP 22 \(an HTTP match \(application layer\) is not evaluated\)/);
    const prefix = calico({ calicoGlobalNetworkPolicies: [gnp('deny', { selector: "app starts with 'we'", types: ['Egress'] })] });
    expect(prefix.undecided.join()).toMatch(/cannot tell whether GlobalNetworkPolicy deny select pods app=<other value>/);
    const source = calico({ calicoGlobalNetworkPolicies: [gnp('deny', { order: 1, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', source: { nets: ['10.0.0.0/8'] } }, { action: 'Allow' }] })] });
    expect(source.reasons).toEqual([]);
    expect(source.undecided.join()).toMatch(/egress rule 2 allows TCP 22 to any destination \(e\.g\. 0\.0\.0\.0\), unless GlobalNetworkPolicy deny \(order 1\) egress rule 1 \(source nets depend on the pod IP\) denies it first/);
  });

  it('a malformed policy is left out and said so', () => {
    const v = calico({ calicoGlobalNetworkPolicies: [gnp('bad', { selector: "app = 'x'", types: ['Egress'] })] });
    expect(v.undecided[0]).toBe('GlobalNetworkPolicy bad: expected an operator after label "app" (left out)');
    expect(v.open).toBe(true);
  });

  it('policies in other tiers are evaluated after the default tier, and said so', () => {
    const v = calico({ calicoGlobalNetworkPolicies: [gnp('sec', { tier: 'security', order: 1, selector: 'all()', types: ['Egress'] })] });
    expect(v.undecided).toEqual(['policies in tiers security: tier order and default action are not read; evaluated after the default tier']);
  });
});
