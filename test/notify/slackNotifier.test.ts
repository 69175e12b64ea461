import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { startWebhookServer, WEBHOOK_SECRET_PATH, type WebhookServer } from '../support/webhookServer';
import { buildNotifications } from '../../src/notify/message';
import { createSlackNotifier } from '../../src/notify/slackNotifier';
import { LambdaLogger } from '../../src/lambdaLogger';
import { captureOutput, type CapturedOutput } from '../support/captureOutput';
import { lambdaContext } from '../support/lambdaContext';
import { base, loggingOff, sshOpen } from './fixtures';
import { snsEvent } from '../support/snsEvent';

const PARAM = '/eks-drift/test/slack-webhook-url';

describeWithMoto('the Slack notifier Lambda (webhook URL from moto SSM, posts to a local webhook)', () => {
  let moto: Moto;
  let ssm: SSMClient;
  let server: WebhookServer;
  let output: CapturedOutput;
  const critical = buildNotifications({ ...base, changes: { opened: [sshOpen], resolved: [] } });
  const mediumOnly = buildNotifications({ ...base, changes: { opened: [loggingOff], resolved: [] } });

  beforeAll(async () => {
    [moto, server] = await Promise.all([startMoto(), startWebhookServer()]);
    ssm = new SSMClient(motoClientConfig(moto.endpoint));
    await ssm.send(new PutParameterCommand({ Name: PARAM, Type: 'SecureString', Value: server.url }));
  });
  afterAll(async () => {
    ssm?.destroy();
    await Promise.all([moto?.stop(), server?.stop()]);
  });

  beforeEach(() => {
    server.reset();
    output = captureOutput();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    // Whatever happened, the webhook URL (a credential) never reached the logs.
    expect(output.all.join('\n')).not.toContain(WEBHOOK_SECRET_PATH);
  });

  const notifier = (over: Partial<Parameters<typeof createSlackNotifier>[0]> = {}) =>
    createSlackNotifier({
      ssm,
      parameterName: PARAM,
      minSeverity: 'high',
      log: new LambdaLogger(),
      // The local server stands in for hooks.slack.com: a seam only code can set, never the Lambda's environment.
      allowedOrigins: [new URL(server.url).origin],
      postOptions: { sleep: async () => {}, baseDelayMs: 10 },
      ...over,
    });

  it('reads the SecureString once per container and posts each alert at or above the minimum severity', async () => {
    const send = jest.spyOn(ssm, 'send');
    const notify = notifier();
    await expect(notify(snsEvent(critical))).resolves.toEqual({ posted: 1, skipped: 0 });
    await expect(notify(snsEvent([...critical, ...mediumOnly]))).resolves.toEqual({ posted: 1, skipped: 1 });
    expect(send).toHaveBeenCalledTimes(1);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0].path).toBe(WEBHOOK_SECRET_PATH);
    expect(server.requests[0].body).toContain('no-internet-ssh');
  });

  it('retries a 5xx and succeeds', async () => {
    server.reply({ status: 503 });
    await expect(notifier()(snsEvent(critical))).resolves.toEqual({ posted: 1, skipped: 0 });
    expect(server.requests).toHaveLength(2);
  });

  it('throws on final failure (so Lambda retries and the DLQ keeps the alert), without the URL', async () => {
    server.reply({ status: 400, body: 'invalid_payload' });
    const err = (await notifier()(snsEvent(critical)).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('1 Slack post(s) failed: Slack webhook refused the message: HTTP 400 invalid_payload');
    expect(err.message).not.toContain(WEBHOOK_SECRET_PATH);
    expect(output.all.join('\n')).toContain('Slack post failed');
  });

  it('skips (logs, does not retry) a message that is not an eks-drift notification', async () => {
    await expect(notifier()(snsEvent(['hello from a human']))).resolves.toEqual({ posted: 0, skipped: 1 });
    expect(output.all.join('\n')).toContain('not an eks-drift notification');
    expect(server.requests).toHaveLength(0);
  });

  it('fails clearly when the parameter is missing, and tries again on the next invocation', async () => {
    const notify = notifier({ parameterName: '/eks-drift/test/missing' });
    await expect(notify(snsEvent(critical))).rejects.toThrow(/cannot read the Slack webhook URL from SSM parameter \/eks-drift\/test\/missing: ParameterNotFound/);
    await ssm.send(new PutParameterCommand({ Name: '/eks-drift/test/missing', Type: 'SecureString', Value: server.url }));
    await expect(notify(snsEvent(critical))).resolves.toEqual({ posted: 1, skipped: 0 });
    await ssm.send(new DeleteParameterCommand({ Name: '/eks-drift/test/missing' }));
  });

  it('formats below-minimum alerts out and reports a 404 from Slack as a failure to retry', async () => {
    const notify = notifier({ minSeverity: 'medium' });
    await expect(notify(snsEvent([...critical, ...mediumOnly]))).resolves.toEqual({ posted: 2, skipped: 0 });
    server.reply({ status: 404, body: 'no_service' });
    await expect(notify(snsEvent(critical))).rejects.toThrow('HTTP 404 no_service');
  });

  it('the deployed handler reads SLACK_WEBHOOK_PARAMETER through AWS_ENDPOINT_URL, and whoever can write the parameter cannot send alerts anywhere but Slack', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', SLACK_WEBHOOK_PARAMETER: PARAM, SLACK_MIN_SEVERITY: 'medium' });
    try {
      const { handler } = await import('../../handlers/slackNotifier');
      await expect(handler(snsEvent(critical), lambdaContext('eks-drift-test-slackNotifier'))).rejects.toThrow(`SSM parameter ${PARAM} does not hold a Slack incoming-webhook URL: it must start with https://hooks.slack.com/services/`);
      expect(server.requests).toHaveLength(0);
    } finally {
      process.env = saved;
    }
  });
});
