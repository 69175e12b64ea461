import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Logger, LogLevel } from './log';
import type { MetricName } from './metrics';

/** The service name on every log line and metric, and the CloudWatch namespace of the metrics (README contract). */
export const SERVICE_NAME = 'eks-drift';
export const METRICS_NAMESPACE = 'EksDrift';

/**
 * The pipeline's `Logger` in Lambda, through Powertools for AWS Lambda (TypeScript): log lines carry `timestamp`,
 * `service`, `cold_start`, `function_request_id`, `xray_trace_id` and uppercase levels exactly as a Powertools user's,
 * and metrics are EMF blobs written by Powertools' own console (so they survive Lambda's JSON log format), with a
 * `function_name` dimension beside `service` so each function has its own series.
 */
export class LambdaLogger implements Logger {
  readonly logger: PowertoolsLogger;
  readonly metrics: Metrics;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const serviceName = env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;
    this.logger = new PowertoolsLogger({ serviceName });
    const functionName = env.AWS_LAMBDA_FUNCTION_NAME;
    this.metrics = new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
      serviceName,
      ...(functionName ? { defaultDimensions: { function_name: functionName } } : {}),
    });
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.logger[level](message, fields);
  }

  /**
   * Counted and flushed once per invocation (values of one name aggregate into one EMF blob). Extra dimensions make a
   * separate blob at once; their values must come from a small fixed set (never ids), or every value is a new series.
   */
  metric(name: MetricName, value = 1, dimensions: Record<string, string> = {}): void {
    if (!Object.keys(dimensions).length) {
      this.metrics.addMetric(name, MetricUnit.Count, value);
      return;
    }
    const single = this.metrics.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, MetricUnit.Count, value);
  }

  /**
   * Wraps a Lambda handler: the invocation's context on every log line, and the stored metrics flushed when it
   * ends, also when it throws (Powertools' middy-free equivalent of `injectLambdaContext` + `logMetrics`).
   */
  handler<E, R>(fn: (event: E, context: Context) => Promise<R>): (event: E, context: Context) => Promise<R> {
    return async (event, context) => {
      this.logger.addContext(context);
      try {
        return await fn(event, context);
      } finally {
        // Powertools warns on an empty flush; an invocation that counted nothing has nothing to say.
        if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
      }
    };
  }
}

/**
 * A Lambda handler whose work is built from the environment at the first invocation of a container and reused by the
 * next ones, with Powertools logging and metrics around every invocation. What it throws fails the invocation, so
 * Lambda's retries and the on-failure destination keep the event.
 */
export function lambdaHandler<E, R>(build: (env: NodeJS.ProcessEnv, log: Logger) => (event: E) => Promise<R>) {
  const log = new LambdaLogger();
  let run: ((event: E) => Promise<R>) | undefined;
  return log.handler(async (event: E) => {
    run ??= build(process.env, log);
    return run(event);
  });
}
