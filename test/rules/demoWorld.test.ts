import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import type { Finding } from '../../src/findings/finding';
import { buildAccountView, buildClusterView } from '../../src/inventory/buildView';
import { loadWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import { RULES } from '../../src/rules/engine/catalog';
import { evaluateAccount, evaluateCluster, neededParts } from '../../src/rules/engine/evaluate';

const EXAMPLES = join(__dirname, '../../examples');
const ids = { account: '111122223333', region: 'us-east-1' };

async function scan(cluster: string, configFile: string | undefined = join(EXAMPLES, 'eks-drift.config.json')) {
  const reader = new WorldReader(loadWorld(join(EXAMPLES, 'demo-world.json')));
  const config = loadConfig(configFile, {});
  const view = await buildClusterView(reader, cluster, neededParts(), ids);
  if (!view) throw new Error(`cluster ${cluster} not in the demo world`);
  return { result: evaluateCluster(view, config), account: evaluateAccount(await buildAccountView(reader, ids), config) };
}

const pairs = (fs: Finding[]) => fs.map((f) => `${f.ruleId} ${f.resourceId}`).sort();

describe('examples/demo-world.json through the world reader and view builder', () => {
  it('cluster prod violates every cluster rule, each on the intended resource', async () => {
    const { result } = await scan('prod');
    expect(result.notEvaluated).toEqual([]);
    expect(pairs(result.findings)).toEqual(
      [
        'nodes-in-private-subnets subnet-0aa1111111111111a',
        'nodes-no-public-ip subnet-0aa1111111111111a',
        'nodes-no-public-ip lt-0aa1111111111111a',
        'nodegroup-no-ssh-key prod-ng-ssh',
        'nodegroup-no-ssh-key prod-ng-lt',
        'no-internet-ssh sg-0aa1111111111111a',
        'no-internet-ssh sg-0aa2222222222222a',
        'no-internet-ingress sg-0aa4444444444444a',
        'cluster-sg-restricted sg-0aa1111111111111a',
        'nacl-blocks-ssh acl-0aa1111111111111a',
        'pod-sg-isolation prod',
        'endpoint-not-public prod',
        'control-plane-logging prod',
        'creator-admin-removed prod',
        'no-system-masters arn:aws:iam::111122223333:role/ops-admin',
        'cluster-tagged prod',
        'cluster-tagged prod-ng-ssh',
        'nodegroup-no-ssh-key prod-self-managed',
        'nodegroup-no-ssh-key i-0aa3333333333333a',
        'creator-role-dedicated arn:aws:iam::111122223333:role/eks-creator',
        'ssh-egress-blocked prod',
        'nodes-ssm-managed arn:aws:iam::111122223333:role/prod-node-role',
        'kubernetes-version-supported prod',
        'secrets-encrypted prod',
        'node-imds-restricted prod-ng-ssh',
        'node-imds-restricted lt-0aa1111111111111a',
        'node-imds-restricted i-0aa1111111111111a',
        'node-imds-restricted i-0aa3333333333333a',
      ].sort(),
    );
    const creator = result.findings.find((f) => f.ruleId === 'creator-admin-removed')!;
    expect(creator.evidence).toMatchObject({ authenticationMode: 'CONFIG_MAP', creator: 'arn:aws:iam::111122223333:role/eks-creator' });
    const cluster = RULES.filter((r) => r.scope === 'cluster').map((r) => r.id);
    expect(new Set(result.findings.map((f) => f.ruleId))).toEqual(new Set(cluster));
  });

  it('explains the guidelines a newcomer meets for the first time', async () => {
    const { result } = await scan('prod');
    const of = (ruleId: string) => result.findings.find((f) => f.ruleId === ruleId)!;
    expect(of('creator-role-dedicated').message).toBe(
      'cluster prod was created by arn:aws:iam::111122223333:role/eks-creator: its creator role still holds attached arn:aws:iam::aws:policy/AdministratorAccess',
    );
    expect(of('creator-role-dedicated').evidence).toMatchObject({ identifiedBy: expect.stringContaining('from CloudTrail LookupEvents (last 90 days)') });
    expect(of('ssh-egress-blocked').evidence).toMatchObject({ enforcedBy: null, why: 'vpc-cni configuration enableNetworkPolicy is unset and no Calico CRDs are served' });
    expect(of('nodes-ssm-managed').evidence).toMatchObject({ usedBy: ['prod-ng-ssh', 'prod-ng-lt', 'prod-self-managed', 'i-0aa3333333333333a'], decided: true });
    expect(result.findings.find((f) => f.resourceId === 'prod-self-managed')?.evidence).toMatchObject({ autoScalingGroup: 'prod-self-managed', keys: [{ KeyName: 'legacy-key' }] });
    // Judged as of the world's recordedAt (2026-11-28): 1.31's extended support ended two days before.
    expect(of('kubernetes-version-supported')).toMatchObject({ severity: 'high', message: 'cluster prod runs Kubernetes 1.31, past the end of extended support' });
    expect(of('kubernetes-version-supported').evidence).toMatchObject({ decidedBy: 'DescribeClusterVersions', basis: 'DescribeClusterVersions no longer lists 1.31: the oldest version it lists is 1.32' });
  });

  it('reads IAM documents in all three forms: an object (the AWS CLI), URL-encoded (the SDK), a JSON string', () => {
    const roles = loadWorld(join(EXAMPLES, 'demo-world.json')).iam.roles;
    const trust = (name: string) => roles.find((r) => r.RoleName === name)!.AssumeRolePolicyDocument!;
    expect(trust('eks-creator')).toMatch(/^\{"Version"/);
    expect(trust('eks-creator-payments')).toMatch(/^%7B%22Version/);
    expect(trust('prod-node-role')).toMatch(/^\{"Version"/);
  });

  it('cluster payments needs no configuration for its bastion: the guide\'s own NACL pattern passes', async () => {
    const { result } = await scan('payments', undefined);
    expect(result.findings).toEqual([]);
    expect(result.notEvaluated).toEqual([]);
  });

  it('cluster payments is fully compliant, with every cluster rule evaluated', async () => {
    const { result } = await scan('payments');
    expect(result.findings).toEqual([]);
    expect(result.notEvaluated).toEqual([]);
    expect(result.evaluatedRuleIds).toHaveLength(RULES.filter((r) => r.scope === 'cluster').length);
  });

  it('the account has its stopped multi-region trail reported', async () => {
    const { account } = await scan('payments');
    expect(account.notEvaluated).toEqual([]);
    expect(pairs(account.findings)).toEqual(['cloudtrail-enabled arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit']);
  });

  it('never reports the unrelated security group sg-0cc1111111111111c', async () => {
    const all = [...(await scan('prod')).result.findings, ...(await scan('payments')).result.findings];
    expect(all.filter((f) => f.resourceId === 'sg-0cc1111111111111c')).toEqual([]);
  });
});
