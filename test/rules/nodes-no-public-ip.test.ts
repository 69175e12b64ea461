import { check, clusterView, launchTemplate, nodegroup, subnet } from './fixtures';

describe('nodes-no-public-ip', () => {
  it('fires on a subnet with MapPublicIpOnLaunch — not without it', () => {
    const [f] = check('nodes-no-public-ip', clusterView({ subnets: [subnet('subnet-pub', { mapPublicIp: true })] }));
    expect(f).toMatchObject({ resourceType: 'AWS::EC2::Subnet', resourceId: 'subnet-pub', severity: 'high' });
    expect(f.evidence).toMatchObject({ MapPublicIpOnLaunch: true, nodesGettingPublicIp: ['ng-1'] });
    expect(check('nodes-no-public-ip', clusterView({ subnets: [subnet('subnet-priv')] }))).toEqual([]);
  });

  it('fires on a launch template that associates a public IP (resourceId = launch template id)', () => {
    const lt = launchTemplate({ NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true }] }, 'lt-pub', 2);
    const [f] = check('nodes-no-public-ip', clusterView({ nodegroups: [nodegroup('ng-lt', {}, lt)] }));
    expect(f).toMatchObject({ resourceType: 'AWS::EC2::LaunchTemplate', resourceId: 'lt-pub' });
    expect(f.evidence).toMatchObject({ versionNumber: 2, nodegroups: ['ng-lt'], field: ['LaunchTemplateData.NetworkInterfaces[0].AssociatePublicIpAddress'] });
  });

  it('a launch template that explicitly disables public IPs overrides the subnet default', () => {
    const lt = launchTemplate({ NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false }] });
    const view = clusterView({ nodegroups: [nodegroup('ng-lt', {}, lt)], subnets: [subnet('subnet-pub', { mapPublicIp: true, usedBy: ['ng-lt'] })] });
    expect(check('nodes-no-public-ip', view)).toEqual([]);
  });

  it('fires on a subnet holding a self-managed node with a public IP', () => {
    const view = clusterView({
      subnets: [subnet('subnet-self', { usedBy: ['i-0123'] })],
      selfManagedInstances: [{ InstanceId: 'i-0123', SubnetId: 'subnet-self', PublicIpAddress: '198.51.100.7' }],
    });
    const [f] = check('nodes-no-public-ip', view);
    expect(f).toMatchObject({ resourceId: 'subnet-self' });
    expect(f.evidence.instancesWithPublicIp).toEqual([{ InstanceId: 'i-0123', PublicIpAddress: '198.51.100.7' }]);
  });
});
