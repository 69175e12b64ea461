import { CAUSES } from './findings/trigger';

/** The functions (serverless.yml) that run the detection pipeline: events, audit-log deliveries and the sweep. */
export const DETECTOR_FUNCTIONS = ['securityGroupChanged', 'networkChanged', 'clusterChanged', 'trailChanged', 'nodesChanged', 'iamChanged', 'auditLog', 'sweep'] as const;

/**
 * Every custom metric the functions emit (namespace EksDrift, dimensions `service` and `function_name` on each), with
 * its extra dimensions and the values they take, and the functions that emit it. Each (metric, function, dimension
 * values) is one CloudWatch series, billed per month when emitted: the list is closed (the Logger only takes these
 * names) and no dimension takes an id, so the count stays what docs/COST.md says whatever the account's size.
 */
export const METRICS = {
  InvalidEvents: { functions: DETECTOR_FUNCTIONS },
  IgnoredEvents: { functions: DETECTOR_FUNCTIONS },
  RulesNotEvaluated: { functions: DETECTOR_FUNCTIONS },
  PublishFailures: { functions: DETECTOR_FUNCTIONS },
  FindingsOpened: { functions: DETECTOR_FUNCTIONS, dimensions: { cause: CAUSES } },
  FindingsResolved: { functions: DETECTOR_FUNCTIONS, dimensions: { cause: CAUSES } },
  SweepErrors: { functions: ['sweep'] },
  InvalidAuditLines: { functions: ['auditLog'] },
  AuditSubscriptionErrors: { functions: ['auditSubscriber'] },
  BaselineNotStarted: { functions: ['deployBaseline'] },
  DetectorTampered: { functions: ['guard'] },
  GuardInvalidEvents: { functions: ['guard'] },
  SlackPostFailures: { functions: ['slackNotifier'] },
  SlackUnparsableMessages: { functions: ['slackNotifier'] },
  SecurityHubImported: { functions: ['securityHubSink'] },
  BusEventsSent: { functions: ['orgBusSink'] },
  UnparsableNotifications: { functions: ['securityHubSink', 'orgBusSink'] },
} satisfies Record<string, { functions: readonly string[]; dimensions?: Record<string, readonly string[]> }>;

export type MetricName = keyof typeof METRICS;

/** How many distinct series the code can emit: per metric, its functions times every combination of its dimensions. */
export function metricSeries(): { metric: MetricName; series: number }[] {
  return (Object.entries(METRICS) as [MetricName, { functions: readonly string[]; dimensions?: Record<string, readonly string[]> }][]).map(([metric, m]) => ({
    metric,
    series: m.functions.length * Object.values(m.dimensions ?? {}).reduce((n, values) => n * values.length, 1),
  }));
}
