import { auditSubscriberHandler } from '../src/audit/subscriberRuntime';

export const handler = auditSubscriberHandler();
