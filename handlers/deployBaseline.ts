import { LambdaClient } from '@aws-sdk/client-lambda';
import { createBaselineResource } from '../src/deploy/baseline';
import { lambdaHandler } from '../src/lambdaLogger';

export const handler = lambdaHandler((env, log) => createBaselineResource({ lambda: new LambdaClient({}), sweepFunction: env.SWEEP_FUNCTION ?? '', log }));
