import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';

/** Every message waiting in the queue (an on-call subscriber of the findings topic), with its attributes. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }));
    if (!r.Messages?.length) return out;
    out.push(...r.Messages);
  }
}
