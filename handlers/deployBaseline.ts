import { LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createBaselineResource } from '../src/deploy/baseline';
import { LambdaLogger } from '../src/lambdaLogger';

const log = new LambdaLogger();
let run: ReturnType<typeof createBaselineResource> | undefined;

export const handler = log.handler(async (event: CloudFormationCustomResourceEvent) => {
  run ??= createBaselineResource({ lambda: new LambdaClient({}), sweepFunction: process.env.SWEEP_FUNCTION ?? '', log });
  return run(event);
});
