import type { ClusterView } from '../../inventory/view';
import type { Violation } from '../engine/rule';
import { describePermission, internetSources, permissionAdmits, permissionEvidence } from './net';
import { RESOURCE, sgLabel } from './resources';

type GroupEntry = ClusterView['securityGroups'][number];
type OpenPermission = { p: NonNullable<GroupEntry['group']['IpPermissions']>[number]; sources: string[] };

/**
 * The one split shared by `no-internet-ssh` and `no-internet-ingress`: every permission of the cluster's groups open
 * to 0.0.0.0/0 or ::/0 goes to exactly one of them, by whether it admits TCP 22. One violation per group.
 */
export function internetPermissionViolations(
  view: ClusterView,
  admitsSsh: boolean,
  message: (label: string, bad: OpenPermission[], describe: (b: OpenPermission) => string) => string,
): Violation[] {
  const out: Violation[] = [];
  for (const { group, roles, usedBy } of view.securityGroups) {
    const bad = (group.IpPermissions ?? [])
      .map((p) => ({ p, sources: internetSources(p) }))
      .filter(({ p, sources }) => sources.length > 0 && permissionAdmits(p, 'tcp', 22) === admitsSsh);
    if (bad.length === 0) continue;
    out.push({
      resourceType: RESOURCE.securityGroup,
      resourceId: String(group.GroupId),
      message: message(sgLabel(group), bad, (b) => describePermission(b.p)),
      evidence: {
        groupId: group.GroupId,
        groupName: group.GroupName,
        vpcId: group.VpcId,
        roles,
        usedBy,
        ipPermissions: bad.map(({ p, sources }) => permissionEvidence(p, sources)),
      },
    });
  }
  return out;
}
