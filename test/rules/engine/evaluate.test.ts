import { getRule, ruleIds, RULES } from '../../../src/rules/engine/catalog';
import { evaluateCluster, neededParts } from '../../../src/rules/engine/evaluate';
import { hasPart, PartNotLoadedError, requirePart } from '../../../src/rules/engine/parts';
import type { ClusterRule } from '../../../src/rules/engine/rule';
import { allow, clusterView, config, nodegroup, sg } from '../fixtures';

const CATALOG = [
  ['nodes-in-private-subnets', 'high', 'VPC Layout'],
  ['nodes-no-public-ip', 'high', 'Managed vs Self-managed Node Groups'],
  ['nodegroup-no-ssh-key', 'high', 'Control SSH Access to Nodes'],
  ['no-internet-ssh', 'critical', 'Control SSH Access / EC2 Security Groups'],
  ['no-internet-ingress', 'high', 'EC2 Security Groups for Nodes'],
  ['cluster-sg-restricted', 'medium', 'Close down the cluster security group'],
  ['nacl-blocks-ssh', 'medium', 'Create a dedicated subnet'],
  ['pod-sg-isolation', 'low', 'Customize the AWS VPC CNI'],
  ['endpoint-not-public', 'high', 'private Kubernetes API endpoint'],
  ['control-plane-logging', 'medium', 'CloudTrail logging for audit and forensics'],
  ['creator-admin-removed', 'high', 'Dedicated IAM Role for EKS Cluster Creation'],
  ['no-system-masters', 'high', 'Dedicated IAM Role, steps 3–6'],
  ['cluster-tagged', 'low', 'Cluster Resource Tagging'],
  ['root-user-activity', 'critical', 'Cloud Infrastructure Security'],
  ['cloudtrail-enabled', 'high', 'Cloud Infrastructure Security (CloudTrail)'],
  ['creator-role-dedicated', 'medium', 'Dedicated IAM Role for EKS Cluster Creation, steps 1, 2, 7'],
  ['ssh-egress-blocked', 'low', 'Control SSH Access to Nodes (network policies)'],
  ['nodes-ssm-managed', 'info', 'Control SSH Access to Nodes (Session Manager)'],
  // Beyond the guide (issue 14).
  ['node-imds-restricted', 'high', 'EC2 Security Groups for Nodes (instance metadata, beyond the guide)'],
  ['kubernetes-version-supported', 'medium', 'Beyond the guide: supported Kubernetes versions'],
  ['secrets-encrypted', 'medium', 'Beyond the guide: envelope encryption of secrets'],
] as const;

describe('catalog', () => {
  it('holds the contract rule ids with their default severity and guideline, in DESIGN order (the guide\'s 18, then those beyond it)', () => {
    expect(ruleIds()).toEqual(CATALOG.map(([id]) => id));
    for (const [id, severity, guideline] of CATALOG) expect(getRule(id)).toMatchObject({ id, severity, guideline });
    expect(getRule('nope')).toBeUndefined();
  });

  it('gives every rule a title, description and remediation a person can act on', () => {
    for (const r of RULES) {
      expect(r.title.length).toBeGreaterThan(10);
      expect(r.description.length).toBeGreaterThan(20);
      expect(r.remediation.length).toBeGreaterThan(60);
    }
  });
});

describe('evaluateCluster', () => {
  const openSsh = () => clusterView({ securityGroups: [sg('sg-node', [allow('tcp', 22, '0.0.0.0/0')])] });

  it('a compliant cluster has no finding and every cluster rule evaluated', () => {
    const r = evaluateCluster(clusterView(), config());
    expect(r.findings).toEqual([]);
    expect(r.notEvaluated).toEqual([]);
    expect(r.evaluatedRuleIds).toEqual(RULES.filter((x) => x.scope === 'cluster').map((x) => x.id));
  });

  it('fills identity, catalog text and scope in every finding', () => {
    const [f] = evaluateCluster(openSsh(), config(), ['no-internet-ssh']).findings;
    expect(f).toEqual({
      ruleId: 'no-internet-ssh',
      severity: 'critical',
      account: '111122223333',
      region: 'us-east-1',
      cluster: 'demo',
      clusterArn: 'arn:aws:eks:us-east-1:111122223333:cluster/demo',
      resourceType: 'AWS::EC2::SecurityGroup',
      resourceId: 'sg-node',
      message: expect.any(String),
      evidence: expect.any(Object),
      guideline: 'Control SSH Access / EC2 Security Groups',
      remediation: getRule('no-internet-ssh')!.remediation,
    });
  });

  it('skips a rule disabled in config: no finding, not evaluated either (stored findings left alone)', () => {
    const r = evaluateCluster(openSsh(), config({ rules: { 'no-internet-ssh': { enabled: false } } }), ['no-internet-ssh', 'no-internet-ingress']);
    expect(r).toEqual({ findings: [], notEvaluated: [], evaluatedRuleIds: ['no-internet-ingress'] });
  });

  it('a severity override wins over the rule\'s per-violation severity', () => {
    const view = clusterView({ nodegroups: [nodegroup('ng-ssh', { remoteAccess: { ec2SshKey: 'k' } })] });
    expect(evaluateCluster(view, config(), ['nodegroup-no-ssh-key']).findings[0].severity).toBe('critical');
    const cfg = config({ rules: { 'nodegroup-no-ssh-key': { severity: 'low' } } });
    expect(evaluateCluster(view, cfg, ['nodegroup-no-ssh-key']).findings[0].severity).toBe('low');
  });

  it('reports a rule whose needed part is unreadable as not evaluated — never a pass', () => {
    const view = clusterView({ unreadable: [{ part: 'securityGroups', reason: 'UnauthorizedOperation' }] });
    const r = evaluateCluster(view, config(), ['no-internet-ssh', 'endpoint-not-public']);
    expect(r.notEvaluated).toEqual([
      { ruleId: 'no-internet-ssh', cluster: 'demo', clusterArn: view.arn, reason: 'securityGroups could not be read: UnauthorizedOperation' },
    ]);
    expect(r.evaluatedRuleIds).toEqual(['endpoint-not-public']);
  });

  it('reports a rule whose needed part was not loaded as not evaluated', () => {
    const r = evaluateCluster(clusterView({ loaded: ['securityGroups'] }), config(), ['no-internet-ssh']);
    expect(r.notEvaluated[0].reason).toBe('nodegroups was not read');
  });

  it('reports a rule that throws as not evaluated with the error message', () => {
    const rule = getRule('endpoint-not-public') as ClusterRule;
    const original = rule.evaluate;
    rule.evaluate = () => {
      throw new Error('boom');
    };
    try {
      const r = evaluateCluster(clusterView(), config(), ['endpoint-not-public']);
      expect(r).toEqual({ findings: [], evaluatedRuleIds: [], notEvaluated: [expect.objectContaining({ ruleId: 'endpoint-not-public', reason: 'boom' })] });
    } finally {
      rule.evaluate = original;
    }
  });

  it('ignores ids that are not cluster rules', () => {
    expect(evaluateCluster(clusterView(), config(), ['cloudtrail-enabled', 'nope']).evaluatedRuleIds).toEqual([]);
  });
});

describe('neededParts', () => {
  it('is the union of needed and conditional parts of the selected rules', () => {
    expect(neededParts(['endpoint-not-public'])).toEqual(new Set());
    expect(neededParts(['no-internet-ssh'])).toEqual(new Set(['nodegroups', 'securityGroups']));
    expect(neededParts(['creator-admin-removed'])).toEqual(new Set(['accessEntries', 'creator']));
    expect(neededParts(['no-system-masters'])).toEqual(new Set(['kubernetes']));
    expect(neededParts(['node-imds-restricted'])).toEqual(new Set(['nodegroups', 'eksLaunchTemplates']));
    expect(neededParts()).toEqual(new Set(['nodegroups', 'securityGroups', 'subnets', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator', 'creatorRole', 'nodeRoles', 'eksLaunchTemplates', 'clusterVersions']));
  });
});

describe('requirePart / hasPart (conditional needs)', () => {
  it('passes for a loaded part and throws a typed error for an unread or unreadable one', () => {
    expect(() => requirePart(clusterView(), 'kubernetes')).not.toThrow();
    expect(hasPart(clusterView(), 'kubernetes')).toBe(true);
    const unread = clusterView({ loaded: [] });
    expect(() => requirePart(unread, 'kubernetes')).toThrow(PartNotLoadedError);
    expect(hasPart(unread, 'kubernetes')).toBe(false);
    const failed = clusterView({ unreadable: [{ part: 'kubernetes', reason: 'Forbidden' }] });
    expect(() => requirePart(failed, 'kubernetes')).toThrow('kubernetes could not be read: Forbidden');
  });
});
