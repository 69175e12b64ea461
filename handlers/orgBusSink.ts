import { eventBusSinkFromEnv } from '../src/sinks/eventBus';
import { lambdaHandler } from '../src/lambdaLogger';

export const handler = lambdaHandler(eventBusSinkFromEnv);
