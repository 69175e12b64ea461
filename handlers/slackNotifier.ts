import type { SNSEvent } from 'aws-lambda';
import { slackNotifierFromEnv } from '../src/notify/slackNotifier';

let notify: ReturnType<typeof slackNotifierFromEnv> | undefined;

/** Built at the first invocation of a container and reused (the webhook URL is cached with it). */
export const handler = async (event: SNSEvent) => {
  notify ??= slackNotifierFromEnv(process.env);
  return notify(event);
};
