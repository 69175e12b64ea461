import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeClusterCommand, EKSClient, paginateListClusters, type Cluster } from '@aws-sdk/client-eks';
import type { ScheduledEvent } from 'aws-lambda';
import type { Logger } from '../log';
import { ensureAllSubscribed, parseClusterSelection, type ClusterReader, type SubscriptionSettings } from './subscriber';

/** The two EKS reads the subscriber needs; its bundle carries no other client (EC2, CloudTrail, DynamoDB…). */
function eksClusterReader(eks: EKSClient): ClusterReader {
  return {
    async listClusters() {
      const names: string[] = [];
      for await (const page of paginateListClusters({ client: eks }, {})) names.push(...(page.clusters ?? []));
      return names;
    },
    async describeCluster(name: string): Promise<Cluster | undefined> {
      try {
        return (await eks.send(new DescribeClusterCommand({ name }))).cluster;
      } catch (e) {
        if ((e as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        throw e;
      }
    },
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

function subscriptionSettingsFromEnv(env: NodeJS.ProcessEnv): SubscriptionSettings {
  return {
    clusters: parseClusterSelection(env.AUDIT_LOG_CLUSTERS),
    filterName: required(env, 'AUDIT_SUBSCRIPTION_FILTER_NAME'),
    destinationArn: required(env, 'AUDIT_LOG_FUNCTION_ARN'),
  };
}

/**
 * The subscriber, on its schedule: subscribes the audit log group of every selected cluster (new clusters, clusters
 * that turned audit logging on, groups EKS created since the last run). Problems are logged and counted, never
 * thrown: the next run retries everything.
 */
export function auditSubscriberHandler(log: Logger) {
  let clients: { reader: ClusterReader; logs: CloudWatchLogsClient } | undefined;
  return async (_event: ScheduledEvent) => {
    clients ??= { reader: eksClusterReader(new EKSClient({})), logs: new CloudWatchLogsClient({}) };
    const outcomes = await ensureAllSubscribed(clients, subscriptionSettingsFromEnv(process.env));
    const count = (s: string) => outcomes.filter((o) => o.status === s).length;
    for (const o of outcomes) {
      const level = o.status === 'error' ? 'error' : o.status === 'subscribed' || o.status === 'audit-logging-off' ? 'warn' : 'info';
      log.log(level, 'audit log subscription', { ...o });
    }
    if (count('error')) log.metric('AuditSubscriptionErrors', count('error'));
    return { subscribed: count('subscribed'), unchanged: count('unchanged'), auditLoggingOff: count('audit-logging-off'), logGroupMissing: count('log-group-missing'), errors: count('error') };
  };
}
