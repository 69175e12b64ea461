import { classifyLine } from '../../src/audit/classify';
import { WATCHED, catalogRules, watchedObject } from '../../src/audit/watched';
import { RULES } from '../../src/rules/engine/catalog';

/** Rules that land with other changes and are already mapped, so their writes are watched the day they arrive. */
const PENDING = ['ssh-egress-blocked'];

describe('watched Kubernetes objects', () => {
  it('every rule that reads Kubernetes objects is re-evaluated by some audited write', () => {
    const readers = RULES.filter((r) => r.scope === 'cluster' && [...r.needs, ...(r.mayNeed ?? [])].includes('kubernetes')).map((r) => r.id);
    const mapped = new Set(WATCHED.flatMap((w) => w.rules));
    expect(readers.filter((id) => !mapped.has(id))).toEqual([]);
  });

  it('names only rules of the catalog, or the ones about to land', () => {
    const ids = new Set(RULES.map((r) => r.id));
    expect(WATCHED.flatMap((w) => w.rules).filter((id) => !ids.has(id) && !PENDING.includes(id))).toEqual([]);
  });

  it.each([
    [{ resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth' }, ['no-system-masters']],
    [{ resource: 'configmaps', namespace: 'kube-system' }, ['no-system-masters']], // deletecollection
    [{ resource: 'networkpolicies', apiGroup: 'networking.k8s.io', namespace: 'a', name: 'p' }, ['ssh-egress-blocked']],
    [{ resource: 'networkpolicies', apiGroup: 'crd.projectcalico.org', namespace: 'a', name: 'p' }, ['ssh-egress-blocked']],
    [{ resource: 'globalnetworkpolicies', apiGroup: 'projectcalico.org', name: 'p' }, ['ssh-egress-blocked']],
    [{ resource: 'namespaces', name: 'team-a' }, ['ssh-egress-blocked']],
  ])('%j is read by %j', (ref, rules) => {
    expect(watchedObject(ref)?.rules).toEqual(rules);
  });

  it('leaves out ClusterRoleBindings: the API server authorizes system:masters before RBAC, so no binding changes a verdict', () => {
    expect(watchedObject({ resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io', name: 'cluster-admin' })).toBeUndefined();
  });

  it.each([
    { resource: 'configmaps', namespace: 'kube-system', name: 'coredns' },
    { resource: 'configmaps', namespace: 'default', name: 'aws-auth' },
    { resource: 'clusterroles', apiGroup: 'rbac.authorization.k8s.io', name: 'cluster-admin' },
    { resource: 'namespaces', apiGroup: 'example.com', name: 'not-the-core-namespaces' },
    { resource: 'rolebindings', apiGroup: 'rbac.authorization.k8s.io', namespace: 'a', name: 'admin' },
  ])('%j is read by no rule', (ref) => {
    expect(watchedObject(ref)).toBeUndefined();
  });

  it('evaluates only the rules this catalog has', () => {
    for (const w of WATCHED) expect(catalogRules(w).every((id) => RULES.some((r) => r.id === id))).toBe(true);
  });
});

describe('one audit line', () => {
  const event = (over: Record<string, unknown>) =>
    JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: 'a-1',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/kube-system/configmaps/aws-auth',
      verb: 'update',
      user: { username: 'bob', groups: ['devs'], extra: { arn: ['arn:aws:sts::111122223333:assumed-role/dev/bob'] } },
      impersonatedUser: { username: 'system:admin' },
      sourceIPs: ['10.0.0.9'],
      userAgent: 'kubectl/v1.30.2',
      objectRef: { resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth', apiVersion: 'v1' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: '2025-11-30T09:00:00Z',
      ...over,
    });

  it('a write carries who made it: the Kubernetes user, the IAM identity behind it, and whom it impersonated', () => {
    expect(classifyLine('7', event({}))).toEqual({
      id: '7',
      status: 'write',
      what: 'the aws-auth ConfigMap',
      write: {
        logEventId: '7',
        auditID: 'a-1',
        verb: 'update',
        object: 'configmaps kube-system/aws-auth',
        username: 'bob',
        groups: ['devs'],
        iamArn: 'arn:aws:sts::111122223333:assumed-role/dev/bob',
        impersonatedUser: 'system:admin',
        sourceIPs: ['10.0.0.9'],
        userAgent: 'kubectl/v1.30.2',
        time: '2025-11-30T09:00:00Z',
        rules: ['no-system-masters'],
      },
    });
  });

  it.each([
    [{ apiVersion: 'audit.k8s.io/v1beta1' }, /not an audit\.k8s\.io\/v1 Event at apiVersion/],
    [{ auditID: undefined }, /at auditID: Required/],
    [{ user: 'bob' }, /at user: Expected object/],
  ])('%j is invalid', (over, reason) => {
    expect(classifyLine('1', event(over))).toMatchObject({ status: 'invalid', reason: expect.stringMatching(reason) });
  });

  it('a line that is not JSON is invalid', () => {
    expect(classifyLine('1', '{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"pat')).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/^not JSON/) });
  });

  it.each([
    [{ verb: 'list' }, 'list configmaps kube-system/aws-auth: verb list changes nothing'],
    [{ stage: 'RequestReceived' }, 'update configmaps kube-system/aws-auth: stage RequestReceived, not a completed request'],
    [{ stage: 'Panic' }, 'update configmaps kube-system/aws-auth: stage Panic, not a completed request'],
    [{ responseStatus: { code: 422 } }, 'update configmaps kube-system/aws-auth: failed request (HTTP 422)'],
    [{ requestURI: '/api/v1/namespaces/kube-system/configmaps/aws-auth?dryRun=All' }, 'update configmaps kube-system/aws-auth: server-side dry run, nothing persisted'],
  ])('%j is ignored', (over, reason) => {
    expect(classifyLine('1', event(over))).toEqual({ id: '1', status: 'ignored', reason });
  });
});
