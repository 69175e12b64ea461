/**
 * Structured JSON logs (one line per entry, as CloudWatch Logs indexes them) and CloudWatch metrics through the
 * Embedded Metric Format, so the Lambda needs no cloudwatch:PutMetricData permission and no extra API call.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  metric(name: string, value?: number, dimensions?: Record<string, string>): void;
}

const NAMESPACE = 'EksDrift';

export const jsonLogger: Logger = {
  log(level, message, fields = {}) {
    const line = JSON.stringify({ level, message, ...fields });
    if (level === 'error' || level === 'warn') console.error(line);
    else console.log(line);
  },
  metric(name, value = 1, dimensions = {}) {
    console.log(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: 'Count' }] }],
        },
        ...dimensions,
        [name]: value,
      }),
    );
  },
};

/** For the CLI and tests: keeps what was logged, prints nothing. */
export class MemoryLogger implements Logger {
  readonly entries: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  readonly metrics: Record<string, number> = {};
  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.entries.push({ level, message, fields });
  }
  metric(name: string, value = 1): void {
    this.metrics[name] = (this.metrics[name] ?? 0) + value;
  }
}
