import type { LogType } from '@aws-sdk/client-eks';
import { baseCluster, check, clusterView, config, ids, launchTemplate, nodegroup, vpcCni } from './fixtures';

describe('nodegroup-no-ssh-key', () => {
  const run = (...ngs: ReturnType<typeof nodegroup>[]) => check('nodegroup-no-ssh-key', clusterView({ nodegroups: ngs }));

  it('is critical for remoteAccess without source security groups — high with them', () => {
    const [open] = run(nodegroup('ng-ssh', { remoteAccess: { ec2SshKey: 'ops-key' }, resources: { remoteAccessSecurityGroup: 'sg-ra' } }));
    expect(open).toMatchObject({ ruleId: 'nodegroup-no-ssh-key', severity: 'critical', resourceType: 'AWS::EKS::Nodegroup', resourceId: 'ng-ssh' });
    expect(open.evidence).toMatchObject({ field: 'remoteAccess.ec2SshKey', ec2SshKey: 'ops-key', sourceSecurityGroups: [], remoteAccessSecurityGroup: 'sg-ra' });
    const [limited] = run(nodegroup('ng-ssh', { remoteAccess: { ec2SshKey: 'ops-key', sourceSecurityGroups: ['sg-bastion'] } }));
    expect(limited.severity).toBe('high');
  });

  it('fires on a launch template KeyName (high) — not on a template without one', () => {
    const [f] = run(nodegroup('ng-lt', {}, launchTemplate({ KeyName: 'lt-key' }, 'lt-1', 3)));
    expect(f).toMatchObject({ severity: 'high', resourceId: 'ng-lt' });
    expect(f.evidence).toMatchObject({ field: 'LaunchTemplateData.KeyName', KeyName: 'lt-key', launchTemplateId: 'lt-1', versionNumber: 3 });
    expect(run(nodegroup('ng-lt', {}, launchTemplate({ InstanceType: 'm6i.large' })))).toEqual([]);
  });

  it('is compliant without remote access', () => {
    expect(run(nodegroup('ng-1'))).toEqual([]);
  });
});

describe('pod-sg-isolation', () => {
  const run = (addons: ReturnType<typeof vpcCni>[]) => check('pod-sg-isolation', clusterView({ addons }));

  it('is compliant with AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG "true" in JSON or YAML, or boolean true', () => {
    expect(run([vpcCni('{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true"}}')])).toEqual([]);
    expect(run([vpcCni('env:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true"\n')])).toEqual([]);
    expect(run([vpcCni('env:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\n')])).toEqual([]);
  });

  it('fires when the setting is absent or false', () => {
    const [f] = run([vpcCni('{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}')]);
    expect(f).toMatchObject({ ruleId: 'pod-sg-isolation', severity: 'low', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
    expect(f.evidence).toMatchObject({ field: 'configurationValues.env.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', value: null });
    expect(run([vpcCni()])).toHaveLength(1);
    expect(run([vpcCni('{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"false"}}')])[0].evidence.value).toBe('false');
  });

  it('fires when vpc-cni is not an EKS add-on (a self-managed aws-node is invisible)', () => {
    const [f] = run([]);
    expect(f.evidence).toMatchObject({ addon: 'vpc-cni', installed: false });
  });

  it('is not evaluated when configurationValues cannot be parsed', () => {
    expect(() => run([vpcCni('{"env": [unclosed')])).toThrow(/not evaluated: vpc-cni configurationValues/);
  });
});

describe('endpoint-not-public', () => {
  const vpc = (o: Record<string, unknown>) => ({ resourcesVpcConfig: { ...baseCluster().resourcesVpcConfig, ...o } });
  const run = (o: Record<string, unknown>, cfg = config()) => check('endpoint-not-public', clusterView({ cluster: vpc(o) }), cfg);

  it('fires on a public endpoint open to 0.0.0.0/0 — not on a private one with the same CIDRs', () => {
    const [f] = run({ endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] });
    expect(f).toMatchObject({ ruleId: 'endpoint-not-public', severity: 'high', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
    expect(f.evidence).toMatchObject({ endpointPublicAccess: true, offendingCidrs: ['0.0.0.0/0'] });
    expect(run({ endpointPublicAccess: false, publicAccessCidrs: ['0.0.0.0/0'] })).toEqual([]);
  });

  it('treats a public endpoint without publicAccessCidrs as 0.0.0.0/0 (the EKS default)', () => {
    expect(run({ endpointPublicAccess: true, publicAccessCidrs: undefined })).toHaveLength(1);
  });

  it('accepts narrow CIDRs with no allow-list; checks them against a non-empty allow-list', () => {
    expect(run({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24'] })).toEqual([]);
    const cfg = config({ allowedPublicEndpointCidrs: ['203.0.113.0/24'] });
    expect(run({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.8/29'] }, cfg)).toEqual([]);
    const [f] = run({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.8/29', '198.51.100.0/24'] }, cfg);
    expect(f.evidence.offendingCidrs).toEqual(['198.51.100.0/24']);
  });
});

describe('control-plane-logging', () => {
  const run = (clusterLogging: { types: LogType[]; enabled: boolean }[]) => check('control-plane-logging', clusterView({ cluster: { logging: { clusterLogging } } }));

  it('fires when api, audit or authenticator is disabled, naming them — not when all three are on', () => {
    const [f] = run([
      { types: ['api', 'controllerManager'], enabled: true },
      { types: ['audit', 'authenticator', 'scheduler'], enabled: false },
    ]);
    expect(f).toMatchObject({ ruleId: 'control-plane-logging', severity: 'medium', resourceId: 'demo' });
    expect(f.evidence).toMatchObject({ disabledTypes: ['audit', 'authenticator'], enabledTypes: ['api', 'controllerManager'] });
    expect(run([{ types: ['api', 'audit', 'authenticator'], enabled: true }])).toEqual([]);
  });

  it('fires when logging is missing altogether', () => {
    expect(check('control-plane-logging', clusterView({ cluster: { logging: undefined } }))[0].evidence.disabledTypes).toEqual(['api', 'audit', 'authenticator']);
  });
});

describe('cluster-tagged', () => {
  const cfg = config({ requiredTags: ['owner', 'environment'] });

  it('fires on a cluster lacking a required tag (resourceId cluster name) — not when tagged', () => {
    const [f] = check('cluster-tagged', clusterView({ cluster: { tags: { owner: 'x' } } }), cfg);
    expect(f).toMatchObject({ ruleId: 'cluster-tagged', severity: 'low', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
    expect(f.evidence.missingTags).toEqual(['environment']);
    expect(check('cluster-tagged', clusterView(), cfg)).toEqual([]);
  });

  it('fires on a node group lacking a required tag (resourceId node group name)', () => {
    const fs = check('cluster-tagged', clusterView({ nodegroups: [nodegroup('ng-1'), nodegroup('ng-bare', { tags: {} })] }), cfg);
    expect(ids(fs)).toEqual(['ng-bare']);
    expect(fs[0]).toMatchObject({ resourceType: 'AWS::EKS::Nodegroup' });
  });

  it('follows the configured keys; tag keys are case-sensitive', () => {
    expect(ids(check('cluster-tagged', clusterView({ cluster: { tags: { Owner: 'x', environment: 'y' } } }), cfg))).toEqual(['demo']);
    expect(check('cluster-tagged', clusterView({ cluster: { tags: {} } }), config({ requiredTags: [] }))).toEqual([]);
  });
});
