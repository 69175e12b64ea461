import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import type { Logger } from '../log';

/**
 * The deployment's baseline: a CloudFormation custom resource whose function starts one sweep right after every
 * deploy (creation, and each update: a rule added to the catalog gets its first check at once) and answers
 * CloudFormation at once. The sweep runs asynchronously (InvocationType Event), so a slow sweep can never hold the
 * deploy; and whatever fails here, CloudFormation hears SUCCESS — the scheduled sweep runs the baseline anyway
 * when it finds the store empty. Deleting the stack starts nothing.
 */
export interface BaselineDeps {
  lambda: LambdaClient;
  /** The sweep function's name or ARN. */
  sweepFunction: string;
  log: Logger;
  /** Sends the response to the pre-signed ResponseURL (an HTTPS PUT to S3). */
  respond?: (url: string, body: CloudFormationCustomResourceResponse) => Promise<void>;
  now?: () => Date;
}

export function createBaselineResource(deps: BaselineDeps) {
  const respond = deps.respond ?? putResponse;
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    let reason = 'nothing to do on delete';
    if (event.RequestType !== 'Delete') {
      try {
        const payload = { id: `deploy-${event.RequestId}`, time: (deps.now ?? (() => new Date()))().toISOString(), source: 'eks-drift.deployment' };
        const r = await deps.lambda.send(new InvokeCommand({ FunctionName: deps.sweepFunction, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
        reason = `baseline sweep ${payload.id} started (status ${r.StatusCode})`;
        deps.log.log('info', 'baseline sweep started', { sweepId: `sweep:${payload.id}`, requestType: event.RequestType });
      } catch (e) {
        // Never fail the deploy for it: the scheduled sweep runs the baseline when it finds the store empty.
        reason = `could not start the baseline sweep (${(e as Error).name}: ${(e as Error).message}); the scheduled sweep will run it`;
        deps.log.log('error', 'baseline sweep not started', { error: reason });
        deps.log.metric('BaselineNotStarted');
      }
    }
    await respond(event.ResponseURL, {
      Status: 'SUCCESS',
      Reason: reason.slice(0, 1000),
      PhysicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : `eks-drift-baseline-${event.StackId.split('/').pop() ?? 'stack'}`,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    });
  };
}

/** CloudFormation waits up to an hour for an answer that never comes: retry the PUT a few times. */
async function putResponse(url: string, body: CloudFormationCustomResourceResponse): Promise<void> {
  const text = JSON.stringify(body);
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // The pre-signed URL is signed for an empty content type.
      const res = await fetch(url, { method: 'PUT', body: text, headers: { 'content-type': '' }, signal: AbortSignal.timeout(10_000) });
      if (res.ok) return;
      last = new Error(`HTTP ${res.status}`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
  throw new Error(`could not answer CloudFormation: ${String(last)}`);
}
