import { slackNotifierFromEnv } from '../src/notify/slackNotifier';
import { snsSubscriberHandler } from '../src/notify/subscriberHandler';

export const handler = snsSubscriberHandler(slackNotifierFromEnv);
