import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { ACCOUNT, check, clusterView, config, NODE_ROLE, nodeRole, policyDoc, roleDetails, SSM_CORE, WORKER_NODE } from './fixtures';

const WORKER_DOC = policyDoc({ Effect: 'Allow', Action: ['ec2:Describe*', 'eks:DescribeCluster'], Resource: '*' });
const SSM_ACTIONS = ['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'];
const run = (details: ReturnType<typeof roleDetails>) => check('nodes-ssm-managed', clusterView({ nodeRoles: [nodeRole(details)] }));

describe('nodes-ssm-managed', () => {
  it('AmazonSSMManagedInstanceCore (or the legacy AmazonEC2RoleforSSM) attached passes', () => {
    expect(run(roleDetails(NODE_ROLE, { attached: [SSM_CORE, WORKER_NODE], managed: { [WORKER_NODE]: WORKER_DOC } }))).toEqual([]);
    expect(run(roleDetails(NODE_ROLE, { attached: ['arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM'] }))).toEqual([]);
  });

  it('a node role with only the worker policies does not allow Session Manager (info)', () => {
    const [f] = run(roleDetails(NODE_ROLE, { attached: [WORKER_NODE], managed: { [WORKER_NODE]: WORKER_DOC } }));
    expect(f).toMatchObject({ ruleId: 'nodes-ssm-managed', severity: 'info', resourceType: 'AWS::IAM::Role', resourceId: NODE_ROLE });
    expect(f.message).toBe(`node role ${NODE_ROLE} of ng-1 does not allow ssm:UpdateInstanceInformation, ssmmessages:CreateControlChannel and 3 more (Session Manager)`);
    expect(f.evidence).toMatchObject({ decided: true, actions: SSM_ACTIONS.map((action) => ({ action, decision: 'not-allowed' })) });
  });

  it('SSM only through an inline policy, with wildcards, passes', () => {
    const inline = policyDoc({ Effect: 'Allow', Action: ['ssm:UpdateInstanceInformation', 'ssmmessages:*'], Resource: '*' });
    expect(run(roleDetails(NODE_ROLE, { attached: [WORKER_NODE], managed: { [WORKER_NODE]: WORKER_DOC }, inline: { 'session-manager': inline } }))).toEqual([]);
  });

  it('a customer-managed policy is read like an inline one', () => {
    const custom = `arn:aws:iam::${ACCOUNT}:policy/node-ssm`;
    expect(run(roleDetails(NODE_ROLE, { attached: [custom], managed: { [custom]: policyDoc({ Effect: 'Allow', Action: '*', Resource: '*' }) } }))).toEqual([]);
  });

  it('an explicit Deny takes it away; a permissions boundary without SSM does too', () => {
    const deny = policyDoc({ Effect: 'Deny', Action: 'ssmmessages:*', Resource: '*' });
    const [f] = run(roleDetails(NODE_ROLE, { attached: [SSM_CORE], inline: { 'no-sessions': deny } }));
    expect(f.evidence.actions).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'ssmmessages:OpenDataChannel', decision: 'denied', deniedBy: ['inline policy no-sessions statement #0'] })]));
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const [b] = run(roleDetails(NODE_ROLE, { attached: [SSM_CORE], boundary, managed: { [boundary]: policyDoc({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }) } }));
    expect(b.evidence).toMatchObject({ permissionsBoundary: boundary, decided: true });
  });

  it('what cannot be decided is said: a conditional grant, a policy whose document was not read', () => {
    const conditional = policyDoc({ Effect: 'Allow', Action: ['ssm:*', 'ssmmessages:*'], Resource: '*', Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-1' } } });
    const [c] = run(roleDetails(NODE_ROLE, { inline: { scoped: conditional } }));
    expect(c.message).toContain('cannot be confirmed to allow');
    expect(c.evidence).toMatchObject({ decided: false, actions: expect.arrayContaining([expect.objectContaining({ decision: 'undecided' })]) });
    const unknown = `arn:aws:iam::${ACCOUNT}:policy/unread`;
    const [u] = run(roleDetails(NODE_ROLE, { attached: [unknown], managed: { [unknown]: undefined } }));
    expect(u.evidence).toMatchObject({ decided: false, notRead: [`${unknown} (document not read)`] });
  });

  it('self-managed nodes: the instance-profile role, and nodes without any role', () => {
    const view = clusterView({
      nodeRoles: [nodeRole(roleDetails(NODE_ROLE, { attached: [SSM_CORE] }), ['asg-self'], [`instance profile arn:aws:iam::${ACCOUNT}:instance-profile/nodes`])],
      nodesWithoutRole: [{ node: 'asg-bare', resourceType: 'group', reason: 'launches nodes without an instance profile (no IAM role)' }],
    });
    const [f] = check('nodes-ssm-managed', view);
    expect(f).toMatchObject({ resourceType: 'AWS::AutoScaling::AutoScalingGroup', resourceId: 'asg-bare' });
  });

  it('a node role that does not exist cannot be managed', () => {
    expect(run(roleDetails(NODE_ROLE, { exists: false }))[0].message).toBe(`node role ${NODE_ROLE} of ng-1 does not exist: Session Manager cannot be confirmed`);
  });

  it('is not evaluated when the node roles could not be read', () => {
    const r = evaluateCluster(clusterView({ unreadable: [{ part: 'nodeRoles', reason: 'iam:GetRole failed: AccessDenied' }] }), config(), ['nodes-ssm-managed']);
    expect(r.notEvaluated[0].reason).toBe('nodeRoles could not be read: iam:GetRole failed: AccessDenied');
  });
});
