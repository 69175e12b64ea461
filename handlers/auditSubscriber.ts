import { jsonLogger } from '../src/log';
import { auditSubscriberHandler } from '../src/audit/subscriberRuntime';

export const handler = auditSubscriberHandler(jsonLogger);
