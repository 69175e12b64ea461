import { auditSubscriberHandler } from '../src/audit/subscriberRuntime';
import { LambdaLogger } from '../src/lambdaLogger';

const log = new LambdaLogger();

/** Powertools logs and metrics around each scheduled run. */
export const handler = log.handler(auditSubscriberHandler(log));
