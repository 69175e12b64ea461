import { SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';

/** A new queue: its URL (to read it) and its ARN (to make it a subscriber or a target). */
export async function createQueue(sqs: SQSClient, name: string): Promise<{ queueUrl: string; queueArn: string }> {
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return { queueUrl, queueArn };
}

/**
 * A new queue subscribed to the topic with raw delivery (each message body is the published message), through
 * `filterPolicy` when given, as an on-call subscriber would be; returns its URL.
 */
export async function subscribeQueue(sns: SNSClient, sqs: SQSClient, topicArn: string, name: string, filterPolicy?: Record<string, unknown>): Promise<string> {
  const { queueUrl, queueArn } = await createQueue(sqs, name);
  const attributes = { RawMessageDelivery: 'true', ...(filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {}) };
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes }));
  return queueUrl;
}

/** Every message waiting in the queue (an on-call subscriber of the findings topic), with its attributes. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }));
    if (!r.Messages?.length) return out;
    out.push(...r.Messages);
  }
}
