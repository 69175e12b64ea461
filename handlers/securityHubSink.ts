import { securityHubSinkFromEnv } from '../src/sinks/securityHub';
import { lambdaHandler } from '../src/lambdaLogger';

export const handler = lambdaHandler(securityHubSinkFromEnv);
