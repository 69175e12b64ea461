import type { ClusterRule } from './engine/rule';
import { internetPermissionViolations } from './semantics/internetPermissions';

/**
 * A security group of the cluster or its nodes must not admit anything from 0.0.0.0/0 or ::/0. Permissions that
 * admit TCP 22 belong to `no-internet-ssh` (an all-traffic permission covers 22, so it is SSH); this rule reports the
 * internet permissions that do NOT cover TCP 22 (e.g. tcp 443, tcp 23-80, udp 22, icmp), so one permission is
 * never reported twice. Security group references and prefix lists are not internet sources.
 */
export const noInternetIngress: ClusterRule = {
  id: 'no-internet-ingress',
  scope: 'cluster',
  title: 'No inbound traffic from the internet',
  guideline: 'EC2 Security Groups for Nodes',
  severity: 'high',
  description: 'A security group on the cluster or its nodes admits any other port from 0.0.0.0/0 or ::/0.',
  remediation:
    'Revoke the inbound rule from 0.0.0.0/0 / ::/0; expose workloads through a load balancer in public subnets with its own security group, and reference that group (not a CIDR) from the node security group.',
  needs: ['nodegroups', 'securityGroups'],
  evaluate(view) {
    return internetPermissionViolations(
      view,
      false,
      (label, bad, describe) =>
        `${label} allows ${bad.map(describe).join(', ')} from ${[...new Set(bad.flatMap((b) => b.sources))].join(' and ')}`,
    );
  },
};
