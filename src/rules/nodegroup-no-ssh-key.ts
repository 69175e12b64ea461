import type { ClusterRule, Violation } from './engine/rule';
import { RESOURCE } from './semantics/resources';
import { requireLaunchTemplate } from './engine/parts';

/**
 * A node group must not carry an SSH key: remoteAccess.ec2SshKey (managed remote access) or the launch template's
 * KeyName. With remoteAccess and no sourceSecurityGroups, EKS opens port 22 of its remote-access security group to
 * 0.0.0.0/0, so that case is critical. A key set through the launch template is high: who can reach port 22 then
 * depends on the template's security groups, which `no-internet-ssh` judges on its own.
 */
export const nodegroupNoSshKey: ClusterRule = {
  id: 'nodegroup-no-ssh-key',
  scope: 'cluster',
  title: 'Node groups have no SSH key',
  guideline: 'Control SSH Access to Nodes',
  severity: 'high',
  description:
    'A node group has remoteAccess.ec2SshKey or a launch template KeyName (critical when remoteAccess has no sourceSecurityGroups: port 22 open to the world).',
  remediation:
    'Recreate the node group without remote access (remoteAccess cannot be removed in place) or publish a launch template version without KeyName and update the node group to it; use AWS Systems Manager Session Manager for node access instead of SSH.',
  needs: ['nodegroups'],
  evaluate(view) {
    const out: Violation[] = [];
    for (const ng of view.nodegroups) {
      const name = String(ng.nodegroup.nodegroupName);
      const ra = ng.nodegroup.remoteAccess;
      if (!ra?.ec2SshKey) requireLaunchTemplate(ng);
      const ltKey = ng.launchTemplate?.LaunchTemplateData?.KeyName;
      if (ra?.ec2SshKey) {
        const sources = ra.sourceSecurityGroups ?? [];
        const open = sources.length === 0;
        out.push({
          resourceType: RESOURCE.nodegroup,
          resourceId: name,
          severity: open ? 'critical' : undefined,
          message: open
            ? `node group ${name} has SSH key ${ra.ec2SshKey} and no source security groups: port 22 is open to 0.0.0.0/0`
            : `node group ${name} has SSH key ${ra.ec2SshKey} (SSH allowed from ${sources.join(', ')})`,
          evidence: {
            nodegroup: name,
            field: 'remoteAccess.ec2SshKey',
            ec2SshKey: ra.ec2SshKey,
            sourceSecurityGroups: sources,
            remoteAccessSecurityGroup: ng.nodegroup.resources?.remoteAccessSecurityGroup,
          },
        });
      } else if (ltKey) {
        const lt = ng.launchTemplate;
        out.push({
          resourceType: RESOURCE.nodegroup,
          resourceId: name,
          message: `node group ${name} launches nodes with SSH key ${ltKey} from launch template ${lt?.LaunchTemplateId} version ${lt?.VersionNumber}`,
          evidence: {
            nodegroup: name,
            field: 'LaunchTemplateData.KeyName',
            KeyName: ltKey,
            launchTemplateId: lt?.LaunchTemplateId,
            versionNumber: lt?.VersionNumber,
          },
        });
      }
    }
    return out;
  },
};
