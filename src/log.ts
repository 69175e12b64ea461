/**
 * The seam the pipeline logs and counts through. In Lambda it is `LambdaLogger` (src/lambdaLogger.ts: Powertools
 * structured JSON logs and CloudWatch Embedded Metric Format, so no cloudwatch:PutMetricData permission and no extra
 * API call); the CLI and tests use `MemoryLogger`. Metric dimensions must take values from a small fixed set (never
 * ids such as a rule, cluster or resource): every distinct value is a new CloudWatch series. Per-id counts belong in
 * the log fields.
 */
import type { MetricName } from './metrics';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /** Only the metrics src/metrics.ts lists: the series count is part of what the deployment costs. */
  metric(name: MetricName, value?: number, dimensions?: Record<string, string>): void;
}

/** For the CLI and tests: keeps what was logged, prints nothing. */
export class MemoryLogger implements Logger {
  readonly entries: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  readonly metrics: Record<string, number> = {};
  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.entries.push({ level, message, fields });
  }
  metric(name: MetricName, value = 1): void {
    this.metrics[name] = (this.metrics[name] ?? 0) + value;
  }
}
