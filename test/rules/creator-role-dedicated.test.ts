import { LIVE_SOURCE } from '../../src/inventory/creator';
import { evaluateCluster } from '../../src/rules/engine/evaluate';
import {
  ACCOUNT,
  accessEntry,
  check,
  CLUSTER_CREATED,
  clusterView,
  config,
  createClusterEvent,
  DEDICATED_CREATOR,
  policyDoc,
  roleDetails,
  type ViewOverrides,
} from './fixtures';

const SHARED = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
const run = (o: ViewOverrides) => check('creator-role-dedicated', clusterView(o));
const notEvaluated = (o: ViewOverrides) => evaluateCluster(clusterView(o), config(), ['creator-role-dedicated']).notEvaluated;
/** The view of a cluster created by `arn` (a role, through a session), as CloudTrail recorded it. */
const createdBy = (arn: string, o: ViewOverrides = {}): ViewOverrides => ({ creatorEvent: createClusterEvent(arn), creations: [createClusterEvent(arn)], creatorRole: roleDetails(arn), ...o });

describe('creator-role-dedicated', () => {
  it('a dedicated role (created only this cluster, no policies left, assumable only by the pipeline) passes', () => {
    expect(run({})).toEqual([]);
  });

  describe('who created it', () => {
    it('an IAM user — not a role', () => {
      const alice = `arn:aws:iam::${ACCOUNT}:user/alice`;
      const [f] = run({ creatorEvent: createClusterEvent(alice, 'e1', { userIdentity: { type: 'IAMUser', arn: alice } }), creatorRole: undefined });
      expect(f).toMatchObject({ ruleId: 'creator-role-dedicated', severity: 'medium', resourceType: 'AWS::IAM::User', resourceId: alice });
      expect(f.message).toBe(`cluster demo was created by ${alice}: the creator is an IAM user, not a dedicated role`);
    });

    it('the root user', () => {
      const root = `arn:aws:iam::${ACCOUNT}:root`;
      const [f] = run({ creatorEvent: createClusterEvent(root, 'e1', { userIdentity: { type: 'Root', arn: root } }), creatorRole: undefined });
      expect(f).toMatchObject({ resourceType: 'AWS::::Account', resourceId: root });
    });

    it('an SSO session: the role behind it is a person\'s permission set', () => {
      const sso = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef`;
      const [f] = run(createdBy(sso));
      expect(f).toMatchObject({ resourceType: 'AWS::IAM::Role', resourceId: sso });
      expect(f.evidence).toMatchObject({ kind: 'sso-session', sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/session` });
    });

    it('a federated user session', () => {
      const fed = `arn:aws:sts::${ACCOUNT}:federated-user/bob`;
      expect(run({ creatorEvent: createClusterEvent(fed, 'e1', { userIdentity: { type: 'FederatedUser', arn: fed } }) })[0].evidence).toMatchObject({ kind: 'federated-session' });
    });

    it('resourceId is the role behind an assumed-role session', () => {
      const [f] = run(createdBy(SHARED, { creatorRole: roleDetails(SHARED, { attached: ['arn:aws:iam::aws:policy/AdministratorAccess'] }) }));
      expect(f.resourceId).toBe(SHARED);
    });
  });

  describe('the creator role', () => {
    it('created more than one cluster', () => {
      const [f] = run(createdBy(SHARED, { creations: [createClusterEvent(SHARED, 'e1'), createClusterEvent(SHARED, 'e2', { cluster: 'payments' })] }));
      expect(f.message).toBe(`cluster demo was created by ${SHARED}: its creator role created 2 clusters (demo, payments)`);
      expect(f.evidence.clustersCreated).toEqual([expect.objectContaining({ cluster: 'demo' }), expect.objectContaining({ cluster: 'payments' })]);
      // Recreating the same cluster name is one cluster, not two.
      expect(run(createdBy(SHARED, { creations: [createClusterEvent(SHARED, 'e1'), createClusterEvent(SHARED, 'e2')] }))).toEqual([]);
    });

    it('still has attached or inline policies', () => {
      const [f] = run(createdBy(SHARED, { creatorRole: roleDetails(SHARED, { attached: ['arn:aws:iam::aws:policy/AdministratorAccess'], inline: { eks: policyDoc({ Effect: 'Allow', Action: 'eks:*', Resource: '*' }) } }) }));
      expect(f.message).toContain('its creator role still holds attached arn:aws:iam::aws:policy/AdministratorAccess and inline eks');
    });

    it('lets any principal assume it — a condition that pins the caller down does not', () => {
      const open = roleDetails(SHARED, { trust: policyDoc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }) });
      expect(run(createdBy(SHARED, { creatorRole: open }))[0].message).toContain('its trust policy lets any principal assume it');
      const pinned = roleDetails(SHARED, { trust: policyDoc({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT } } }) });
      expect(run(createdBy(SHARED, { creatorRole: pinned }))).toEqual([]);
    });

    it('a role deleted since (the guide\'s last step done thoroughly) passes', () => {
      expect(run(createdBy(SHARED, { creatorRole: roleDetails(SHARED, { exists: false }) }))).toEqual([]);
    });
  });

  describe('knowing the creator', () => {
    it('the CreateCluster event being processed names it first', () => {
      const live = createClusterEvent(DEDICATED_CREATOR, 'live-1', { source: LIVE_SOURCE });
      const [f] = run({ creatorEvent: live, creations: [live], creatorRole: roleDetails(DEDICATED_CREATOR, { attached: ['arn:aws:iam::aws:policy/AmazonEKSClusterPolicy'] }) });
      expect(f.evidence.identifiedBy).toBe(`CreateCluster record live-1 from ${LIVE_SOURCE}`);
    });

    it('without a record, the bootstrap access entry created with the cluster', () => {
      const [f] = run({ creatorEvent: undefined, creations: [], accessEntries: [accessEntry(SHARED, CLUSTER_CREATED)], creatorRole: roleDetails(SHARED, { attached: ['arn:aws:iam::aws:policy/AdministratorAccess'] }) });
      expect(f).toMatchObject({ resourceId: SHARED });
      expect(f.evidence.identifiedBy).toMatch(/^bootstrap access entry/);
    });

    it('an unknown creator is not evaluated, with the reason — never a pass', () => {
      const [n] = notEvaluated({ creatorEvent: undefined, creations: [], accessEntries: [] });
      expect(n.reason).toBe(
        'the creator of demo is unknown: no CreateCluster record for demo in CloudTrail LookupEvents (last 90 days); no admin access entry was created with the cluster (the bootstrap entry may have been deleted)',
      );
      const unreadable = notEvaluated({ creatorEvent: undefined, accessEntries: [], unreadable: [{ part: 'creator', reason: 'ThrottlingException' }] });
      expect(unreadable[0].reason).toContain('CreateCluster records could not be read (ThrottlingException)');
    });

    it('a role whose other clusters cannot be counted (a source failed) is not passed', () => {
      const [n] = notEvaluated({ creatorSources: [{ name: 'CloudTrail LookupEvents (last 90 days)', error: 'cloudtrail:LookupEvents failed: ThrottlingException' }] });
      expect(n.reason).toMatch(/^cannot confirm .*eks-cluster-creator is dedicated: clusters created by the role: CloudTrail LookupEvents/);
    });

    it('a role whose IAM reads failed is not passed either', () => {
      expect(notEvaluated({ creatorRole: undefined, unreadable: [{ part: 'creatorRole', reason: 'iam:GetRole failed: AccessDenied' }] })[0].reason).toBe('creatorRole could not be read: iam:GetRole failed: AccessDenied');
    });
  });
});
