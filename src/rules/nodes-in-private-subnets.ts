import type { ClusterRule, Violation } from './engine/rule';
import { internetRoutes } from './semantics/routes';
import { RESOURCE, list } from './semantics/resources';
import { prefixListEvidence } from './semantics/prefixLists';

/**
 * A node subnet is public when its governing route table — the explicit association, else the VPC's main table
 * (resolved by the view builder into `routeTable`) — sends the internet to an internet gateway (`igw-`): 0.0.0.0/0 or
 * ::/0, or routes that add up to it (0.0.0.0/1 + 128.0.0.0/1, a prefix list, a public block wider than
 * `internetPrefix`), after longest-prefix matching (semantics/routes.ts). NAT gateways, virtual private gateways,
 * egress-only gateways and blackhole routes do not make a subnet public.
 * A subnet whose route table could not be resolved makes the rule not evaluated rather than silently compliant.
 */
export const nodesInPrivateSubnets: ClusterRule = {
  id: 'nodes-in-private-subnets',
  scope: 'cluster',
  title: 'Worker nodes run in private subnets',
  guideline: 'VPC Layout',
  severity: 'high',
  description: 'A node subnet routes 0.0.0.0/0 or ::/0 (or routes adding up to the internet) to an internet gateway (explicit or main route table).',
  remediation:
    'Move the node group to private subnets (default route to a NAT gateway, not an internet gateway), or replace the internet-gateway route in the subnet\'s route table with a NAT gateway route; keep internet gateways for load-balancer subnets only.',
  needs: ['nodegroups', 'network'],
  evaluate(view, config) {
    const out: Violation[] = [];
    for (const s of view.subnets) {
      const subnetId = String(s.subnet.SubnetId);
      if (!s.routeTable) throw new Error(`route table of node subnet ${subnetId} could not be resolved`);
      const open = internetRoutes(s.routeTable, view.prefixLists, config.internetPrefix);
      if (!open) continue;
      const routes = open.routes.map((g) => g.route);
      out.push({
        resourceType: RESOURCE.subnet,
        resourceId: subnetId,
        message: `node subnet ${subnetId} (used by ${list(s.usedBy)}) routes ${open.routes.map((g) => g.destination).join(' and ')} to internet gateway ${[...new Set(routes.map((r) => r.GatewayId))].join(', ')} via ${s.routeTableIsMain ? 'the main' : 'its'} route table ${s.routeTable.RouteTableId}`,
        evidence: {
          subnetId,
          vpcId: s.subnet.VpcId,
          usedBy: s.usedBy,
          routeTableId: s.routeTable.RouteTableId,
          routeTableIsMain: s.routeTableIsMain,
          routes: routes.map((r) => ({
            DestinationCidrBlock: r.DestinationCidrBlock,
            DestinationIpv6CidrBlock: r.DestinationIpv6CidrBlock,
            DestinationPrefixListId: r.DestinationPrefixListId,
            GatewayId: r.GatewayId,
            State: r.State,
          })),
          internet: open.verdict,
          ...(routes.some((r) => r.DestinationPrefixListId) ? { prefixLists: prefixListEvidence(view.prefixLists, routes.flatMap((r) => (r.DestinationPrefixListId ? [r.DestinationPrefixListId] : []))) } : {}),
        },
      });
    }
    return out;
  },
};
