import type { Filter, Instance, LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { AutoScalingGroup, Filter as AutoScalingFilter } from '@aws-sdk/client-auto-scaling';
import type { AwsReader } from './reader';
import { applyFilters, autoScalingGroupFilters, instanceFilters, networkAclFilters, routeTableFilters, securityGroupFilters, subnetFilters, type FilterTable } from './ec2Filters';
import { versionNamed } from './nodes';

/** The cluster tags that make an instance a node (inventory/nodes): one account-wide read holds every such instance. */
const NODE_TAG_KEYS = ['kubernetes.io/cluster/*', 'eks:cluster-name'];

type Query = { ids?: string[]; filters?: Filter[] };

/** Whether applyFilters knows every filter name (the table's, or a tag filter). */
function understood<T>(filters: Filter[] | undefined, table: FilterTable<T>): boolean {
  return (filters ?? []).every((f) => !!f.Name && (f.Name in table || f.Name === 'tag-key' || f.Name === 'tag-value' || f.Name.startsWith('tag:')));
}

/** A query that can only match instances carrying a cluster tag: answerable from the account-wide node read. */
function onlyNodes(filters: Filter[] | undefined): boolean {
  const clusterKey = (k: string) => /^kubernetes\.io\/cluster\/[^*?]+$/.test(k) || k === 'eks:cluster-name';
  return (filters ?? []).some(
    (f) => (f.Name === 'tag-key' && !!f.Values?.length && f.Values.every(clusterKey)) || (f.Name?.startsWith('tag:') && clusterKey(f.Name.slice(4))),
  );
}

function select<T extends { Tags?: { Key?: string; Value?: string }[] }>(all: T[], q: Query, idOf: (t: T) => string | undefined, table: FilterTable<T>, what: string): T[] {
  const wanted = q.ids && new Set(q.ids);
  return applyFilters(wanted ? all.filter((x) => wanted.has(idOf(x) ?? '')) : all, q.filters, table, what);
}

/**
 * A reader for one sweep (or scan of every cluster): the EC2 and Auto Scaling reads every cluster's view makes by
 * id or filter are answered from one account-wide read of each kind, made once, when first needed: every security
 * group, subnet, route table and network ACL, the instances tagged for any cluster, every Auto Scaling group, and
 * the latest and default version of every launch template. A sweep of 1,000 clusters then makes a few dozen EC2
 * requests instead of about 8,000, which EC2's request buckets (20 per second per action) would have spread over
 * minutes. Each cluster's query gets exactly what EC2 would answer (the filter semantics of ec2Filters, as the world
 * reader), from state read after the sweep began; a query the account-wide reads cannot answer exactly (another
 * filter, a template version that is neither the latest nor the default) goes to the reader. A failed read is
 * retried by the next query, never kept.
 */
export function withAccountReads(reader: AwsReader): AwsReader {
  const once = new Map<string, Promise<unknown>>();
  const all = <T>(key: string, read: () => Promise<T[]>): Promise<T[]> => {
    let p = once.get(key) as Promise<T[]> | undefined;
    if (!p) {
      p = read();
      once.set(key, p);
      p.catch(() => once.delete(key));
    }
    return p;
  };
  const templates = () =>
    all<LaunchTemplateVersion>('launchTemplates', () => reader.describeLaunchTemplateVersions({ versions: ['$Latest', '$Default'] }));

  const answered: Partial<AwsReader> = {
    async describeSecurityGroups(q) {
      if (!understood(q.filters, securityGroupFilters)) return reader.describeSecurityGroups(q);
      return select(await all('securityGroups', () => reader.describeSecurityGroups({})), { ids: q.groupIds, filters: q.filters }, (g) => g.GroupId, securityGroupFilters, 'security group');
    },
    async describeSubnets(q) {
      if (!understood(q.filters, subnetFilters)) return reader.describeSubnets(q);
      return select(await all('subnets', () => reader.describeSubnets({})), { ids: q.subnetIds, filters: q.filters }, (s) => s.SubnetId, subnetFilters, 'subnet');
    },
    async describeRouteTables(q) {
      if (!understood(q.filters, routeTableFilters)) return reader.describeRouteTables(q);
      return select(await all('routeTables', () => reader.describeRouteTables({})), { ids: q.routeTableIds, filters: q.filters }, (t) => t.RouteTableId, routeTableFilters, 'route table');
    },
    async describeNetworkAcls(q) {
      if (!understood(q.filters, networkAclFilters)) return reader.describeNetworkAcls(q);
      return select(await all('networkAcls', () => reader.describeNetworkAcls({})), { ids: q.networkAclIds, filters: q.filters }, (n) => n.NetworkAclId, networkAclFilters, 'network ACL');
    },
    async describeInstances(q) {
      if (!onlyNodes(q.filters) || !understood(q.filters, instanceFilters)) return reader.describeInstances(q);
      const nodes = await all<Instance>('nodes', () => reader.describeInstances({ filters: [{ Name: 'tag-key', Values: NODE_TAG_KEYS }] }));
      return select(nodes, { ids: q.instanceIds, filters: q.filters }, (i) => i.InstanceId, instanceFilters, 'instance');
    },
    async describeAutoScalingGroups(q: { names?: string[]; filters?: AutoScalingFilter[] }) {
      if (!understood(q.filters as Filter[] | undefined, autoScalingGroupFilters)) return reader.describeAutoScalingGroups(q);
      const groups = await all<AutoScalingGroup>('autoScalingGroups', () => reader.describeAutoScalingGroups({}));
      return select(groups, { ids: q.names, filters: q.filters as Filter[] | undefined }, (g) => g.AutoScalingGroupName, autoScalingGroupFilters, 'Auto Scaling group');
    },
    async describeLaunchTemplateVersions(q) {
      const found = (await templates()).filter((v) => (q.launchTemplateId !== undefined ? v.LaunchTemplateId === q.launchTemplateId : v.LaunchTemplateName === q.launchTemplateName));
      const picked = q.versions.map((want) => versionNamed(found, want));
      // A template created since, or an older version that is neither latest nor default: asked of EC2 itself.
      if (!found.length || (q.launchTemplateId === undefined && q.launchTemplateName === undefined) || picked.some((v) => !v)) return reader.describeLaunchTemplateVersions(q);
      return [...new Set(picked as LaunchTemplateVersion[])];
    },
  };

  return new Proxy(reader, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in answered) return answered[prop as keyof AwsReader];
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
