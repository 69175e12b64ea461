import type { ClusterRule, Violation } from './engine/rule';
import type { NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';
import type { Config } from '../configSchema';
import type { ClusterView } from '../inventory/view';
import { describePermission, naclAdmits } from './semantics/net';
import { RESOURCE, list } from './semantics/resources';

function naclEntryTraffic(e: NetworkAclEntry): string {
  return describePermission({ IpProtocol: e.Protocol, FromPort: e.PortRange?.From, ToPort: e.PortRange?.To });
}

interface Bastions {
  cidrs: string[];
  how: string;
  subnets?: { subnetId?: string; cidrs: string[]; networkAclId?: string }[];
}

/**
 * The bastion CIDRs SSH may come from: `allowedSshCidrs` when configured; otherwise the guide's dedicated subnet,
 * inferred — the subnets of the ACL's VPC that host no node of this cluster and sit behind another network ACL.
 */
function bastionsFor(view: ClusterView, acl: NetworkAcl, config: Config): Bastions {
  if (config.allowedSshCidrs.length) return { cidrs: config.allowedSshCidrs, how: 'allowedSshCidrs (configuration)' };
  const nodeSubnets = new Set(view.subnets.map((s) => s.subnet.SubnetId));
  const subnets = view.vpcSubnets
    .filter((s) => !nodeSubnets.has(s.subnet.SubnetId) && s.subnet.VpcId === acl.VpcId && s.networkAcl && s.networkAcl.NetworkAclId !== acl.NetworkAclId)
    .map((s) => ({
      subnetId: s.subnet.SubnetId,
      cidrs: [s.subnet.CidrBlock, ...(s.subnet.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock)].filter((c): c is string => !!c),
      networkAclId: s.networkAcl?.NetworkAclId,
    }));
  return {
    cidrs: subnets.flatMap((s) => s.cidrs),
    how: `inferred (no allowedSshCidrs configured): subnets of ${acl.VpcId} that host no node of ${view.name} and sit behind another network ACL`,
    subnets,
  };
}

/**
 * The network ACL of every node subnet must stop inbound TCP 22 from anywhere outside the bastion CIDRs: the
 * configured `allowedSshCidrs`, else those inferred from the VPC (bastionsFor), so the guide's own pattern — allow
 * SSH from the bastion subnet only, deny the rest — passes with no configuration while a VPC-wide allow does not
 * (it reaches node subnets too). Inbound entries (Egress false) are evaluated as AWS does — ascending RuleNumber,
 * first match wins, Protocol "-1" or "6" with a PortRange covering 22, the `*` rule 32767 denying the rest — over
 * the whole IPv4 and IPv6 address space, so an earlier DENY shadows a later ALLOW for its CIDR and an earlier ALLOW
 * beats a later DENY. One finding per ACL, listing the node subnets and the bastion CIDRs taken, and why.
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
    const byAcl = new Map<string, { subnets: string[]; bastions: Bastions; verdict: ReturnType<typeof naclAdmits> }>();
    for (const s of view.subnets) {
      const subnetId = String(s.subnet.SubnetId);
      if (!s.networkAcl) throw new Error(`network ACL of node subnet ${subnetId} could not be resolved`);
      const aclId = String(s.networkAcl.NetworkAclId);
      const known = byAcl.get(aclId);
      if (known) {
        known.subnets.push(subnetId);
        continue;
      }
      const bastions = bastionsFor(view, s.networkAcl, config);
      byAcl.set(aclId, { subnets: [subnetId], bastions, verdict: naclAdmits(s.networkAcl, 'tcp', 22, bastions.cidrs) });
    }
    const out: Violation[] = [];
    for (const [aclId, { subnets, bastions, verdict }] of byAcl) {
      if (!verdict.admitted || !verdict.entry) continue;
      const e = verdict.entry;
      const cidr = e.CidrBlock ?? e.Ipv6CidrBlock;
      out.push({
        resourceType: RESOURCE.networkAcl,
        resourceId: aclId,
        message: `network ACL ${aclId} of node subnet${subnets.length > 1 ? 's' : ''} ${list(subnets)} lets SSH in from ${cidr} (inbound entry #${e.RuleNumber} allows ${naclEntryTraffic(e)}${verdict.earlierMatching.length > 0 ? `; earlier entries leave e.g. ${verdict.exampleSource} through` : ''}; bastions: ${bastions.cidrs.length ? list(bastions.cidrs) : 'none'})`,
        evidence: {
          networkAclId: aclId,
          subnets,
          allowedSshCidrs: config.allowedSshCidrs,
          bastionCidrs: bastions.cidrs,
          bastionsFrom: bastions.how,
          ...(bastions.subnets ? { bastionSubnets: bastions.subnets } : {}),
          entry: { RuleNumber: e.RuleNumber, RuleAction: e.RuleAction, Protocol: e.Protocol, PortRange: e.PortRange, CidrBlock: e.CidrBlock, Ipv6CidrBlock: e.Ipv6CidrBlock, Egress: false },
          exampleSource: verdict.exampleSource,
          earlierEntriesMatchingSsh: verdict.earlierMatching.map((x) => ({ RuleNumber: x.RuleNumber, RuleAction: x.RuleAction, CidrBlock: x.CidrBlock, Ipv6CidrBlock: x.Ipv6CidrBlock })),
        },
      });
    }
    return out;
  },
};
