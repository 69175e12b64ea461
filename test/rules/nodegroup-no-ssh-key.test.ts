import { check, clusterView, launchTemplate, nodegroup } from './fixtures';

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
