import type { ClusterRule } from './engine/rule';
import { internetPermissionViolations } from './semantics/internetPermissions';
import { describePermission } from './semantics/net';

/**
 * No network interface of the cluster or its nodes may admit anything else from the internet (judged as in
 * `no-internet-ssh`: the union of every group on the interface, prefix lists expanded). Where TCP 22 is open to the
 * internet, the permissions that admit it belong to `no-internet-ssh` (an all-traffic permission covers 22, so it is
 * SSH); this rule reports the rest (e.g. tcp 443, tcp 23-80, udp 22, icmp), so one permission is never reported twice.
 */
export const noInternetIngress: ClusterRule = {
  id: 'no-internet-ingress',
  scope: 'cluster',
  title: 'No inbound traffic from the internet',
  guideline: 'EC2 Security Groups for Nodes',
  severity: 'high',
  description: 'A security group on the cluster or its nodes admits any other port from the internet (0.0.0.0/0, ::/0, or sources that add up to it).',
  remediation:
    'Revoke the inbound rule from 0.0.0.0/0 / ::/0; expose workloads through a load balancer in public subnets with its own security group, and reference that group (not a CIDR) from the node security group.',
  needs: ['nodegroups', 'securityGroups'],
  evaluate(view, config) {
    return internetPermissionViolations(
      view,
      config,
      false,
      (label, own) => `${label} allows ${own.map((o) => describePermission(o.p)).join(', ')} from ${[...new Set(own.flatMap((o) => o.sources))].join(' and ')}`,
    );
  },
};
