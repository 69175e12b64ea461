/**
 * AWS list prices the cost model uses, in one place. US East (N. Virginia), USD, on-demand, without free tiers
 * (Lambda's 400,000 GB-s and 1M requests, SNS's first million publishes, DynamoDB's 25 GB are account-wide and may
 * already be spent). These are the figures as I know them from the AWS pricing pages as of June 2025; they are not
 * fetched: check https://aws.amazon.com/pricing/ before relying on a figure, and change them here.
 */
export const PRICES = {
  asOf: '2025-06',
  region: 'us-east-1',
  lambda: {
    /** Arm (Graviton) duration, first 7.5 billion GB-seconds a month. */
    arm64PerGbSecond: 0.0000133334,
    requestsPerMillion: 0.2,
  },
  dynamodb: {
    /** On-demand, after the November 2024 price reduction. */
    writeRequestUnitsPerMillion: 0.625,
    readRequestUnitsPerMillion: 0.125,
    storagePerGbMonth: 0.25,
    /** Continuous backups (point-in-time recovery), per GB of table. */
    pitrPerGbMonth: 0.2,
  },
  sns: {
    /** Each 64 KB chunk of a message is one request. */
    publishesPerMillion: 0.5,
    /** Deliveries to Lambda and SQS subscribers are free; e-mail is $2.00 per 100,000. */
    lambdaDeliveriesPerMillion: 0,
    emailDeliveriesPer100k: 2,
  },
  cloudwatch: {
    logsIngestionPerGb: 0.5,
    logsStoragePerGbMonth: 0.03,
    /** Per custom metric (one series) a month, first 10,000; prorated by the hour a series is emitted. */
    metricPerMonth: 0.3,
  },
  kms: {
    /** A customer managed key; each of its first two automatic rotations adds $1 a month. */
    keyPerMonth: 1,
    requestsPer10k: 0.03,
  },
  eventbridge: {
    /** AWS service events (CloudTrail's management events) on the default bus, and matching them with rules. */
    awsServiceEventsOnDefaultBus: 0,
    /** Events sent to a bus in another region (the IAM forwarder outside us-east-1), as custom events. */
    crossRegionEventsPerMillion: 1,
  },
} as const;

export type Prices = typeof PRICES;
