import type { Cluster } from '@aws-sdk/client-eks';
import type { Filter } from '@aws-sdk/client-ec2';
import type { Filter as AutoScalingFilter } from '@aws-sdk/client-auto-scaling';
import type { AccessEntryView, AwsReader, KubernetesState } from '../src/inventory/reader';
import type { Clock } from './clock';

/** What the reader was asked since the last reset. */
export interface CallStats {
  /** AWS API calls, counted as the SDK reader would make them (pages, and the per-entry calls behind `listAccessEntries`). */
  apiCalls: number;
  byOperation: Record<string, number>;
  /** Kubernetes API requests (not AWS: no AWS throttling, but latency all the same). */
  kubernetesCalls: number;
  /** Most AWS calls in flight at once (never above the limit: excess calls queue). */
  maxConcurrent: number;
  /** Most AWS calls wanted at once (in flight + queued): what the caller would do without the limit. */
  maxWanted: number;
  /** Time calls spent waiting for a per-operation rate limit (e.g. LookupEvents' 2 per second), summed over calls. */
  rateLimitWaitMs: number;
  /**
   * Real time spent inside the wrapped reader. The world reader answers synchronously (its async methods never
   * await), so this is its CPU: simulation overhead a Lambda does not have (it parses SDK responses instead).
   */
  innerMs: number;
}

export interface CountingReaderOptions {
  clock: Clock;
  /** Simulated latency of one AWS (or Kubernetes) request. */
  latencyMs: number;
  /** Most AWS calls in flight at once, like an SDK client's connection pool under account throttling. */
  concurrency: number;
  /**
   * The live reader asks STS once per process (the account id does not change); counting it once mirrors a warm Lambda.
   */
  cacheIdentity?: boolean;
  /**
   * Per-operation token buckets AWS enforces per account and region. Calls beyond them wait for their token (the
   * optimistic model: a real client is throttled, backs off and retries, which is slower).
   */
  rateLimits?: Record<string, RateLimit>;
  /**
   * What-if: LookupEvents pages for one event name are fetched once per measurement and shared (as a per-sweep cache
   * of CreateCluster records would do). Off by default: the live reader pages them for every cluster.
   */
  shareLookupEvents?: boolean;
}

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * Documented per-account, per-region limits that bite at this scale. CloudTrail LookupEvents: 2 requests per
 * second. EC2 non-mutating actions (Describe* with ids or filters): a bucket of 100 per action, refilled at 20 per
 * second. EKS publishes no per-action figures; it is left unlimited.
 */
const EC2_DESCRIBE: RateLimit = { perSecond: 20, burst: 100 };
export const DEFAULT_RATE_LIMITS: Record<string, RateLimit> = {
  'cloudtrail:LookupEvents': { perSecond: 2, burst: 1 },
  'ec2:DescribeSecurityGroups': EC2_DESCRIBE,
  'ec2:DescribeSubnets': EC2_DESCRIBE,
  'ec2:DescribeRouteTables': EC2_DESCRIBE,
  'ec2:DescribeNetworkAcls': EC2_DESCRIBE,
  'ec2:DescribeLaunchTemplateVersions': EC2_DESCRIBE,
  'ec2:DescribeInstances': EC2_DESCRIBE,
};

/** A FIFO counting semaphore. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`semaphore limit must be >= 1, got ${limit}`);
  }
  get inUse(): number {
    return this.active;
  }
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else this.active--;
  }
}

// Page sizes of the paginated APIs (their maximum MaxResults), so large accounts pay for every page.
const PAGE = { listClusters: 100, listNodegroups: 100, listAccessEntries: 100, clusterVersions: 100, lookupEvents: 50, ec2Describe: 1000, launchTemplateVersions: 200, kubernetesList: 500, iamList: 100, autoScaling: 100 } as const;

const pages = (items: number, size: number): number => Math.max(1, Math.ceil(items / size));

/**
 * Wraps an AwsReader (the world reader in the bench): counts the AWS API calls each method stands for, makes each one
 * take `latencyMs` on the clock, and lets at most `concurrency` of them run at once.
 */
export class CountingReader implements AwsReader {
  private stats: CallStats = CountingReader.empty();
  private wanted = 0;
  private identityCache?: { account: string; region: string };
  private readonly sem: Semaphore;
  /** Per operation, the theoretical arrival time of the next request (the generic cell rate algorithm's state). */
  private readonly nextFreeAt: Record<string, number> = {};
  private readonly lookupPages = new Map<string, Promise<void>>();

  constructor(
    private readonly inner: AwsReader,
    private readonly opts: CountingReaderOptions,
  ) {
    this.sem = new Semaphore(opts.concurrency);
  }

  private static empty(): CallStats {
    return { apiCalls: 0, byOperation: {}, kubernetesCalls: 0, maxConcurrent: 0, maxWanted: 0, rateLimitWaitMs: 0, innerMs: 0 };
  }

  /**
   * Starts a new measurement; calls still in flight finish into it. Rate-limit budgets start afresh too: measured
   * events are taken to arrive far enough apart (over a second) not to share LookupEvents' 2 requests per second.
   */
  reset(): void {
    this.stats = CountingReader.empty();
    for (const k of Object.keys(this.nextFreeAt)) delete this.nextFreeAt[k];
    this.lookupPages.clear();
  }

  snapshot(): CallStats {
    return { ...this.stats, byOperation: { ...this.stats.byOperation } };
  }

  /** Calls the wrapped reader, timing its synchronous part (all of it, for the world reader). */
  private timed<T>(f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const p = f();
    this.stats.innerMs += performance.now() - t0;
    return p;
  }

  /** Waits for the operation's next free turn under its rate limit, without holding a connection slot. */
  private async rateLimit(operation: string): Promise<void> {
    const limit = (this.opts.rateLimits ?? DEFAULT_RATE_LIMITS)[operation];
    if (!limit) return;
    // A token bucket as a virtual schedule: each request advances the schedule by one interval; up to `burst - 1`
    // intervals of advance are absorbed by the bucket, beyond that the request waits.
    const interval = 1000 / limit.perSecond;
    const now = this.opts.clock.now();
    const tat = this.nextFreeAt[operation] ?? -Infinity;
    const start = Math.max(now, tat - (limit.burst - 1) * interval);
    this.nextFreeAt[operation] = Math.max(tat, start) + interval;
    if (start > now) {
      this.stats.rateLimitWaitMs += start - now;
      await this.opts.clock.sleep(start - now);
    }
  }

  /** One AWS request: waits for its rate limit and a slot, then for the latency. */
  private async call(operation: string): Promise<void> {
    this.stats.apiCalls++;
    this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
    this.wanted++;
    this.stats.maxWanted = Math.max(this.stats.maxWanted, this.wanted);
    await this.rateLimit(operation);
    await this.sem.acquire();
    this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.sem.inUse);
    try {
      await this.opts.clock.sleep(this.opts.latencyMs);
    } finally {
      this.sem.release();
      this.wanted--;
    }
  }

  /** Sequential pages of one paginated operation. */
  private async paged(operation: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.call(operation);
  }

  /** A read that is one request. */
  private async single<T>(operation: string, read: () => Promise<T>): Promise<T> {
    const r = await this.timed(read);
    await this.call(operation);
    return r;
  }

  /** A read that pages `pageSize` items at a time (one request when it finds nothing). */
  private async list<T extends readonly unknown[] | undefined>(operation: string, pageSize: number, read: () => Promise<T>): Promise<T> {
    const r = await this.timed(read);
    await this.paged(operation, pages(r?.length ?? 0, pageSize));
    return r;
  }

  async identity(): Promise<{ account: string; region: string }> {
    if (this.opts.cacheIdentity !== false && this.identityCache) return this.identityCache;
    const id = await this.timed(() => this.inner.identity());
    await this.call('sts:GetCallerIdentity');
    this.identityCache = id;
    return id;
  }

  listClusters = () => this.list('eks:ListClusters', PAGE.listClusters, () => this.inner.listClusters());
  describeCluster = (name: string) => this.single('eks:DescribeCluster', () => this.inner.describeCluster(name));
  listNodegroups = (cluster: string) => this.list('eks:ListNodegroups', PAGE.listNodegroups, () => this.inner.listNodegroups(cluster));
  describeNodegroup = (cluster: string, nodegroup: string) => this.single('eks:DescribeNodegroup', () => this.inner.describeNodegroup(cluster, nodegroup));

  /** ListAccessEntries, then DescribeAccessEntry and ListAssociatedAccessPolicies for each entry, in parallel. */
  async listAccessEntries(cluster: string): Promise<AccessEntryView[]> {
    const r = await this.timed(() => this.inner.listAccessEntries(cluster));
    await this.paged('eks:ListAccessEntries', pages(r.length, PAGE.listAccessEntries));
    await Promise.all(r.flatMap(() => [this.call('eks:DescribeAccessEntry'), this.call('eks:ListAssociatedAccessPolicies')]));
    return r;
  }

  describeAddon = (cluster: string, addonName: string) => this.single('eks:DescribeAddon', () => this.inner.describeAddon(cluster, addonName));
  describeClusterVersions = () => this.list('eks:DescribeClusterVersions', PAGE.clusterVersions, () => this.inner.describeClusterVersions());

  get recordedAt(): Date | undefined {
    return this.inner.recordedAt;
  }

  describeSecurityGroups = (q: { groupIds?: string[]; filters?: Filter[] }) => this.list('ec2:DescribeSecurityGroups', PAGE.ec2Describe, () => this.inner.describeSecurityGroups(q));
  describeSubnets = (q: { subnetIds?: string[]; filters?: Filter[] }) => this.list('ec2:DescribeSubnets', PAGE.ec2Describe, () => this.inner.describeSubnets(q));
  describeRouteTables = (q: { routeTableIds?: string[]; filters?: Filter[] }) => this.list('ec2:DescribeRouteTables', PAGE.ec2Describe, () => this.inner.describeRouteTables(q));
  describeNetworkAcls = (q: { networkAclIds?: string[]; filters?: Filter[] }) => this.list('ec2:DescribeNetworkAcls', PAGE.ec2Describe, () => this.inner.describeNetworkAcls(q));

  /** One request for a template's versions; the latest/default versions of every template page 200 at a time. */
  async describeLaunchTemplateVersions(q: { launchTemplateId?: string; launchTemplateName?: string; versions: string[] }) {
    const r = await this.timed(() => this.inner.describeLaunchTemplateVersions(q));
    await this.paged('ec2:DescribeLaunchTemplateVersions', q.launchTemplateId || q.launchTemplateName ? 1 : pages(r.length, PAGE.launchTemplateVersions));
    return r;
  }

  describeInstances = (q: { instanceIds?: string[]; filters?: Filter[] }) => this.list('ec2:DescribeInstances', PAGE.ec2Describe, () => this.inner.describeInstances(q));
  describeManagedPrefixLists = (q: { prefixListIds: string[] }) => this.list('ec2:DescribeManagedPrefixLists', PAGE.ec2Describe, () => this.inner.describeManagedPrefixLists(q));
  getManagedPrefixListEntries = (prefixListId: string) => this.list('ec2:GetManagedPrefixListEntries', PAGE.ec2Describe, () => this.inner.getManagedPrefixListEntries(prefixListId));

  describeTrails = () => this.single('cloudtrail:DescribeTrails', () => this.inner.describeTrails());
  getTrailStatus = (trailArn: string) => this.single('cloudtrail:GetTrailStatus', () => this.inner.getTrailStatus(trailArn));
  getEventSelectors = (trailArn: string) => this.single('cloudtrail:GetEventSelectors', () => this.inner.getEventSelectors(trailArn));

  /**
   * LookupEvents takes a single lookup attribute: the live reader asks by EventName and matches the resource itself,
   * so it pages through every record of that name (all CreateCluster calls of the last 90 days), not just the match.
   */
  async lookupEvents(q: { eventName: string; resourceName?: string }) {
    const all = await this.timed(() => this.inner.lookupEvents({ eventName: q.eventName }));
    const r = q.resourceName === undefined ? all : await this.timed(() => this.inner.lookupEvents(q));
    if (!this.opts.shareLookupEvents) {
      await this.paged('cloudtrail:LookupEvents', pages(all.length, PAGE.lookupEvents));
      return r;
    }
    let fetched = this.lookupPages.get(q.eventName);
    if (!fetched) {
      fetched = this.paged('cloudtrail:LookupEvents', pages(all.length, PAGE.lookupEvents));
      this.lookupPages.set(q.eventName, fetched);
    }
    await fetched;
    return r;
  }

  /**
   * What src/inventory/kubernetes.ts requests: a GET of aws-auth and four lists in parallel (Namespaces,
   * NetworkPolicies, Calico GlobalNetworkPolicies and NetworkPolicies), each paged 500 objects at a time.
   */
  async readKubernetes(cluster: Cluster): Promise<KubernetesState | undefined> {
    const r = await this.timed(() => this.inner.readKubernetes(cluster));
    const lists = [r?.namespaces, r?.networkPolicies, r?.calicoGlobalNetworkPolicies, r?.calicoNetworkPolicies].map((l) => pages(l?.length ?? 0, PAGE.kubernetesList));
    this.stats.kubernetesCalls += 1 + lists.reduce((a, b) => a + b, 0);
    const sequence = async (n: number) => {
      for (let i = 0; i < n; i++) await this.opts.clock.sleep(this.opts.latencyMs);
    };
    await Promise.all([sequence(1), ...lists.map(sequence)]);
    return r;
  }

  // ---- IAM (one request each; the lists page by 100)

  getRole = (roleName: string) => this.single('iam:GetRole', () => this.inner.getRole(roleName));
  listAttachedRolePolicies = (roleName: string) => this.list('iam:ListAttachedRolePolicies', PAGE.iamList, () => this.inner.listAttachedRolePolicies(roleName));
  listRolePolicies = (roleName: string) => this.list('iam:ListRolePolicies', PAGE.iamList, () => this.inner.listRolePolicies(roleName));
  getRolePolicy = (roleName: string, policyName: string) => this.single('iam:GetRolePolicy', () => this.inner.getRolePolicy(roleName, policyName));
  getPolicy = (policyArn: string) => this.single('iam:GetPolicy', () => this.inner.getPolicy(policyArn));
  getPolicyVersion = (policyArn: string, versionId: string) => this.single('iam:GetPolicyVersion', () => this.inner.getPolicyVersion(policyArn, versionId));
  getInstanceProfile = (name: string) => this.single('iam:GetInstanceProfile', () => this.inner.getInstanceProfile(name));
  listInstanceProfilesForRole = (roleName: string) => this.list('iam:ListInstanceProfilesForRole', PAGE.iamList, () => this.inner.listInstanceProfilesForRole(roleName));

  /** Paged 100 items (roles and policies) at a time, the API's default page. */
  async getAccountAuthorizationDetails() {
    const r = await this.timed(() => this.inner.getAccountAuthorizationDetails());
    await this.paged('iam:GetAccountAuthorizationDetails', pages(r.roles.length + r.policies.length, PAGE.iamList));
    return r;
  }

  // ---- Auto Scaling

  describeAutoScalingGroups = (q: { names?: string[]; filters?: AutoScalingFilter[] }) => this.list('autoscaling:DescribeAutoScalingGroups', PAGE.autoScaling, () => this.inner.describeAutoScalingGroups(q));
  describeLaunchConfigurations = (names: string[]) => this.list('autoscaling:DescribeLaunchConfigurations', PAGE.autoScaling, () => this.inner.describeLaunchConfigurations(names));
}
