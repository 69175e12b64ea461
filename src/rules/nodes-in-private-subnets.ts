import type { ClusterRule, Violation } from './engine/rule';
import { internetGatewayDefaultRoutes } from './semantics/net';
import { RESOURCE, list } from './semantics/resources';

/**
 * A node subnet is public when its governing route table — the explicit association, else the VPC's main table
 * (resolved by the view builder into `routeTable`) — sends 0.0.0.0/0 or ::/0 to an internet gateway (`igw-`).
 * NAT gateways, virtual private gateways, egress-only gateways and blackhole routes do not make a subnet public.
 * A subnet whose route table could not be resolved makes the rule not evaluated rather than silently compliant.
 */
export const nodesInPrivateSubnets: ClusterRule = {
  id: 'nodes-in-private-subnets',
  scope: 'cluster',
  title: 'Worker nodes run in private subnets',
  guideline: 'VPC Layout',
  severity: 'high',
  description: 'A node subnet routes 0.0.0.0/0 or ::/0 to an internet gateway (explicit or main route table).',
  remediation:
    'Move the node group to private subnets (default route to a NAT gateway, not an internet gateway), or replace the internet-gateway route in the subnet\'s route table with a NAT gateway route; keep internet gateways for load-balancer subnets only.',
  needs: ['nodegroups', 'network'],
  evaluate(view) {
    const out: Violation[] = [];
    for (const s of view.subnets) {
      const subnetId = String(s.subnet.SubnetId);
      if (!s.routeTable) throw new Error(`route table of node subnet ${subnetId} could not be resolved`);
      const routes = internetGatewayDefaultRoutes(s.routeTable);
      if (routes.length === 0) continue;
      out.push({
        resourceType: RESOURCE.subnet,
        resourceId: subnetId,
        message: `node subnet ${subnetId} (used by ${list(s.usedBy)}) routes ${routes.map((r) => r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock).join(' and ')} to internet gateway ${routes[0].GatewayId} via ${s.routeTableIsMain ? 'the main' : 'its'} route table ${s.routeTable.RouteTableId}`,
        evidence: {
          subnetId,
          vpcId: s.subnet.VpcId,
          usedBy: s.usedBy,
          routeTableId: s.routeTable.RouteTableId,
          routeTableIsMain: s.routeTableIsMain,
          routes: routes.map((r) => ({
            DestinationCidrBlock: r.DestinationCidrBlock,
            DestinationIpv6CidrBlock: r.DestinationIpv6CidrBlock,
            GatewayId: r.GatewayId,
            State: r.State,
          })),
        },
      });
    }
    return out;
  },
};
