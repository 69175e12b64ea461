import { eventBusSinkFromEnv } from '../src/sinks/eventBus';
import { snsSubscriberHandler } from '../src/notify/subscriberHandler';

export const handler = snsSubscriberHandler(eventBusSinkFromEnv);
