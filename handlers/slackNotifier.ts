import { slackNotifierFromEnv } from '../src/notify/slackNotifier';
import { lambdaHandler } from '../src/lambdaLogger';

export const handler = lambdaHandler(slackNotifierFromEnv);
