import type { Filter, Instance, NetworkAcl, RouteTable, SecurityGroup, Subnet, Tag } from '@aws-sdk/client-ec2';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';

/** For one filter name, the values a resource has (a filter matches when any of them matches any filter value). */
type Extractor<T> = (r: T) => (string | undefined)[];

export type FilterTable<T> = Record<string, Extractor<T>>;

function tagValues<T extends { Tags?: Tag[] }>(name: string): Extractor<T> | undefined {
  if (name === 'tag-key') return (r) => (r.Tags ?? []).map((t) => t.Key);
  if (name === 'tag-value') return (r) => (r.Tags ?? []).map((t) => t.Value);
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return (r) => (r.Tags ?? []).filter((t) => t.Key === key).map((t) => t.Value);
  }
  return undefined;
}

/** EC2 filter values accept `*` and `?` wildcards. */
function valueMatches(actual: string, pattern: string): boolean {
  if (!/[*?]/.test(pattern)) return actual === pattern;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(actual);
}

/**
 * Applies EC2 `Filters` the way EC2 does: different filter names AND, values of one filter OR. An unknown filter
 * name throws, so a caller relying on an unsupported filter fails loudly instead of silently receiving everything.
 */
export function applyFilters<T extends { Tags?: Tag[] }>(items: T[], filters: Filter[] | undefined, table: FilterTable<T>, what: string): T[] {
  if (!filters?.length) return items;
  const compiled = filters.map((f) => {
    const name = f.Name ?? '';
    const extract = table[name] ?? tagValues<T>(name);
    if (!extract) throw new Error(`world reader: unsupported ${what} filter "${name}" (supported: ${Object.keys(table).join(', ')}, tag:KEY, tag-key, tag-value)`);
    return { extract, values: f.Values ?? [] };
  });
  return items.filter((item) =>
    compiled.every(({ extract, values }) => {
      const actual = extract(item).filter((v): v is string => v !== undefined);
      return actual.some((a) => values.some((p) => valueMatches(a, p)));
    }),
  );
}

const bool = (b: boolean | undefined): string => String(b === true);

export const securityGroupFilters: FilterTable<SecurityGroup> = {
  'group-id': (g) => [g.GroupId],
  'group-name': (g) => [g.GroupName],
  'vpc-id': (g) => [g.VpcId],
  'owner-id': (g) => [g.OwnerId],
  'ip-permission.cidr': (g) => (g.IpPermissions ?? []).flatMap((p) => (p.IpRanges ?? []).map((r) => r.CidrIp)),
  'ip-permission.ipv6-cidr': (g) => (g.IpPermissions ?? []).flatMap((p) => (p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)),
  'ip-permission.group-id': (g) => (g.IpPermissions ?? []).flatMap((p) => (p.UserIdGroupPairs ?? []).map((r) => r.GroupId)),
  'ip-permission.prefix-list-id': (g) => (g.IpPermissions ?? []).flatMap((p) => (p.PrefixListIds ?? []).map((r) => r.PrefixListId)),
};

export const subnetFilters: FilterTable<Subnet> = {
  'subnet-id': (s) => [s.SubnetId],
  'vpc-id': (s) => [s.VpcId],
  'availability-zone': (s) => [s.AvailabilityZone],
  'map-public-ip-on-launch': (s) => [bool(s.MapPublicIpOnLaunch)],
};

export const routeTableFilters: FilterTable<RouteTable> = {
  'route-table-id': (t) => [t.RouteTableId],
  'vpc-id': (t) => [t.VpcId],
  'association.subnet-id': (t) => (t.Associations ?? []).map((a) => a.SubnetId),
  'association.route-table-id': (t) => (t.Associations ?? []).map((a) => a.RouteTableId),
  'association.route-table-association-id': (t) => (t.Associations ?? []).map((a) => a.RouteTableAssociationId),
  'association.gateway-id': (t) => (t.Associations ?? []).map((a) => a.GatewayId),
  // EC2 answers "false" for a table with only explicit associations and matches tables without associations by neither.
  'association.main': (t) => (t.Associations ?? []).map((a) => bool(a.Main)),
  'route.gateway-id': (t) => (t.Routes ?? []).map((r) => r.GatewayId),
  'route.destination-cidr-block': (t) => (t.Routes ?? []).map((r) => r.DestinationCidrBlock),
  'route.destination-prefix-list-id': (t) => (t.Routes ?? []).map((r) => r.DestinationPrefixListId),
};

export const networkAclFilters: FilterTable<NetworkAcl> = {
  'network-acl-id': (n) => [n.NetworkAclId],
  'vpc-id': (n) => [n.VpcId],
  default: (n) => [bool(n.IsDefault)],
  'association.subnet-id': (n) => (n.Associations ?? []).map((a) => a.SubnetId),
  'association.network-acl-id': (n) => (n.Associations ?? []).map((a) => a.NetworkAclId),
  'association.association-id': (n) => (n.Associations ?? []).map((a) => a.NetworkAclAssociationId),
};

const present = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))];

/** The subnets an instance has a network interface in. */
export const instanceSubnetIds = (i: Instance): string[] => present([i.SubnetId, ...(i.NetworkInterfaces ?? []).map((n) => n.SubnetId)]);

/** The security groups on any of an instance's network interfaces. */
export const instanceGroupIds = (i: Instance): string[] =>
  present([...(i.SecurityGroups ?? []).map((g) => g.GroupId), ...(i.NetworkInterfaces ?? []).flatMap((n) => (n.Groups ?? []).map((g) => g.GroupId))]);

const instanceSubnets: Extractor<Instance> = instanceSubnetIds;
const instanceGroups: Extractor<Instance> = instanceGroupIds;

export const instanceFilters: FilterTable<Instance> = {
  'instance-id': (i) => [i.InstanceId],
  'instance-state-name': (i) => [i.State?.Name],
  'vpc-id': (i) => [i.VpcId],
  'subnet-id': instanceSubnets,
  'network-interface.subnet-id': instanceSubnets,
  'instance.group-id': instanceGroups,
  'network-interface.group-id': instanceGroups,
  'network-interface.network-interface-id': (i) => (i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId),
  'key-name': (i) => [i.KeyName],
  'iam-instance-profile.arn': (i) => [i.IamInstanceProfile?.Arn],
  // DescribeInstances has no launch-template filter; EC2 tags such instances with aws:ec2launchtemplate:id, and the
  // SDK reader sends this filter as that tag filter (see LAUNCH_TEMPLATE_TAG).
  'launch-template-id': (i) => (i.Tags ?? []).filter((t) => t.Key === LAUNCH_TEMPLATE_TAG).map((t) => t.Value),
};

export const LAUNCH_TEMPLATE_TAG = 'aws:ec2launchtemplate:id';

/** DescribeAutoScalingGroups filters: the tag filters (`tag-key`, `tag-value`, `tag:KEY`) and nothing else. */
export const autoScalingGroupFilters: FilterTable<AutoScalingGroup> = {};
