import type { ClusterRule } from './engine/rule';
import { internetPermissionViolations } from './semantics/internetPermissions';
import { describePermission } from './semantics/net';

/**
 * No network interface of the cluster or its nodes may admit TCP 22 from the internet. A permission counts when its
 * protocol is all traffic ("-1") or TCP ("6"/"tcp") with a port range covering 22 (0-65535, 20-25, 22-22); its sources
 * are IpRanges, Ipv6Ranges and prefix lists (expanded to their entries), never security group references. The
 * internet is judged on the union of the sources of every group on the same interface (semantics/internet.ts:
 * 0.0.0.0/1 + 128.0.0.0/1 is the internet, so is a public block wider than `internetPrefix`). One finding per group
 * that carries such an exposure; a permission reported here is not reported again by `no-internet-ingress`.
 */
export const noInternetSsh: ClusterRule = {
  id: 'no-internet-ssh',
  scope: 'cluster',
  title: 'No SSH from the internet',
  guideline: 'Control SSH Access / EC2 Security Groups',
  severity: 'critical',
  description:
    'A security group on the cluster or its nodes admits TCP 22 (incl. all-traffic and covering port ranges) from the internet (0.0.0.0/0, ::/0, or sources that add up to it).',
  remediation:
    'Revoke the inbound rule (aws ec2 revoke-security-group-ingress --group-id <id> --ip-permissions ...); if SSH is really needed, allow it only from a bastion security group or CIDR, and prefer Session Manager.',
  needs: ['nodegroups', 'securityGroups'],
  evaluate(view, config) {
    return internetPermissionViolations(view, config, true, (label, own) => `${label} allows SSH (${describePermission(own[0].p)}) from ${own[0].sources.join(' and ')}`);
  },
};
