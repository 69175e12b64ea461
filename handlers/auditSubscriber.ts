import { auditSubscriberHandler } from '../src/audit/runtime';

export const handler = auditSubscriberHandler();
