import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { LaunchConfiguration } from '@aws-sdk/client-auto-scaling';
import type { ClusterView } from '../inventory/view';
import type { ClusterRule, Violation } from './engine/rule';
import { RESOURCE, list } from './semantics/resources';
import { requireLaunchTemplate } from './engine/parts';

/** How each node group — managed (by name) or self-managed (by Auto Scaling group name) — launches its nodes. */
function launchSettings(view: ClusterView): Map<string, { templates: LaunchTemplateVersion[]; config?: LaunchConfiguration }> {
  const out = new Map<string, { templates: LaunchTemplateVersion[]; config?: LaunchConfiguration }>();
  for (const ng of view.nodegroups) {
    requireLaunchTemplate(ng);
    out.set(String(ng.nodegroup.nodegroupName), { templates: ng.launchTemplate ? [ng.launchTemplate] : [] });
  }
  for (const g of view.selfManagedGroups) {
    requireLaunchTemplate(g);
    out.set(String(g.group.AutoScalingGroupName), { templates: g.launchTemplates, config: g.launchConfiguration });
  }
  return out;
}

/** The group's nodes get no public IP whatever the subnet says: every template's primary interface, or its launch configuration, says false. */
function disablesPublicIp(s: { templates: LaunchTemplateVersion[]; config?: LaunchConfiguration } | undefined): boolean {
  if (!s) return false;
  if (s.config) return s.config.AssociatePublicIpAddress === false;
  return s.templates.length > 0 && s.templates.every((lt) => primaryInterfacePublicIp(lt) === false);
}

/** The primary interface's AssociatePublicIpAddress setting in a launch template version (undefined when unset). */
function primaryInterfacePublicIp(lt: LaunchTemplateVersion | undefined): boolean | undefined {
  const nics = lt?.LaunchTemplateData?.NetworkInterfaces ?? [];
  const primary = nics.find((n) => (n.DeviceIndex ?? 0) === 0);
  return primary?.AssociatePublicIpAddress;
}

/**
 * Nodes must not get public IPv4 addresses.
 * - Launch template (resourceId = launch template id): any NetworkInterfaces[] entry with AssociatePublicIpAddress
 *   true, for managed and self-managed node groups alike; a self-managed group's launch configuration likewise
 *   (resourceId = launch configuration name).
 * - Subnet (resourceId = subnet id): MapPublicIpOnLaunch true, unless every user of the subnet is a node group whose
 *   launch templates explicitly set AssociatePublicIpAddress false on their primary interface (or whose launch
 *   configuration sets it false), which overrides the subnet default; also a self-managed node instance in the
 *   subnet that holds a PublicIpAddress, whatever the flag (an instance launched with --associate-public-ip-address).
 *   Both are reported on the subnet, one finding per subnet.
 * IPv6 addresses (AssignIpv6AddressOnCreation) are out of scope: reachability there is a routing/SG question.
 */
export const nodesNoPublicIp: ClusterRule = {
  id: 'nodes-no-public-ip',
  scope: 'cluster',
  title: 'Worker nodes have no public IP address',
  guideline: 'Managed vs Self-managed Node Groups',
  severity: 'high',
  description: 'A node subnet has MapPublicIpOnLaunch, or the node launch template associates a public IP.',
  remediation:
    'Turn off auto-assign public IPv4 on the node subnet (aws ec2 modify-subnet-attribute --subnet-id <id> --no-map-public-ip-on-launch) and publish a launch template version without AssociatePublicIpAddress=true, then roll the node group so running nodes lose their public addresses.',
  // The node subnets' own flag and who uses them: neither their routes nor their ACLs.
  needs: ['nodegroups', 'subnets'],
  evaluate(view) {
    const out: Violation[] = [];
    const settings = launchSettings(view);

    const templates = new Map<string, { lt: LaunchTemplateVersion; nodegroups: string[]; interfaces: number[] }>();
    for (const [user, { templates: lts }] of settings) {
      for (const lt of lts) {
        const nics = lt.LaunchTemplateData?.NetworkInterfaces ?? [];
        const publicNics = nics.map((n, i) => (n.AssociatePublicIpAddress === true ? i : -1)).filter((i) => i >= 0);
        if (publicNics.length === 0) continue;
        const id = String(lt.LaunchTemplateId);
        const entry = templates.get(id) ?? { lt, nodegroups: [], interfaces: publicNics };
        entry.nodegroups.push(user);
        templates.set(id, entry);
      }
    }
    for (const [id, t] of templates) {
      out.push({
        resourceType: RESOURCE.launchTemplate,
        resourceId: id,
        message: `launch template ${id}${t.lt.LaunchTemplateName ? ` (${t.lt.LaunchTemplateName})` : ''} version ${t.lt.VersionNumber} gives nodes of ${list(t.nodegroups)} a public IP (AssociatePublicIpAddress true)`,
        evidence: {
          launchTemplateId: id,
          launchTemplateName: t.lt.LaunchTemplateName,
          versionNumber: t.lt.VersionNumber,
          nodegroups: t.nodegroups,
          field: t.interfaces.map((i) => `LaunchTemplateData.NetworkInterfaces[${i}].AssociatePublicIpAddress`),
          AssociatePublicIpAddress: true,
        },
      });
    }
    for (const g of view.selfManagedGroups) {
      const c = g.launchConfiguration;
      if (c?.AssociatePublicIpAddress !== true) continue;
      out.push({
        resourceType: RESOURCE.launchConfiguration,
        resourceId: String(c.LaunchConfigurationName),
        message: `launch configuration ${c.LaunchConfigurationName} gives nodes of ${g.group.AutoScalingGroupName} a public IP (AssociatePublicIpAddress true)`,
        evidence: { launchConfigurationName: c.LaunchConfigurationName, autoScalingGroup: g.group.AutoScalingGroupName, field: 'AssociatePublicIpAddress', AssociatePublicIpAddress: true },
      });
    }

    for (const s of view.subnets) {
      const subnetId = String(s.subnet.SubnetId);
      const instancesWithPublicIp = view.selfManagedInstances
        .filter((i) => i.SubnetId === subnetId && i.PublicIpAddress)
        .map((i) => ({ InstanceId: i.InstanceId, PublicIpAddress: i.PublicIpAddress }));
      const notOverriding = s.usedBy.filter((u) => !disablesPublicIp(settings.get(u)));
      const mapsPublic = s.subnet.MapPublicIpOnLaunch === true && notOverriding.length > 0;
      if (!mapsPublic && instancesWithPublicIp.length === 0) continue;
      const why = mapsPublic
        ? `auto-assigns public IPs (MapPublicIpOnLaunch true) to nodes of ${list(notOverriding)}`
        : `holds self-managed nodes with public IPs (${list(instancesWithPublicIp.map((i) => `${i.InstanceId} ${i.PublicIpAddress}`))})`;
      out.push({
        resourceType: RESOURCE.subnet,
        resourceId: subnetId,
        message: `node subnet ${subnetId} ${why}`,
        evidence: {
          subnetId,
          MapPublicIpOnLaunch: s.subnet.MapPublicIpOnLaunch ?? false,
          usedBy: s.usedBy,
          ...(mapsPublic ? { nodesGettingPublicIp: notOverriding } : {}),
          ...(instancesWithPublicIp.length ? { instancesWithPublicIp } : {}),
        },
      });
    }
    return out;
  },
};
