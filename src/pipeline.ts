import type { AwsReader } from './inventory/reader';
import { ReadError } from './inventory/reader';
import type { Config } from './config';
import type { Finding, NotEvaluated } from './findings/finding';
import type { Changes, FindingStore } from './findings/store';
import { buildAccountView, buildClusterView } from './inventory/buildView';
import { withSharedLookups } from './inventory/sharedLookups';
import { evaluateAccount, evaluateCluster, neededParts, rootUserFinding } from './rules/engine/evaluate';
import { RULES } from './rules/engine/catalog';
import { classifyEvent } from './events/classify';
import { resolveAffectedClusters, type ClusterIndexCache } from './events/resolve';
import { buildNotifications, type NotificationTrigger, type SnsNotification } from './notify/message';
import type { Logger } from './log';

export interface PipelineDeps {
  reader: AwsReader;
  store: FindingStore;
  config: Config;
  log: Logger;
  /** Publishes to SNS in Lambda; absent in `replay`, which only prints what would be published. */
  publish?: (notifications: SnsNotification[]) => Promise<void>;
  /** Shared between events of one process (a warm Lambda, one replay run) so resolution does not rebuild it. */
  indexCache?: ClusterIndexCache;
}

export interface ScopeOutcome {
  cluster: string | null;
  clusterArn: string | null;
  deleted: boolean;
  changes: Changes;
  notEvaluated: NotEvaluated[];
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

export function clusterArnOf(name: string, account: string, region: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:eks:${region}:${account}:cluster/${name}`;
}

/**
 * Re-reads one cluster and reconciles its findings for `ruleIds`. A cluster that no longer exists resolves every
 * finding it had; a rule that could not be evaluated keeps its stored findings and is reported as not evaluated.
 */
export async function reconcileCluster(
  deps: PipelineDeps,
  ids: { account: string; region: string },
  name: string,
  ruleIds: readonly string[],
  trigger: NotificationTrigger,
  eventId: string,
): Promise<ScopeOutcome> {
  const view = await buildClusterView(deps.reader, name, neededParts(ruleIds), ids);
  const clusterArn = view?.arn ?? clusterArnOf(name, ids.account, ids.region);
  const result = view
    ? evaluateCluster(view, deps.config, ruleIds)
    : { findings: [], notEvaluated: [], evaluatedRuleIds: CLUSTER_RULE_IDS };
  const changes = await deps.store.reconcile(
    { ...ids, cluster: name, clusterArn, ruleIds: result.evaluatedRuleIds, findings: result.findings, eventId },
    deps.config.suppressions,
  );
  return finishScope(deps, { ...ids, cluster: name, clusterArn, deleted: !view, changes, notEvaluated: result.notEvaluated, trigger });
}

export async function reconcileAccount(
  deps: PipelineDeps,
  ids: { account: string; region: string },
  trigger: NotificationTrigger,
  eventId: string,
): Promise<ScopeOutcome> {
  const view = await buildAccountView(deps.reader, ids);
  const result = evaluateAccount(view, deps.config);
  const changes = await deps.store.reconcile(
    { ...ids, cluster: null, clusterArn: null, ruleIds: result.evaluatedRuleIds, findings: result.findings, eventId },
    deps.config.suppressions,
  );
  return finishScope(deps, { ...ids, cluster: null, clusterArn: null, deleted: false, changes, notEvaluated: result.notEvaluated, trigger });
}

async function finishScope(
  deps: PipelineDeps,
  s: { account: string; region: string; cluster: string | null; clusterArn: string | null; deleted: boolean; changes: Changes; notEvaluated: NotEvaluated[]; trigger: NotificationTrigger },
): Promise<ScopeOutcome> {
  for (const n of s.notEvaluated) {
    deps.log.log('warn', 'rule not evaluated', { account: s.account, region: s.region, ...n });
    // The rule is in the log line: a ruleId dimension would make a CloudWatch series per rule and function.
    deps.log.metric('RulesNotEvaluated');
  }
  if (s.changes.opened.length) deps.log.metric('FindingsOpened', s.changes.opened.length);
  if (s.changes.resolved.length) deps.log.metric('FindingsResolved', s.changes.resolved.length);
  const notifications = buildNotifications({
    account: s.account,
    region: s.region,
    cluster: s.cluster,
    clusterArn: s.clusterArn,
    changes: s.changes,
    trigger: s.trigger,
  });
  if (notifications.length && deps.publish) await deps.publish(notifications);
  // Only once published: a crash before this line leaves the event pending, and its redelivery re-sends the alerts.
  await deps.store.markPublished(s.changes);
  return { cluster: s.cluster, clusterArn: s.clusterArn, deleted: s.deleted, changes: s.changes, notEvaluated: s.notEvaluated, notifications };
}

/**
 * The Lambda pipeline for one EventBridge event: classify, resolve the clusters it touched, re-read and evaluate
 * them, reconcile with the stored findings, publish what changed. The event only says where to look.
 * Invalid and ignored events return an outcome (logged and counted), never throw; a read failure that leaves the
 * affected clusters unknown (throttling, AccessDenied while resolving) throws, so Lambda retries and then keeps the
 * event in the dead-letter queue instead of dropping it.
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
  if (c.status === 'ignored') {
    deps.log.log('info', 'event ignored', { ...base, reason: c.reason });
    deps.log.metric('IgnoredEvents');
    return { ...base, status: 'ignored', reason: c.reason, clusters: [], scopes: [], findings: [] };
  }

  const ids = await deps.reader.identity();
  const eventAccount = record.recipientAccountId ?? c.envelope.account;
  if (eventAccount && eventAccount !== ids.account) {
    const reason = `event from account ${eventAccount}, this deployment reads account ${ids.account}`;
    deps.log.log('warn', 'event ignored', { ...base, reason });
    deps.log.metric('IgnoredEvents');
    return { ...base, status: 'ignored', reason, clusters: [], scopes: [], findings: [] };
  }

  const trigger: NotificationTrigger = {
    kind: 'event',
    eventId: record.eventID,
    eventName: record.eventName,
    eventSource: record.eventSource,
    eventTime: record.eventTime,
    principalArn: record.userIdentity?.arn,
    principalType: record.userIdentity?.type,
    sourceIPAddress: record.sourceIPAddress,
    userAgent: record.userAgent,
  };
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
      const changes = await deps.store.reconcile(
        { ...ids, cluster: null, clusterArn: null, ruleIds: [f.ruleId], findings: [f], eventId: record.eventID, mode: 'add' },
        deps.config.suppressions,
      );
      scopes.push(await finishScope(deps, { ...ids, cluster: null, clusterArn: null, deleted: false, changes, notEvaluated: [], trigger }));
    }
  }

  const ruleIds = c.entry.rules;
  if (c.refs.accountLevel) {
    scopes.push(await reconcileAccount(deps, ids, trigger, record.eventID));
  }

  const clusterRuleIds = ruleIds.filter((id) => CLUSTER_RULE_IDS.includes(id));
  const resolved = clusterRuleIds.length
    ? await resolveAffectedClusters(deps.reader, c.refs, deps.indexCache)
    : { clusters: [], reason: c.refs.accountLevel ? undefined : `no guideline evaluates ${record.eventName} yet` };
  for (const name of resolved.clusters) {
    scopes.push(await reconcileCluster(deps, ids, name, clusterRuleIds, trigger, record.eventID));
  }

  if (!scopes.length) {
    const reason = resolved.reason ?? 'the call touched no EKS cluster';
    deps.log.log('info', 'event ignored', { ...base, reason });
    deps.log.metric('IgnoredEvents');
    return { ...base, status: 'ignored', reason, clusters: [], scopes: [], findings: [] };
  }
  return { ...base, status: 'processed', clusters: resolved.clusters, scopes, findings: await openFindings(deps.store, scopes) };
}

async function openFindings(store: FindingStore, scopes: ScopeOutcome[]): Promise<Finding[]> {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const s of scopes) {
    const key = s.clusterArn ?? 'account';
    if (seen.has(key)) continue;
    seen.add(key);
    for (const f of await store.listFindings({ clusterArn: s.clusterArn, status: 'open' })) out.push(f.finding);
  }
  return out;
}

export interface SweepOutcome {
  sweepId: string;
  clusters: string[];
  scopes: ScopeOutcome[];
  errors: { cluster: string; error: string }[];
}

/**
 * The scheduled sweep: every cluster and the account, all rules. Catches missed events, resolves findings of
 * clusters deleted while nobody watched. One cluster failing to read does not stop the others.
 */
export async function sweep(sweepDeps: PipelineDeps, opts: { now?: Date; concurrency?: number; sweepId?: string } = {}): Promise<SweepOutcome> {
  const deps = { ...sweepDeps, reader: withSharedLookups(sweepDeps.reader) };
  const ids = await deps.reader.identity();
  const now = opts.now ?? new Date();
  // Lambda retries a failed scheduled invocation with the same event id: the same sweep id lets the store re-send
  // what the crashed run left unpublished instead of treating the retry as a new sweep.
  const sweepId = opts.sweepId ?? `sweep:${now.toISOString()}`;
  const trigger: NotificationTrigger = { kind: 'sweep', sweepId, time: now.toISOString() };
  const names = await deps.reader.listClusters();
  const scopes: ScopeOutcome[] = [];
  const errors: SweepOutcome['errors'] = [];

  const stored = await deps.store.listFindings({ status: 'open' });
  const gone = new Set<string>();
  for (const s of stored) {
    const name = s.finding.cluster;
    if (name && s.finding.account === ids.account && s.finding.region === ids.region && !names.includes(name)) gone.add(name);
  }

  const queue = [...names, ...gone];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        scopes.push(await reconcileCluster(deps, ids, name, CLUSTER_RULE_IDS, trigger, sweepId));
      } catch (e) {
        const error = e instanceof ReadError ? e.message : String(e);
        deps.log.log('error', 'cluster sweep failed', { cluster: name, error });
        deps.log.metric('SweepErrors');
        errors.push({ cluster: name, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  if (ACCOUNT_RULE_IDS.length) scopes.push(await reconcileAccount(deps, ids, trigger, sweepId));
  return { sweepId, clusters: names, scopes, errors };
}
