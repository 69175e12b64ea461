import { clusterArnOf } from './arn';
import type { AwsReader } from './inventory/reader';
import { ReadError } from './inventory/reader';
import type { Config } from './configSchema';
import type { Finding, NotEvaluated } from './findings/finding';
import { notices, type Changes, type Delivery, type FindingStore, type Notice, type ScopeRef } from './findings/store';
import { CAUSES, cloudTrailTrigger, type Cause, type SweepTrigger, type Trigger } from './findings/trigger';
import { buildAccountView, buildClusterView } from './inventory/buildView';
import { cloudTrailCreatorSource, creatorRecordsOf, liveCreatorEvent, liveRecordSource, storedCreatorSource, type CreatorSource } from './inventory/creator';
import type { StateStore } from './findings/stateStore';
import { clusterFacts } from './events/clusterIndex';
import { withSharedLookups } from './inventory/sharedLookups';
import { withAccountReads } from './inventory/accountReads';
import { AWS_POLICY_MAX_AGE_MS, withKeptAwsPolicies } from './inventory/awsManagedPolicies';
import { withKeptTemplateVersions } from './inventory/keptTemplateVersions';
import { evaluateAccount, evaluateCluster, neededParts, rootUserFinding } from './rules/engine/evaluate';
import { RULES } from './rules/engine/catalog';
import { classifyEvent } from './events/classify';
import { rulesForRole } from './events/catalog';
import type { CloudTrailRecord } from './events/schema';
import { createdCluster, otherRegion } from './events/origin';
import { resolveAffectedClusters, type ClusterIndexCache } from './events/resolve';
import { buildNotifications, type NotificationInput, type SnsNotification } from './notify/message';
import { buildDigest } from './notify/digest';
import type { Logger } from './log';

export interface PipelineDeps {
  reader: AwsReader;
  store: FindingStore;
  config: Config;
  log: Logger;
  /** Publishes to SNS in Lambda; absent in `replay` and `sweep`, which only print what would be published. */
  publish?: (notifications: SnsNotification[]) => Promise<void>;
  /** Shared between events of one process (a warm Lambda, one replay run) so resolution does not rebuild it. */
  indexCache?: ClusterIndexCache;
  /**
   * The cluster index and CreateCluster records kept beside the findings (src/findings/stateStore.ts): the same store
   * as `store` in Lambda (the table) and with `--state` (the file); `indexCache` should be built on it.
   */
  state?: StateStore;
  /** When an evaluation begins reading (the time that orders verdicts); tests inject it. */
  clock?: () => Date;
}

export interface ScopeOutcome {
  cluster: string | null;
  clusterArn: string | null;
  deleted: boolean;
  changes: Changes;
  notEvaluated: NotEvaluated[];
  /** The changes this invocation published for the scope (its own, and earlier ones left pending there). */
  published: Notice[];
  notifications: SnsNotification[];
}

export interface EventOutcome {
  eventId?: string;
  eventName?: string;
  status: 'processed' | 'ignored' | 'invalid';
  reason?: string;
  clusters: string[];
  scopes: ScopeOutcome[];
  /** Every open finding of the affected scopes after the evaluation. */
  findings: Finding[];
}

const CLUSTER_RULE_IDS = RULES.filter((r) => r.scope === 'cluster').map((r) => r.id);
const ACCOUNT_RULE_IDS = RULES.filter((r) => r.scope === 'account').map((r) => r.id);

/**
 * An event publishes what calls did and what sweeps left undelivered; first-check findings (a rule or a cluster
 * never checked before) wait for the next sweep's digest, so a burst of events right after a deployment or a new
 * rule never pages one message per cluster for old debt.
 */
export const EVENT_DELIVERS: readonly Cause[] = ['event', 'sweep'];
/**
 * Clusters swept at once. Their calls share the reader's connections (the bench: 10): past 8, the AWS calls are the
 * limit, not the clusters waiting for them (docs/PERFORMANCE.md, "by cluster concurrency").
 */
export const DEFAULT_SWEEP_CONCURRENCY = 8;
/** A sweep's deliveries stay its own until its digest is out (the sweep Lambda's timeout). */
const SWEEP_LEASE_MS = 15 * 60_000;

type Ids = { account: string; region: string };
interface EvalOptions {
  /** The causes this invocation publishes (events: not first-check). */
  deliver: readonly Cause[];
  leaseMs?: number;
  /** The trigger created this cluster (CreateCluster). */
  createsScope?: boolean;
  /** Where the cluster's CreateCluster record is looked for (creatorSourcesFor): not stored with the findings. */
  creatorSources?: readonly CreatorSource[];
}

/**
 * Where a cluster's CreateCluster record is looked for, in order (inventory/creator): the EKS CreateCluster call
 * being processed, when it is one; the records the state store keeps (they never change, and LookupEvents forgets
 * them after 90 days); then CloudTrail LookupEvents, whose finds are kept in the store for the next evaluation.
 */
export function creatorSourcesFor(deps: Pick<PipelineDeps, 'reader' | 'state'>, record?: CloudTrailRecord): CreatorSource[] {
  const live = record && createdCluster(record) !== undefined ? [liveRecordSource(record)] : [];
  const { state } = deps;
  return [...live, ...(state ? [storedCreatorSource(state)] : []), cloudTrailCreatorSource(deps.reader, state && ((records) => state.keepCreatorRecords(records)))];
}

/**
 * The reader an evaluation reads through: what cannot have changed comes from the store — launch template versions
 * pinned by number, and AWS managed policies' default versions as checked since `freshSince` (an event: within
 * AWS_POLICY_MAX_AGE_MS; a sweep: since it began, so every sweep asks IAM once per policy and keeps what it found).
 * `between` goes under the kept versions (the sweep's account-wide reads, so what they answer is kept too). Without a
 * store, every read is live.
 */
function keptReads(deps: Pick<PipelineDeps, 'reader' | 'state' | 'clock'>, freshSince: Date, between: (r: AwsReader) => AwsReader = (r) => r): AwsReader {
  const { state } = deps;
  if (!state) return between(deps.reader);
  return withKeptTemplateVersions(between(withKeptAwsPolicies(deps.reader, state, { freshSince, now: deps.clock })), state);
}

/**
 * Re-reads one cluster and reconciles its findings for `ruleIds`. A cluster that no longer exists resolves every
 * finding it had; a rule that could not be evaluated keeps its stored findings and is reported as not evaluated.
 */
export async function reconcileCluster(deps: PipelineDeps, ids: Ids, name: string, ruleIds: readonly string[], trigger: Trigger, o: EvalOptions): Promise<Omit<ScopeOutcome, 'published' | 'notifications'>> {
  const { creatorSources = creatorSourcesFor(deps), ...stored } = o;
  const readAt = (deps.clock ?? (() => new Date()))();
  const view = await buildClusterView(deps.reader, name, neededParts(ruleIds), ids, { creatorSources, now: readAt });
  const clusterArn = view?.arn ?? clusterArnOf(name, ids.account, ids.region);
  const result = view ? evaluateCluster(view, deps.config, ruleIds) : { findings: [], notEvaluated: [], evaluatedRuleIds: CLUSTER_RULE_IDS };
  const changes = await deps.store.reconcile(
    { ...ids, cluster: name, clusterArn, ruleIds: result.evaluatedRuleIds, findings: result.findings, trigger, readAt, ...stored },
    deps.config.suppressions,
  );
  // What the read found out about the cluster's make-up refreshes the cluster index (stored when it changed).
  const facts = view ? (view.loaded.has('nodegroups') ? clusterFacts(name, view.cluster, view.nodegroups) : undefined) : null;
  if (facts !== undefined) await deps.indexCache?.learn(name, facts, readAt);
  return { cluster: name, clusterArn, deleted: !view, changes, notEvaluated: logNotEvaluated(deps, ids, result.notEvaluated) };
}

export async function reconcileAccount(deps: PipelineDeps, ids: Ids, trigger: Trigger, o: EvalOptions): Promise<Omit<ScopeOutcome, 'published' | 'notifications'>> {
  const readAt = (deps.clock ?? (() => new Date()))();
  const view = await buildAccountView(deps.reader, ids);
  const result = evaluateAccount(view, deps.config);
  const changes = await deps.store.reconcile(
    { ...ids, cluster: null, clusterArn: null, ruleIds: result.evaluatedRuleIds, findings: result.findings, trigger, readAt, ...o },
    deps.config.suppressions,
  );
  return { cluster: null, clusterArn: null, deleted: false, changes, notEvaluated: logNotEvaluated(deps, ids, result.notEvaluated) };
}

function logNotEvaluated(deps: PipelineDeps, ids: Ids, notEvaluated: NotEvaluated[]): NotEvaluated[] {
  for (const n of notEvaluated) {
    deps.log.log('warn', 'rule not evaluated', { ...ids, ...n });
    // The rule is in the log line: a ruleId dimension would make a CloudWatch series per rule and function.
    deps.log.metric('RulesNotEvaluated');
  }
  return notEvaluated;
}

/**
 * Publishes the notices of one scope for `causes`, one message per (trigger, cause), then acknowledges them. A
 * failed publish gives the deliveries up (the next invocation delivers them: nothing is lost) and throws.
 */
async function publishScope(deps: PipelineDeps, ids: Ids, scope: Pick<ScopeOutcome, 'cluster' | 'clusterArn'>, deliveries: readonly Delivery[], causes: readonly Cause[]): Promise<{ published: Notice[]; notifications: SnsNotification[] }> {
  const published = notices(deliveries).filter((n) => causes.includes(n.cause));
  const notifications = messagesOf(ids, scope, published);
  await publishOrRelease(deps, notifications, deliveries);
  await deps.store.acknowledge(deliveries, causes);
  countPublished(deps, published);
  return { published, notifications };
}

/** One message per (trigger, cause) of a scope; suppressions in messages of their own (buildNotifications). */
function messagesOf(ids: Ids, scope: Pick<ScopeOutcome, 'cluster' | 'clusterArn'>, published: readonly Notice[]): SnsNotification[] {
  const groups = new Map<string, { trigger: Trigger; cause: Cause; changes: Required<NotificationInput['changes']> }>();
  for (const n of published) {
    const k = `${n.delivery.eventId}\u0000${n.cause}`;
    if (!groups.has(k)) groups.set(k, { trigger: n.trigger, cause: n.cause, changes: { opened: [], escalated: [], resolved: [], suppressed: [] } });
    const { changes } = groups.get(k)!;
    if (n.change === 'escalated') changes.escalated.push({ finding: n.finding, previousSeverity: n.previousSeverity ?? n.finding.severity });
    else changes[n.change].push(n.finding);
  }
  return [...groups.values()].flatMap((g) => buildNotifications({ ...ids, ...scope, trigger: g.trigger, cause: g.cause, changes: g.changes }));
}

async function publishOrRelease(deps: PipelineDeps, notifications: SnsNotification[], deliveries: readonly Delivery[]): Promise<void> {
  if (!notifications.length || !deps.publish) return;
  try {
    await deps.publish(notifications);
  } catch (e) {
    deps.log.metric('PublishFailures');
    await deps.store.release(deliveries).catch((r: unknown) => deps.log.log('error', 'could not release deliveries', { error: String(r) }));
    throw e;
  }
}

function countPublished(deps: PipelineDeps, published: readonly Notice[]): void {
  for (const cause of CAUSES) {
    const opened = published.filter((n) => n.cause === cause && n.change === 'opened').length;
    const resolved = published.filter((n) => n.cause === cause && n.change === 'resolved').length;
    if (opened) deps.log.metric('FindingsOpened', opened, { cause });
    if (resolved) deps.log.metric('FindingsResolved', resolved, { cause });
  }
}

/** Publishes what an event's evaluation of one scope changed (and what earlier ones left pending there). */
export async function publishEvaluation(deps: PipelineDeps, ids: Ids, scope: Omit<ScopeOutcome, 'published' | 'notifications'>): Promise<ScopeOutcome> {
  return { ...scope, ...(await publishScope(deps, ids, scope, scope.changes.deliveries, EVENT_DELIVERS)) };
}

/**
 * The Lambda pipeline for one EventBridge event: classify, resolve the clusters it touched, re-read and evaluate
 * them, reconcile with the stored findings, publish what changed. The event only says where to look.
 * Invalid and ignored events return an outcome (logged and counted), never throw; a read failure that leaves the
 * affected clusters unknown (throttling, AccessDenied while resolving) throws, so Lambda retries and then keeps the
 * event in the dead-letter queue instead of dropping it (the next sweep finds what it would have found). A failed
 * publish throws too, after leaving the changes pending in the store for whichever invocation comes next.
 */
export async function processEvent(raw: unknown, deps: PipelineDeps): Promise<EventOutcome> {
  const c = classifyEvent(raw);
  if (c.status === 'invalid') {
    deps.log.log('error', 'invalid event', { eventId: c.eventId, reason: c.reason });
    deps.log.metric('InvalidEvents');
    return { eventId: c.eventId, status: 'invalid', reason: c.reason, clusters: [], scopes: [], findings: [] };
  }
  const { record } = c;
  const base = { eventId: record.eventID, eventName: record.eventName };
  const ignore = (reason: string, level: 'info' | 'warn' = 'info'): EventOutcome => {
    deps.log.log(level, 'event ignored', { ...base, reason });
    deps.log.metric('IgnoredEvents');
    return { ...base, status: 'ignored', reason, clusters: [], scopes: [], findings: [] };
  };
  if (c.status === 'ignored') return ignore(c.reason);

  const ids = await deps.reader.identity();
  const eventAccount = record.recipientAccountId ?? c.envelope.account;
  if (eventAccount && eventAccount !== ids.account) return ignore(`event from account ${eventAccount}, this deployment reads account ${ids.account}`, 'warn');
  const elsewhere = otherRegion(record, ids.region);
  if (elsewhere) return ignore(elsewhere, 'warn');

  const trigger = cloudTrailTrigger(record);
  const o: EvalOptions = { deliver: EVENT_DELIVERS };
  const scopes: ScopeOutcome[] = [];

  if (c.rootUser) {
    const f = rootUserFinding(
      {
        ...ids,
        eventID: record.eventID,
        eventName: record.eventName,
        eventSource: record.eventSource,
        eventTime: record.eventTime,
        sourceIPAddress: record.sourceIPAddress,
        userAgent: record.userAgent,
        userIdentityArn: record.userIdentity?.arn,
      },
      deps.config,
    );
    if (f) {
      const changes = await deps.store.reconcile({ ...ids, cluster: null, clusterArn: null, ruleIds: [f.ruleId], findings: [f], trigger, mode: 'add', ...o }, deps.config.suppressions);
      scopes.push(await publishEvaluation(deps, ids, { cluster: null, clusterArn: null, deleted: false, changes, notEvaluated: [] }));
    }
  }

  const ruleIds = c.entry.rules;
  if (c.refs.accountLevel) {
    scopes.push(await publishEvaluation(deps, ids, await reconcileAccount(deps, ids, trigger, o)));
  }

  const clusterRuleIds = ruleIds.filter((id) => CLUSTER_RULE_IDS.includes(id));
  // One event is one moment: resolution and the clusters it finds share CloudTrail and IAM reads (a creator role's
  // change can touch every cluster it created). Resolution keeps the plain reader, the key of the warm cluster index.
  const now = (deps.clock ?? (() => new Date()))();
  const eventDeps = { ...deps, reader: withSharedLookups(keptReads(deps, new Date(now.getTime() - AWS_POLICY_MAX_AGE_MS))) };
  const created = createdCluster(record);
  // A CreateCluster record never changes: kept at once, so no later evaluation waits for LookupEvents to find it.
  if (created !== undefined) await deps.state?.keepCreatorRecords([{ cluster: created, event: liveCreatorEvent(record) }]);
  const creatorSources = creatorSourcesFor(eventDeps, record);
  // Every watched call re-evaluates some rule (the catalog's test): one with no cluster rule is account-level.
  const resolved = clusterRuleIds.length ? await resolveAffectedClusters(deps.reader, c.refs, deps.indexCache, creatorSources) : { clusters: [], reason: undefined };
  // A role's change re-checks, on each cluster, only the rules of what the role is there (creator, node role).
  const evaluated = resolved.clusters.map((name) => {
    const capacities = resolved.roleCapacities?.[name];
    return { name, capacities, rules: capacities ? rulesForRole(clusterRuleIds, capacities) : clusterRuleIds };
  });
  const judged = evaluated.filter((e) => e.rules.length);
  for (const { name, rules } of judged) {
    const scope = await reconcileCluster(eventDeps, ids, name, rules, trigger, { ...o, createsScope: name === created, creatorSources });
    scopes.push(await publishEvaluation(deps, ids, scope));
  }

  if (!scopes.length) {
    const idle = evaluated.map((e) => `${e.name} (${(e.capacities ?? []).map((c) => `${c} role`).join(', ')} there)`);
    const unread = idle.length ? `${record.eventName} changes nothing a rule reads of IAM role ${c.refs.roleNames.join(', ')} on ${idle.join(', ')}` : undefined;
    return ignore(resolved.reason ?? unread ?? 'the call touched no EKS cluster');
  }
  return { ...base, status: 'processed', clusters: judged.map((e) => e.name), scopes, findings: openFindings(scopes) };
}

/** How many findings the scopes' evaluations opened, escalated and resolved (published now or left for the digest). */
export function changeCounts(scopes: readonly ScopeOutcome[]): { opened: number; escalated: number; resolved: number } {
  const count = (k: 'opened' | 'escalated' | 'resolved') => scopes.reduce((n, s) => n + s.changes[k].length, 0);
  return { opened: count('opened'), escalated: count('escalated'), resolved: count('resolved') };
}

/** Every open finding of the scopes, as each scope's last reconciliation left it (the account scope once). */
export function openFindings(scopes: readonly ScopeOutcome[]): Finding[] {
  const byScope = new Map<string, Finding[]>();
  for (const s of scopes) byScope.set(s.clusterArn ?? 'account', s.changes.open);
  return [...byScope.values()].flat();
}

export interface SweepOutcome {
  sweepId: string;
  clusters: string[];
  /** The store was empty: everything this sweep found is the deployment's baseline. */
  baseline: boolean;
  scopes: ScopeOutcome[];
  /** The one first-check digest (absent when the sweep found nothing first-check). */
  digest?: SnsNotification;
  /** Every change published: per cluster (event, sweep) and in the digest (first-check). */
  published: Notice[];
  /** Clusters that could not be read, and publications SNS refused (their changes wait in the store). */
  errors: { cluster: string | null; stage: 'read' | 'publish'; error: string }[];
}

export interface SweepOptions {
  now?: Date;
  concurrency?: number;
  sweepId?: string;
  /** Called as each cluster is done (the CLI's progress line). */
  onProgress?: (done: number, total: number, cluster: string) => void;
}

/**
 * The scheduled sweep: every cluster and the account, all rules. Catches missed events, resolves findings of
 * clusters deleted while nobody watched, delivers every change an earlier invocation left unpublished, and sends
 * everything first-check — the baseline of a new deployment, a new rule's findings, a cluster no event announced —
 * as ONE digest per account and region. One cluster failing to read, or one publish failing, does not stop the
 * others; both are in `errors`.
 */
export async function sweep(sweepDeps: PipelineDeps, opts: SweepOptions = {}): Promise<SweepOutcome> {
  // Every cluster of a sweep shares reads made at any moment after it began (CloudTrail, IAM, account-wide lists):
  // its verdicts are as of that moment, so an event that read later always wins over them.
  const startedAt = (sweepDeps.clock ?? (() => new Date()))();
  const deps = { ...sweepDeps, reader: withSharedLookups(keptReads(sweepDeps, startedAt, withAccountReads)), clock: () => startedAt };
  const ids = await deps.reader.identity();
  const now = opts.now ?? new Date();
  // Lambda retries a failed invocation with the same event id: the same sweep id lets the store hand out what the
  // failed run left unpublished instead of treating the retry as a new sweep.
  const sweepId = opts.sweepId ?? `sweep:${now.toISOString()}`;
  const trigger: SweepTrigger = { kind: 'sweep', sweepId, time: now.toISOString() };
  const baseline = !(await deps.store.hasEvaluations());
  const names = await deps.reader.listClusters();
  await deps.indexCache?.sweepStarted();
  const priming = primeCreators(deps, names, startedAt);
  const o: EvalOptions = { deliver: CAUSES, leaseMs: SWEEP_LEASE_MS };
  const scopes: ScopeOutcome[] = [];
  const errors: SweepOutcome['errors'] = [];
  const firstChecks: Delivery[] = [];
  const published: Notice[] = [];

  // Clusters gone while nobody watched, and scopes whose changes still wait for delivery.
  const gone = new Set<string>();
  for (const s of await deps.store.listFindings()) {
    const name = s.finding.cluster;
    if (name && s.finding.account === ids.account && s.finding.region === ids.region && !names.includes(name) && (s.status === 'open' || s.pending?.length)) gone.add(name);
  }

  /** Per-cluster messages now; first-check changes into the digest at the end. */
  const deliver = async (scope: Pick<ScopeOutcome, 'cluster' | 'clusterArn'>, deliveries: Delivery[]) => {
    firstChecks.push(...deliveries.filter((d) => d.notices.some((n) => n.cause === 'first-check')));
    try {
      const out = await publishScope(deps, ids, scope, deliveries, EVENT_DELIVERS);
      published.push(...out.published);
      return out;
    } catch (e) {
      errors.push({ cluster: scope.cluster, stage: 'publish', error: `publish failed (the changes stay pending): ${String(e)}` });
      return { published: [], notifications: [] };
    }
  };
  const scopeRef = (name: string): ScopeRef => ({ ...ids, clusterArn: clusterArnOf(name, ids.account, ids.region) });

  const queue = [...names, ...gone];
  const total = queue.length;
  let done = 0;
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        const scope = await reconcileCluster(deps, ids, name, CLUSTER_RULE_IDS, trigger, o);
        scopes.push({ ...scope, ...(await deliver(scope, scope.changes.deliveries)) });
      } catch (e) {
        const error = e instanceof ReadError ? e.message : String(e);
        deps.log.log('error', 'cluster sweep failed', { cluster: name, error });
        deps.log.metric('SweepErrors');
        errors.push({ cluster: name, stage: 'read', error });
        // Its earlier changes need no read to be delivered.
        await deliver({ cluster: name, clusterArn: scopeRef(name).clusterArn }, await deps.store.collect(scopeRef(name), { deliver: CAUSES, leaseMs: SWEEP_LEASE_MS }));
      }
      opts.onProgress?.(++done, total, name);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? DEFAULT_SWEEP_CONCURRENCY) }, worker));
  await deps.indexCache?.sweepDone(names, startedAt);
  await priming;
  if (ACCOUNT_RULE_IDS.length) {
    const account = await reconcileAccount(deps, ids, trigger, o);
    scopes.push({ ...account, ...(await deliver(account, account.changes.deliveries)) });
  }

  // First-check openings go in the digest; first-check suppressions (never paged) in their scope's own messages.
  const firstCheck = notices(firstChecks).filter((n) => n.cause === 'first-check');
  const digest = buildDigest({ ...ids, trigger, baseline, changes: firstCheck.filter((n) => n.change === 'opened') });
  const silenced = firstCheck.filter((n) => n.change === 'suppressed');
  const byScope = new Map<string | null, Notice[]>();
  for (const n of silenced) byScope.set(n.finding.clusterArn, [...(byScope.get(n.finding.clusterArn) ?? []), n]);
  const suppressions = [...byScope.values()].flatMap((ns) => messagesOf(ids, { cluster: ns[0].finding.cluster, clusterArn: ns[0].finding.clusterArn }, ns));
  if (digest || suppressions.length) {
    try {
      await publishOrRelease(deps, [...(digest ? [digest] : []), ...suppressions], firstChecks);
      await deps.store.acknowledge(firstChecks, ['first-check']);
      countPublished(deps, firstCheck);
      published.push(...firstCheck);
    } catch (e) {
      errors.push({ cluster: null, stage: 'publish', error: `publishing the first-check digest failed (its changes stay pending): ${String(e)}` });
    }
  }
  return { sweepId, clusters: names, baseline, scopes, ...(digest ? { digest } : {}), published, errors };
}

/**
 * Copies every CreateCluster record LookupEvents holds into the state store, unless the store already has them all
 * (a sweep did it before and every listed cluster's record is there): from then on the creator of every cluster is
 * known without LookupEvents, also after its 90 days. It shares the sweep's LookupEvents pages with the clusters
 * that read them meanwhile; a failure is logged and left to the next sweep.
 */
async function primeCreators(deps: PipelineDeps, clusters: readonly string[], at: Date): Promise<void> {
  const { state } = deps;
  if (!state) return;
  try {
    const [records, complete] = await Promise.all([state.creatorRecords(), state.creatorsComplete()]);
    const known = new Set(records.map((r) => r.cluster));
    if (complete && clusters.every((c) => known.has(c))) return;
    await state.keepCreatorRecords(creatorRecordsOf(await deps.reader.lookupEvents({ eventName: 'CreateCluster' })));
    await state.creatorsPrimed(at);
  } catch (e) {
    deps.log.log('warn', 'CreateCluster records not copied into the store', { error: String(e) });
  }
}
