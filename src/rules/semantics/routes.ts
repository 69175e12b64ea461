import type { Route, RouteTable } from '@aws-sdk/client-ec2';
import type { PrefixListView } from '../../inventory/view';
import { culprits, internetVerdict, type InternetPolicy } from './internet';
import { addRange, difference, parseCidr, union, unionSets, type AddressSets, type Cidr } from './net';
import { prefixListCidrs } from './prefixLists';

/** A route that sends part of the address space to an internet gateway (`igw-`), once more specific routes are taken out. */
export interface GatewayRoute {
  route: Route;
  /** The destination as written: a CIDR or a prefix list id. */
  destination: string;
  /** The destinations this route actually wins (longest prefix match). */
  set: AddressSets;
}

const toInternetGateway = (r: Route) => typeof r.GatewayId === 'string' && r.GatewayId.startsWith('igw-') && r.State !== 'blackhole';

/**
 * The routes of a table that reach an internet gateway, evaluated as VPC routing does: the most specific route wins, so
 * 0.0.0.0/0 to a NAT gateway plus 0.0.0.0/1 and 128.0.0.0/1 to an internet gateway sends everything to the internet,
 * and a default route to an internet gateway shadowed by more specific NAT routes sends nothing there. Blackhole routes
 * win their destinations too (the traffic is dropped). Prefix-list destinations count by their entries; equal
 * prefixes are resolved in the internet gateway's favour (never a missed exposure). NAT, virtual private, egress-only
 * gateways and `local` are not internet gateways.
 */
function internetGatewayRoutes(rt: RouteTable, prefixLists: readonly PrefixListView[]): GatewayRoute[] {
  const dests: { route: Route; destination: string; cidr: Cidr }[] = [];
  for (const route of rt.Routes ?? []) {
    const plain = route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock;
    const cidrs = plain ? [plain] : route.DestinationPrefixListId ? prefixListCidrs(prefixLists, route.DestinationPrefixListId, `route table ${rt.RouteTableId}`).cidrs : [];
    const destination = plain ?? route.DestinationPrefixListId ?? '';
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      if (cidr) dests.push({ route, destination, cidr });
    }
  }
  dests.sort((a, b) => b.cidr.prefix - a.cidr.prefix || Number(toInternetGateway(b.route)) - Number(toInternetGateway(a.route)));
  const claimed: AddressSets = { 4: [], 6: [] };
  const out = new Map<Route, GatewayRoute>();
  for (const d of dests) {
    const won = difference([[d.cidr.start, d.cidr.end]], claimed[d.cidr.family]);
    claimed[d.cidr.family] = addRange(claimed[d.cidr.family], d.cidr.start, d.cidr.end);
    if (!won.length || !toInternetGateway(d.route)) continue;
    const g = out.get(d.route) ?? { route: d.route, destination: d.destination, set: { 4: [], 6: [] } };
    g.set[d.cidr.family] = union(g.set[d.cidr.family], won);
    out.set(d.route, g);
  }
  return [...out.values()];
}

const unionOf = (routes: readonly GatewayRoute[]): AddressSets => routes.reduce((acc, r) => unionSets(acc, r.set), { 4: [], 6: [] } as AddressSets);

/** Whether a route table sends the internet to an internet gateway: the verdict and the routes responsible, or undefined. */
export function internetRoutes(rt: RouteTable, prefixLists: readonly PrefixListView[], policy: InternetPolicy): { verdict: string; routes: GatewayRoute[] } | undefined {
  const routes = internetGatewayRoutes(rt, prefixLists);
  const verdict = internetVerdict(unionOf(routes), policy);
  return verdict ? { verdict, routes: culprits(routes, unionOf, policy).culprits } : undefined;
}
