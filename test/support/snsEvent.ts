import type { SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import type { SnsNotification } from '../../src/notify/message';

/**
 * The event SNS delivers to a subscribed Lambda function for each published notification (or a hand-made message
 * that is not an eks-drift notification), published at `timestamp`.
 */
export function snsEvent(ns: SnsNotification[] | string[], timestamp = '2026-11-29T05:00:00.000Z'): SNSEvent {
  return {
    Records: ns.map((n, k) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:eks-drift-test-findings:sub',
      Sns: {
        Type: 'Notification',
        MessageId: `m-${k}`,
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:eks-drift-test-findings',
        Subject: typeof n === 'string' ? 'hand-made' : n.Subject,
        Message: typeof n === 'string' ? n : n.Message,
        Timestamp: timestamp,
        SignatureVersion: '1',
        Signature: 'x',
        SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/cert.pem',
        UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/unsubscribe',
        MessageAttributes: (typeof n === 'string' ? {} : Object.fromEntries(Object.entries(n.MessageAttributes).map(([k2, v]) => [k2, { Type: v.DataType!, Value: v.StringValue! }]))) as SNSMessageAttributes,
      },
    })),
  };
}
