import { check, clusterView, launchTemplate, nodegroup, selfManagedGroup, selfManagedInstance } from './fixtures';

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

  describe('self-managed nodes', () => {
    const self = (o: Parameters<typeof clusterView>[0]) => check('nodegroup-no-ssh-key', clusterView(o));

    it('an Auto Scaling group with a key in its launch template is reported by group name — not one without', () => {
      const [f] = self({ selfManagedGroups: [selfManagedGroup('asg-workers', { templates: [launchTemplate({ KeyName: 'ops-key' }, 'lt-self', 4)] })] });
      expect(f).toMatchObject({ severity: 'high', resourceType: 'AWS::AutoScaling::AutoScalingGroup', resourceId: 'asg-workers' });
      expect(f.message).toBe('self-managed node group asg-workers launches nodes with SSH key ops-key from launch template lt-self version 4');
      expect(f.evidence).toMatchObject({ keys: [{ field: 'LaunchTemplateData.KeyName', KeyName: 'ops-key', launchTemplateId: 'lt-self', versionNumber: 4 }] });
      expect(self({ selfManagedGroups: [selfManagedGroup('asg-workers', { templates: [launchTemplate({ InstanceType: 'm6i.large' })] })] })).toEqual([]);
    });

    it('a key in the launch configuration, or on running members launched before the template changed', () => {
      const [lc] = self({ selfManagedGroups: [selfManagedGroup('asg-legacy', { config: { LaunchConfigurationName: 'lc-1', KeyName: 'old-key', ImageId: 'ami-1', InstanceType: 'm5.large', CreatedTime: new Date() } })] });
      expect(lc.evidence).toMatchObject({ keys: [{ field: 'LaunchConfiguration.KeyName', KeyName: 'old-key' }] });
      const member = selfManagedInstance('i-old', { KeyName: 'old-key', group: 'asg-workers' });
      const [m] = self({ selfManagedGroups: [selfManagedGroup('asg-workers', { instances: [member] })], selfManagedInstances: [member] });
      expect(m).toMatchObject({ resourceId: 'asg-workers', evidence: { instancesWithKey: [{ InstanceId: 'i-old', KeyName: 'old-key' }] } });
    });

    it('a lone self-managed instance with a key is reported by instance id', () => {
      const [f] = self({ selfManagedInstances: [selfManagedInstance('i-0abc', { KeyName: 'ops-key' })] });
      expect(f).toMatchObject({ resourceType: 'AWS::EC2::Instance', resourceId: 'i-0abc', evidence: { field: 'KeyName', KeyName: 'ops-key' } });
      expect(self({ selfManagedInstances: [selfManagedInstance('i-0abc')] })).toEqual([]);
    });
  });
});
