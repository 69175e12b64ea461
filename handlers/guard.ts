import { guardHandlerFromEnv } from '../src/guard/handler';
import { lambdaHandler } from '../src/lambdaLogger';

export const handler = lambdaHandler(guardHandlerFromEnv);
