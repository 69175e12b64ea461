import type { ClusterRule } from './engine/rule';
import { internetPermissionViolations } from './semantics/internetPermissions';

/**
 * A security group of the cluster (cluster, control-plane, node and remote-access groups) must not admit TCP 22
 * from 0.0.0.0/0 or ::/0. A permission counts when its protocol is all traffic ("-1") or TCP ("6"/"tcp") with a
 * port range covering 22 (0-65535, 20-25, 22-22). Only IpRanges[].CidrIp and Ipv6Ranges[].CidrIpv6 are internet
 * sources: security group references and prefix lists are not. One finding per group, listing every such permission;
 * a permission reported here is not reported again by `no-internet-ingress`.
 */
export const noInternetSsh: ClusterRule = {
  id: 'no-internet-ssh',
  scope: 'cluster',
  title: 'No SSH from the internet',
  guideline: 'Control SSH Access / EC2 Security Groups',
  severity: 'critical',
  description:
    'A security group on the cluster or its nodes admits TCP 22 (incl. all-traffic and covering port ranges) from 0.0.0.0/0 or ::/0.',
  remediation:
    'Revoke the inbound rule (aws ec2 revoke-security-group-ingress --group-id <id> --ip-permissions ...); if SSH is really needed, allow it only from a bastion security group or CIDR, and prefer Session Manager.',
  needs: ['nodegroups', 'securityGroups'],
  evaluate(view) {
    return internetPermissionViolations(
      view,
      true,
      (label, bad, describe) => `${label} allows SSH (${describe(bad[0])}) from ${bad[0].sources.join(' and ')}`,
    );
  },
};
