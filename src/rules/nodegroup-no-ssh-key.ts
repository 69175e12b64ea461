import type { ClusterView } from '../inventory/view';
import type { ClusterRule, Violation } from './engine/rule';
import { RESOURCE, list } from './semantics/resources';
import { requireLaunchTemplate } from './engine/parts';
import { groupOf } from '../inventory/nodes';

/**
 * Self-managed nodes: an Auto Scaling group carries a key through its launch templates, its launch configuration, or
 * the key its running members were launched with (resourceId = group name); a lone instance through its KeyName
 * (resourceId = instance id). Who can reach port 22 then depends on their security groups (`no-internet-ssh`).
 */
function selfManagedKeys(view: ClusterView): Violation[] {
  const out: Violation[] = [];
  for (const g of view.selfManagedGroups) {
    const name = String(g.group.AutoScalingGroupName);
    const fromTemplates = g.launchTemplates
      .filter((lt) => lt.LaunchTemplateData?.KeyName)
      .map((lt) => ({ field: 'LaunchTemplateData.KeyName', KeyName: lt.LaunchTemplateData?.KeyName, launchTemplateId: lt.LaunchTemplateId, versionNumber: lt.VersionNumber }));
    const fromConfig = g.launchConfiguration?.KeyName ? [{ field: 'LaunchConfiguration.KeyName', KeyName: g.launchConfiguration.KeyName, launchConfigurationName: g.launchConfiguration.LaunchConfigurationName }] : [];
    const members = g.instances.filter((i) => i.KeyName).map((i) => ({ InstanceId: i.InstanceId, KeyName: i.KeyName }));
    const keys = [...new Set([...fromTemplates, ...fromConfig, ...members].map((k) => k.KeyName))];
    if (!keys.length) {
      requireLaunchTemplate(g);
      continue;
    }
    out.push({
      resourceType: RESOURCE.autoScalingGroup,
      resourceId: name,
      message: `self-managed node group ${name} launches nodes with SSH key ${list(keys as string[])}${fromTemplates.length ? ` from launch template ${fromTemplates[0].launchTemplateId} version ${fromTemplates[0].versionNumber}` : fromConfig.length ? ` from launch configuration ${fromConfig[0].launchConfigurationName}` : ` (running members ${list(members.map((m) => String(m.InstanceId)))})`}`,
      evidence: { autoScalingGroup: name, keys: [...fromTemplates, ...fromConfig], ...(members.length ? { instancesWithKey: members } : {}) },
    });
  }
  for (const i of view.selfManagedInstances) {
    if (!i.KeyName || groupOf(view, i)) continue;
    out.push({
      resourceType: RESOURCE.instance,
      resourceId: String(i.InstanceId),
      message: `self-managed node ${i.InstanceId} was launched with SSH key ${i.KeyName}`,
      evidence: { instanceId: i.InstanceId, field: 'KeyName', KeyName: i.KeyName },
    });
  }
  return out;
}

/**
 * A node group must not carry an SSH key: remoteAccess.ec2SshKey (managed remote access) or the launch template's
 * KeyName. With remoteAccess and no sourceSecurityGroups, EKS opens port 22 of its remote-access security group to
 * 0.0.0.0/0, so that case is critical. A key set through the launch template is high: who can reach port 22 then
 * depends on the template's security groups, which `no-internet-ssh` judges on its own. Self-managed nodes the same
 * way (see selfManagedKeys).
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
    return [...out, ...selfManagedKeys(view)];
  },
};
