import { securityHubSinkFromEnv } from '../src/sinks/securityHub';
import { snsSubscriberHandler } from '../src/notify/subscriberHandler';

export const handler = snsSubscriberHandler(securityHubSinkFromEnv);
