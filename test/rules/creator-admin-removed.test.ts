import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { ACCOUNT, accessEntry, check, CLUSTER_CREATED, clusterView, config, createClusterEvent, VIEW_POLICY } from './fixtures';

const CREATOR = `arn:aws:iam::${ACCOUNT}:role/eks-creator`;
const OPS = `arn:aws:iam::${ACCOUNT}:role/ops-admin`;
const mode = (authenticationMode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP') => ({ accessConfig: { authenticationMode } });
const minutesAfterCreation = (m: number) => new Date(Date.parse(CLUSTER_CREATED) + m * 60_000).toISOString();

describe('creator-admin-removed', () => {
  const run = (o: Parameters<typeof clusterView>[0]) => check('creator-admin-removed', clusterView(o));

  describe('API / API_AND_CONFIG_MAP mode: the bootstrap access entry', () => {
    it('fires while the creator (from the CreateCluster record) keeps AmazonEKSClusterAdminPolicy — not once it is deleted', () => {
      const [f] = run({ accessEntries: [accessEntry(CREATOR, minutesAfterCreation(0))], creatorEvent: createClusterEvent(CREATOR) });
      expect(f).toMatchObject({ ruleId: 'creator-admin-removed', severity: 'high', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
      expect(f.evidence).toMatchObject({ creator: CREATOR, identifiedBy: 'creator from the CreateCluster record', accessEntries: [{ principalArn: CREATOR }] });
      expect(run({ accessEntries: [accessEntry(OPS, minutesAfterCreation(1))], creatorEvent: createClusterEvent(CREATOR) })).toEqual([]);
    });

    it('matches the creator role through a path and through the assumed-role session', () => {
      const withPath = `arn:aws:iam::${ACCOUNT}:role/platform/eks-creator`;
      expect(run({ accessEntries: [accessEntry(withPath, minutesAfterCreation(0))], creatorEvent: createClusterEvent(withPath), cluster: mode('API_AND_CONFIG_MAP') })).toHaveLength(1);
    });

    it('ignores the creator\'s entry once it holds only a non-admin policy', () => {
      expect(run({ accessEntries: [accessEntry(CREATOR, minutesAfterCreation(0), [VIEW_POLICY])], creatorEvent: createClusterEvent(CREATOR) })).toEqual([]);
    });

    it('without a CreateCluster record, uses the admin entry created within 10 minutes of the cluster', () => {
      const [f] = run({ accessEntries: [accessEntry(CREATOR, minutesAfterCreation(2))], creatorEvent: undefined });
      expect(f.evidence).toMatchObject({ accessEntries: [{ principalArn: CREATOR }] });
      expect(f.evidence.identifiedBy).toMatch(/within 10 minutes/);
      expect(run({ accessEntries: [accessEntry(OPS, minutesAfterCreation(60 * 24))], creatorEvent: undefined })).toEqual([]);
    });

    it('falls back to the creation-time heuristic when the CreateCluster lookup was unreadable', () => {
      const view = clusterView({
        accessEntries: [accessEntry(CREATOR, minutesAfterCreation(0))],
        unreadable: [{ part: 'creator', reason: 'ThrottlingException' }],
        loaded: ['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes'],
      });
      expect(check('creator-admin-removed', view)).toHaveLength(1);
    });

    it('is not evaluated when access entries could not be read', () => {
      const view = clusterView({ unreadable: [{ part: 'accessEntries', reason: 'AccessDeniedException' }] });
      expect(evaluateCluster(view, config(), ['creator-admin-removed']).notEvaluated).toEqual([
        expect.objectContaining({ ruleId: 'creator-admin-removed', reason: expect.stringContaining('AccessDeniedException') }),
      ]);
    });
  });

  describe('CONFIG_MAP mode: the invisible system:masters grant', () => {
    it('names the creator role, as creator-role-dedicated does, when the record holds only the assumed-role session ARN', () => {
      const session = { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/eks-creator/ci-run-42` };
      const [f] = run({ cluster: mode('CONFIG_MAP'), kubernetes: {}, creatorEvent: createClusterEvent(CREATOR, 'evt-create-1', { userIdentity: session }) });
      expect(f.evidence).toMatchObject({ creator: CREATOR });
      expect(f.message).toContain(`its creator ${CREATOR} keeps`);
    });

    it('fires always: the creator is authenticated into system:masters, which the API server authorizes before RBAC', () => {
      const [f] = run({ cluster: mode('CONFIG_MAP'), kubernetes: {}, creatorEvent: createClusterEvent(CREATOR) });
      expect(f.evidence).toMatchObject({ authenticationMode: 'CONFIG_MAP', creator: CREATOR, authorizedBy: expect.stringContaining('before RBAC') });
      expect(run({ cluster: { accessConfig: undefined }, kubernetes: {} })).toHaveLength(1);
    });

    it('still fires when no cluster-admin binding names system:masters: no binding can take the grant away', () => {
      const binding = { metadata: { name: 'cluster-admin' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'platform-admins' }] };
      expect(run({ cluster: mode('CONFIG_MAP'), kubernetes: { clusterRoleBindings: [binding] } })).toHaveLength(1);
      expect(run({ cluster: mode('CONFIG_MAP'), kubernetes: { clusterRoleBindings: [] } })).toHaveLength(1);
    });

    it('needs no Kubernetes objects: an unreadable API does not hide the grant', () => {
      const view = clusterView({ cluster: mode('CONFIG_MAP'), kubernetes: undefined, unreadable: [{ part: 'kubernetes', reason: 'Unauthorized' }] });
      expect(evaluateCluster(view, config(), ['creator-admin-removed'])).toMatchObject({ evaluatedRuleIds: ['creator-admin-removed'], notEvaluated: [] });
    });

    it('does not need Kubernetes objects in API mode', () => {
      const view = clusterView({ kubernetes: undefined, loaded: ['accessEntries', 'creator'] });
      expect(evaluateCluster(view, config(), ['creator-admin-removed'])).toMatchObject({ evaluatedRuleIds: ['creator-admin-removed'], notEvaluated: [] });
    });
  });
});
