import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SnsNotification } from './message';

/**
 * Publishes every notification; the first failure throws (after the SDK's own retries) so the invocation fails
 * and the event is retried — the store hands the unacknowledged changes out again, so no alert is lost.
 */
export async function publishNotifications(client: SNSClient, topicArn: string, notifications: readonly SnsNotification[]): Promise<void> {
  for (const n of notifications) {
    await client.send(new PublishCommand({ TopicArn: topicArn, Subject: n.Subject, Message: n.Message, MessageAttributes: n.MessageAttributes }));
  }
}
