import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createBaselineResource } from '../../src/deploy/baseline';
import { MemoryLogger } from '../../src/log';
import { startWebhookServer, type WebhookServer } from '../support/webhookServer';

/**
 * The deployment's baseline custom resource, answering a local HTTP server that plays CloudFormation's pre-signed
 * response URL. Lambda's Invoke is mocked at the client: moto cannot run a function without Docker.
 */
const lambda = mockClient(LambdaClient);
let cfn: WebhookServer;
beforeAll(async () => {
  cfn = await startWebhookServer();
});
afterAll(() => cfn.stop());
beforeEach(() => {
  lambda.reset();
  cfn.reset();
});

const STACK = 'arn:aws:cloudformation:eu-west-1:111122223333:stack/eks-drift-prod/0f0e0d0c-0000-4000-8000-000000000000';
function event(RequestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  const common = { ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:eks-drift-prod-deployBaseline', ResponseURL: cfn.url, StackId: STACK, RequestId: `req-${RequestType}`, LogicalResourceId: 'DeployBaseline', ResourceType: 'Custom::EksDriftBaseline', ResourceProperties: { ServiceToken: 'x', Deployment: '42' } };
  if (RequestType === 'Create') return { ...common, RequestType };
  if (RequestType === 'Update') return { ...common, RequestType, PhysicalResourceId: 'eks-drift-baseline', OldResourceProperties: { ServiceToken: 'x', Deployment: '41' } };
  return { ...common, RequestType, PhysicalResourceId: 'eks-drift-baseline' };
}
const run = (log = new MemoryLogger()) => createBaselineResource({ lambda: new LambdaClient({ region: 'eu-west-1' }), sweepFunction: 'eks-drift-prod-sweep', log, now: () => new Date('2026-12-01T10:00:00Z') });
const answer = () => JSON.parse(cfn.requests[0].body);

describe('the baseline custom resource', () => {
  it.each(['Create', 'Update'] as const)('%s: starts the sweep asynchronously, then answers SUCCESS at once', async (type) => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await run()(event(type));
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call.args[0].input).toMatchObject({ FunctionName: 'eks-drift-prod-sweep', InvocationType: 'Event' });
    expect(JSON.parse(Buffer.from(call.args[0].input.Payload as Uint8Array).toString())).toEqual({ id: `deploy-req-${type}`, time: '2026-12-01T10:00:00.000Z', source: 'eks-drift.deployment' });
    expect(cfn.requests).toHaveLength(1);
    expect(cfn.requests[0].method).toBe('PUT');
    expect(answer()).toMatchObject({ Status: 'SUCCESS', StackId: STACK, RequestId: `req-${type}`, LogicalResourceId: 'DeployBaseline', Reason: expect.stringContaining('started') });
  });

  it('never fails the deploy: a sweep that cannot be started is reported, and CloudFormation still hears SUCCESS', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('not authorized to perform lambda:InvokeFunction'), { name: 'AccessDeniedException' }));
    const log = new MemoryLogger();
    await run(log)(event('Create'));
    expect(answer()).toMatchObject({ Status: 'SUCCESS', Reason: expect.stringContaining('the scheduled sweep will run it') });
    expect(log.metrics.BaselineNotStarted).toBe(1);
  });

  it('Delete: starts nothing and answers SUCCESS with the same physical id', async () => {
    await run()(event('Delete'));
    expect(lambda.commandCalls(InvokeCommand)).toEqual([]);
    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'eks-drift-baseline' });
  });
});
