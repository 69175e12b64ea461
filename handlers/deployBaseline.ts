import { LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createBaselineResource } from '../src/deploy/baseline';
import { jsonLogger } from '../src/log';

let run: ReturnType<typeof createBaselineResource> | undefined;

export const handler = async (event: CloudFormationCustomResourceEvent) => {
  run ??= createBaselineResource({ lambda: new LambdaClient({}), sweepFunction: process.env.SWEEP_FUNCTION ?? '', log: jsonLogger });
  return run(event);
};
