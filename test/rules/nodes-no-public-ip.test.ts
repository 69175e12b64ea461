import { check, clusterView, launchTemplate, nodegroup, selfManagedGroup, subnet } from './fixtures';

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

  describe('self-managed node groups', () => {
    it('a group\'s launch template or launch configuration that associates a public IP', () => {
      const lt = launchTemplate({ NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true }] }, 'lt-self');
      const [f] = check('nodes-no-public-ip', clusterView({ selfManagedGroups: [selfManagedGroup('asg-workers', { templates: [lt] })] }));
      expect(f).toMatchObject({ resourceId: 'lt-self', evidence: { nodegroups: ['asg-workers'] } });
      const config = { LaunchConfigurationName: 'lc-pub', AssociatePublicIpAddress: true, ImageId: 'ami-1', InstanceType: 'm5.large', CreatedTime: new Date() };
      const [c] = check('nodes-no-public-ip', clusterView({ selfManagedGroups: [selfManagedGroup('asg-legacy', { config })] }));
      expect(c).toMatchObject({ resourceType: 'AWS::AutoScaling::LaunchConfiguration', resourceId: 'lc-pub' });
    });

    it('a public subnet used by a group is reported unless every template of the group disables public IPs', () => {
      const pub = subnet('subnet-pub', { mapPublicIp: true, usedBy: ['asg-workers'] });
      expect(check('nodes-no-public-ip', clusterView({ subnets: [pub], selfManagedGroups: [selfManagedGroup('asg-workers', { subnets: ['subnet-pub'] })] }))[0]).toMatchObject({
        resourceId: 'subnet-pub',
        evidence: { nodesGettingPublicIp: ['asg-workers'] },
      });
      const off = launchTemplate({ NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false }] });
      expect(check('nodes-no-public-ip', clusterView({ subnets: [pub], selfManagedGroups: [selfManagedGroup('asg-workers', { subnets: ['subnet-pub'], templates: [off] })] }))).toEqual([]);
    });
  });
});
