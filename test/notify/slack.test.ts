import { postToSlack, redactUrl, slackMessages, SlackPostError, RESOLVED_COLOUR, SEVERITY_COLOURS, SLACK_MAX_BLOCKS, SLACK_MAX_TEXT, type SlackBlock, type SlackPayload } from '../../src/notify/slack';
import { buildDigest } from '../../src/notify/digest';
import { buildNotifications, parseNotificationMessage, type NotificationPayload } from '../../src/notify/message';
import { startWebhookServer, WEBHOOK_SECRET_PATH, type WebhookServer } from '../support/webhookServer';
import { base, finding, loggingOff, sshOpen } from './fixtures';

const payloadOf = (opened = [sshOpen], resolved = [loggingOff]): NotificationPayload =>
  parseNotificationMessage(buildNotifications({ ...base, changes: { opened, resolved } })[0].Message);

describe('slackMessages (Block Kit)', () => {
  it('a header with severity, cluster and rule; one attachment per change coloured by severity', () => {
    const [msg, ...rest] = slackMessages(payloadOf());
    expect(rest).toEqual([]);
    expect(msg.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '[CRITICAL] prod: no-internet-ssh and 1 more', emoji: true } });
    expect(msg.text).toContain('sg-0123 allows SSH from 0.0.0.0/0');
    expect(msg.attachments.map((a) => a.color)).toEqual([SEVERITY_COLOURS.critical, RESOLVED_COLOUR]);
  });

  it('fields say where, what, who, how to fix, and link the console', () => {
    const [msg] = slackMessages(payloadOf([sshOpen], []));
    const text = JSON.stringify(msg.attachments[0]);
    for (const expected of [
      '*Account / region*\\n111122223333 / eu-west-1',
      '*Cluster*\\nprod',
      '*Rule*\\n`no-internet-ssh`',
      '`sg-0123`',
      ':rotating_light: opened (critical)',
      '`arn:aws:sts::111122223333:assumed-role/dev-admin/alice` from 203.0.113.7',
      '*Remediation*\\nRemove the 0.0.0.0/0 rule on port 22',
      '<https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0123|Open in the AWS console>',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('drops changes below the minimum severity, and posts nothing when none is left', () => {
    expect(slackMessages(payloadOf(), { minSeverity: 'high' })[0].attachments).toHaveLength(1);
    expect(slackMessages(payloadOf([loggingOff], []), { minSeverity: 'high' })).toEqual([]);
  });

  it('escapes Slack control characters from resource data', () => {
    const sneaky = finding({ message: 'group <!channel> & friends' });
    expect(JSON.stringify(slackMessages(payloadOf([sneaky], []))[0])).toContain('group &lt;!channel&gt; &amp; friends');
  });

  it('splits many changes into several posts', () => {
    const many = Array.from({ length: 23 }, (_, k) => finding({ resourceId: `sg-${k}` }));
    expect(slackMessages(payloadOf(many, [])).map((m) => m.attachments.length)).toEqual([10, 10, 3]);
  });
});

describe('the first-check digest in Slack', () => {
  const trigger = { kind: 'sweep' as const, sweepId: 'sweep:deploy', time: '2026-11-29T06:00:00.000Z' };
  const digest = (n: number, messageLength: number) =>
    parseNotificationMessage(
      buildDigest({
        account: '111122223333',
        region: 'eu-west-1',
        trigger,
        baseline: true,
        changes: Array.from({ length: n }, (_, k) => ({
          change: 'opened' as const,
          cause: 'first-check' as const,
          finding: finding({ ruleId: `rule-${k % 30}-${'r'.repeat(60)}`, resourceId: `sg-${k}`, message: `sg-${k} <${'m'.repeat(messageLength)}>` }),
        })),
      })!.Message,
    );
  const texts = (b: SlackBlock): string[] => [...(('text' in b && b.text) ? [b.text.text] : []), ...('fields' in b ? (b.fields ?? []).map((f) => f.text) : []), ...('elements' in b ? b.elements.map((e) => e.text) : [])];

  it.each([
    [3, 40],
    [5000, 2500],
  ])('%i findings (messages of %i chars): one post, at most 50 blocks, no text over 3,000 characters', (n, len) => {
    const posts = slackMessages(digest(n, len));
    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(post.blocks.length).toBeLessThanOrEqual(SLACK_MAX_BLOCKS);
    expect(post.attachments).toEqual([]);
    for (const b of post.blocks) for (const t of texts(b)) expect(t.length).toBeLessThanOrEqual(SLACK_MAX_TEXT);
    expect((post.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(150);
    expect(post.text.length).toBeLessThanOrEqual(SLACK_MAX_TEXT);
    expect(JSON.stringify(post)).toContain(`eks-drift baseline: ${n} finding(s) already present`);
    expect(JSON.stringify(post)).not.toContain('alice');
    if (n > 3) expect(JSON.stringify(post.blocks[post.blocks.length - 1])).toMatch(/and \d+ more/);
  });
});

describe('postToSlack against a local webhook server', () => {
  let server: WebhookServer;
  const payload: SlackPayload = { text: 'hello', blocks: [], attachments: [] };
  let waits: number[];
  const opts = () => ({ sleep: async (ms: number) => void waits.push(ms), baseDelayMs: 500, maxAttempts: 4, maxDelayMs: 10_000 });

  beforeAll(async () => {
    server = await startWebhookServer();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    server.reset();
    waits = [];
  });

  it('posts the JSON payload', async () => {
    await postToSlack(server.url, payload, opts());
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: WEBHOOK_SECRET_PATH, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(server.requests[0].body)).toEqual(payload);
    expect(waits).toEqual([]);
  });

  it('429 waits for Retry-After, then succeeds', async () => {
    server.reply({ status: 429, headers: { 'retry-after': '3' }, body: 'rate_limited' });
    await postToSlack(server.url, payload, opts());
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([3000]);
  });

  it('429 asking for longer than allowed fails at once, for Lambda to retry later', async () => {
    server.reply({ status: 429, headers: { 'retry-after': '600' } });
    await expect(postToSlack(server.url, payload, opts())).rejects.toThrow(/asked to wait 600 s/);
    expect(server.requests).toHaveLength(1);
  });

  it('5xx backs off exponentially, then succeeds', async () => {
    server.reply({ status: 503 }, { status: 502 });
    await postToSlack(server.url, payload, opts());
    expect(server.requests).toHaveLength(3);
    expect(waits).toEqual([500, 1000]);
  });

  it('5xx every time gives up after the bounded attempts with a clear error', async () => {
    server.reply({ status: 500, body: 'oops' }, { status: 500, body: 'oops' }, { status: 500, body: 'oops' }, { status: 500, body: 'oops' });
    await expect(postToSlack(server.url, payload, opts())).rejects.toThrow('Slack webhook failed after 4 attempts: HTTP 500 oops');
    expect(server.requests).toHaveLength(4);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it('400 is not retried: the error says what Slack said and never the URL', async () => {
    server.reply({ status: 400, body: 'invalid_payload' });
    const err = await postToSlack(server.url, payload, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackPostError);
    expect((err as SlackPostError).status).toBe(400);
    expect((err as Error).message).toBe('Slack webhook refused the message: HTTP 400 invalid_payload');
    expect(server.requests).toHaveLength(1);
  });

  it('a refused connection is retried and reported without the URL', async () => {
    const dead = `http://127.0.0.1:1${WEBHOOK_SECRET_PATH}`;
    const err = (await postToSlack(dead, payload, { ...opts(), maxAttempts: 2 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/failed after 2 attempts: network error/);
    expect(err.message).not.toContain(WEBHOOK_SECRET_PATH);
  });

  it('redactUrl hides the URL and its path', () => {
    expect(redactUrl(`POST ${server.url} failed; path ${WEBHOOK_SECRET_PATH}`, server.url)).toBe('POST <slack webhook URL> failed; path <redacted>');
  });
});
