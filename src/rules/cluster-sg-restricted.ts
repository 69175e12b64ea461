import type { IpPermission } from '@aws-sdk/client-ec2';
import type { ClusterRule, Violation } from './engine/rule';
import { describePermission, normalizeProtocol, permissionEvidence, permissionPortRange } from './semantics/net';
import { RESOURCE, sgLabel } from './semantics/resources';

/** Ports the control plane and nodes need between them (AWS EKS "Restricting cluster traffic"): 443, 10250, 53. */
const CONTROL_PLANE_PORTS: Record<string, number[]> = { tcp: [443, 10250, 53], udp: [53] };

function withinControlPlanePorts(p: IpPermission): boolean {
  const proto = normalizeProtocol(p.IpProtocol);
  const allowed = CONTROL_PLANE_PORTS[proto];
  if (!allowed) return false;
  const r = permissionPortRange(p);
  return r.from === r.to && allowed.includes(r.from);
}

/** Every source of a permission except a reference to the group itself. */
function foreignSources(p: IpPermission, ownId: string | undefined): string[] {
  return [
    ...(p.IpRanges ?? []).map((r) => r.CidrIp),
    ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6),
    ...(p.PrefixListIds ?? []).map((r) => r.PrefixListId),
    ...(p.UserIdGroupPairs ?? []).filter((g) => g.GroupId !== ownId).map((g) => g.GroupId),
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/**
 * The EKS-created cluster security group (role 'cluster') should admit only itself, plus — from other sources
 * (CIDRs incl. the internet, other security groups, prefix lists) — nothing beyond the control-plane ports
 * TCP 443, TCP 10250 and TCP/UDP 53. A permission from a foreign source whose protocol/port range reaches any other
 * port (all traffic, a range such as 0-65535 or 443-444, ICMP) is a violation. One finding per cluster security group.
 */
export const clusterSgRestricted: ClusterRule = {
  id: 'cluster-sg-restricted',
  scope: 'cluster',
  title: 'Cluster security group is closed down',
  guideline: 'Close down the cluster security group',
  severity: 'medium',
  description: 'The cluster security group admits traffic from outside itself beyond the control-plane ports.',
  remediation:
    'Remove inbound rules on the cluster security group whose source is not the group itself, except TCP 443, TCP 10250 and TCP/UDP 53 from the node security groups; put workload ports on dedicated node or load-balancer security groups.',
  needs: ['securityGroups'],
  evaluate(view) {
    const out: Violation[] = [];
    for (const { group, roles, usedBy } of view.securityGroups) {
      if (!roles.includes('cluster')) continue;
      const bad = (group.IpPermissions ?? [])
        .map((p) => ({ p, sources: foreignSources(p, group.GroupId) }))
        .filter(({ p, sources }) => sources.length > 0 && !withinControlPlanePorts(p));
      if (bad.length === 0) continue;
      out.push({
        resourceType: RESOURCE.securityGroup,
        resourceId: String(group.GroupId),
        message: `cluster security group ${sgLabel(group)} admits ${bad.map(({ p, sources }) => `${describePermission(p)} from ${sources.join(', ')}`).join('; ')}`,
        evidence: {
          groupId: group.GroupId,
          groupName: group.GroupName,
          roles,
          usedBy,
          allowedFromOthers: 'tcp 443, tcp 10250, tcp 53, udp 53',
          ipPermissions: bad.map(({ p, sources }) => permissionEvidence(p, sources)),
        },
      });
    }
    return out;
  },
};
