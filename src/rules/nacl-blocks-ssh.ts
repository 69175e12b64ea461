import type { ClusterRule, Violation } from './engine/rule';
import type { NetworkAclEntry } from '@aws-sdk/client-ec2';
import { describePermission, naclAdmits } from './semantics/net';
import { RESOURCE, list } from './semantics/resources';

function naclEntryTraffic(e: NetworkAclEntry): string {
  return describePermission({ IpProtocol: e.Protocol, FromPort: e.PortRange?.From, ToPort: e.PortRange?.To });
}

/**
 * The network ACL of every node subnet must stop inbound TCP 22 from anywhere outside `config.allowedSshCidrs`
 * (the bastion CIDRs). Inbound entries (Egress false) are evaluated as AWS does — ascending RuleNumber, first match
 * wins, Protocol "-1" or "6" with a PortRange covering 22, the `*` rule 32767 denying the rest — over the whole IPv4
 * and IPv6 address space, so an earlier DENY shadows a later ALLOW for its CIDR and an earlier ALLOW beats a later
 * DENY. With no allowed CIDRs, any source let in is a violation. One finding per ACL, listing the node subnets.
 */
export const naclBlocksSsh: ClusterRule = {
  id: 'nacl-blocks-ssh',
  scope: 'cluster',
  title: 'Network ACLs block SSH to node subnets',
  guideline: 'Create a dedicated subnet',
  severity: 'medium',
  description:
    'The network ACL of a node subnet lets TCP 22 in from outside the allowed bastion CIDRs (rules evaluated in number order).',
  remediation:
    'Add inbound DENY entries for TCP 22 from 0.0.0.0/0 and ::/0 numbered below the ACL\'s ALLOW entries (aws ec2 create-network-acl-entry --ingress --rule-action deny --protocol 6 --port-range From=22,To=22 ...), preceded by ALLOW entries only for the bastion CIDRs.',
  needs: ['nodegroups', 'network'],
  evaluate(view, config) {
    const byAcl = new Map<string, { subnets: string[]; verdict: ReturnType<typeof naclAdmits> }>();
    for (const s of view.subnets) {
      const subnetId = String(s.subnet.SubnetId);
      if (!s.networkAcl) throw new Error(`network ACL of node subnet ${subnetId} could not be resolved`);
      const aclId = String(s.networkAcl.NetworkAclId);
      const known = byAcl.get(aclId);
      if (known) {
        known.subnets.push(subnetId);
        continue;
      }
      byAcl.set(aclId, { subnets: [subnetId], verdict: naclAdmits(s.networkAcl, 'tcp', 22, config.allowedSshCidrs) });
    }
    const out: Violation[] = [];
    for (const [aclId, { subnets, verdict }] of byAcl) {
      if (!verdict.admitted || !verdict.entry) continue;
      const e = verdict.entry;
      const cidr = e.CidrBlock ?? e.Ipv6CidrBlock;
      out.push({
        resourceType: RESOURCE.networkAcl,
        resourceId: aclId,
        message: `network ACL ${aclId} of node subnet${subnets.length > 1 ? 's' : ''} ${list(subnets)} lets SSH in from ${cidr} (inbound entry #${e.RuleNumber} allows ${naclEntryTraffic(e)}${verdict.earlierMatching.length > 0 ? `; earlier entries leave e.g. ${verdict.exampleSource} through` : ''})`,
        evidence: {
          networkAclId: aclId,
          subnets,
          allowedSshCidrs: config.allowedSshCidrs,
          entry: { RuleNumber: e.RuleNumber, RuleAction: e.RuleAction, Protocol: e.Protocol, PortRange: e.PortRange, CidrBlock: e.CidrBlock, Ipv6CidrBlock: e.Ipv6CidrBlock, Egress: false },
          exampleSource: verdict.exampleSource,
          earlierEntriesMatchingSsh: verdict.earlierMatching.map((x) => ({ RuleNumber: x.RuleNumber, RuleAction: x.RuleAction, CidrBlock: x.CidrBlock, Ipv6CidrBlock: x.Ipv6CidrBlock })),
        },
      });
    }
    return out;
  },
};
