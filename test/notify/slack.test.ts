import { postToSlack, redactUrl, slackMessages, slackWebhookUrlProblem, SlackPostError, RESOLVED_COLOUR, SEVERITY_COLOURS, SLACK_MAX_BLOCKS, SLACK_MAX_TEXT, type SlackBlock, type SlackPayload } from '../../src/notify/slack';
import { buildDigest } from '../../src/notify/digest';
import { buildNotifications, parseNotificationMessage, type NotificationPayload } from '../../src/notify/message';
import { startWebhookServer, WEBHOOK_SECRET_PATH, type WebhookServer } from '../support/webhookServer';
import { base, finding, loggingOff, sshOpen } from './fixtures';

const payloadOf = (opened = [sshOpen], resolved = [loggingOff]): NotificationPayload =>
  parseNotificationMessage(buildNotifications({ ...base, changes: { opened, resolved } })[0].Message);

describe('slackMessages (Block Kit)', () => {
  it('posts nothing for a suppression, whatever its severity', () => {
    const [suppression] = buildNotifications({ ...base, changes: { opened: [], resolved: [], suppressed: [sshOpen] } });
    expect(slackMessages(parseNotificationMessage(suppression.Message), { minSeverity: 'info' })).toEqual([]);
  });

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

  it('an escalation says from what severity it rose, in the header and its attachment, with the remediation', () => {
    const high = { ...loggingOff, severity: 'high' as const };
    const [n] = buildNotifications({ ...base, changes: { opened: [], escalated: [{ finding: high, previousSeverity: 'medium' }], resolved: [] } });
    const [msg, ...rest] = slackMessages(parseNotificationMessage(n.Message), { minSeverity: 'high' });
    expect(rest).toEqual([]);
    expect(msg.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'ESCALATED [HIGH] prod: control-plane-logging (was MEDIUM)', emoji: true } });
    expect(msg.attachments.map((a) => a.color)).toEqual([SEVERITY_COLOURS.high]);
    const text = JSON.stringify(msg.attachments[0]);
    for (const expected of ['*ESCALATED* · *HIGH* (was MEDIUM) · audit logs disabled', ':rotating_light: escalated (medium → high)', '*Remediation*\\nEnable api, audit and authenticator logs.']) {
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

  describe('untrusted strings never become mentions or links', () => {
    const PING = '<!channel>';
    const LINK = '<https://evil.example/login|Open in the AWS console>';
    const hostile = `${PING} ${LINK} &`;
    /** Every string a resource name, a caller or a forged message can put in an alert. */
    const forged: NotificationPayload = {
      account: hostile,
      region: hostile,
      cluster: hostile,
      clusterArn: hostile,
      cause: 'event',
      trigger: { kind: 'event', eventSource: 'ec2.amazonaws.com', eventId: hostile, eventName: hostile, eventTime: hostile, principalArn: hostile, sourceIPAddress: hostile },
      changes: [
        {
          change: 'opened',
          cause: 'event',
          finding: finding({ account: hostile, region: hostile, cluster: hostile, resourceType: hostile, resourceId: hostile, message: hostile, guideline: hostile, remediation: hostile }),
        },
        { change: 'opened', cause: 'event', finding: finding({ resourceId: hostile, message: hostile }) },
      ],
    };
    const sweepForged: NotificationPayload = { ...forged, trigger: { kind: 'sweep', sweepId: hostile, time: hostile } };

    /** The texts Slack parses for mentions and links: the fallback `text` and every mrkdwn object. */
    function parsedTexts(p: SlackPayload): string[] {
      const fromBlocks = (bs: SlackBlock[]) =>
        bs.flatMap((b) => ('text' in b && b.text ? [b.text] : []).concat('fields' in b && b.fields ? b.fields : [], 'elements' in b ? b.elements : []));
      return [p.text, ...[...fromBlocks(p.blocks), ...p.attachments.flatMap((a) => fromBlocks(a.blocks))].filter((t) => t.type === 'mrkdwn').map((t) => t.text)];
    }

    it.each([
      ['an event', forged],
      ['a sweep', sweepForged],
    ])('in the fallback text and every mrkdwn text of %s alert, & < > are escaped', (_, payload) => {
      const texts = slackMessages(payload).flatMap(parsedTexts);
      expect(texts.length).toBeGreaterThan(10);
      for (const t of texts) {
        expect(t).not.toContain(PING);
        expect(t).not.toContain('<https://evil');
      }
      expect(texts[0]).toContain('&lt;!channel&gt;');
    });

    it('mrkdwn texts are verbatim: Slack does not auto-link or auto-mention plain words in them', () => {
      const [msg] = slackMessages(payloadOf([finding({ message: '@channel see #ops' })], []));
      const mrkdwn = [...msg.blocks, ...msg.attachments.flatMap((a) => a.blocks)].flatMap((b) =>
        ('text' in b && b.text ? [b.text] : []).concat('fields' in b && b.fields ? b.fields : [], 'elements' in b ? b.elements : []).filter((t) => t.type === 'mrkdwn'),
      );
      expect(mrkdwn.length).toBeGreaterThan(5);
      for (const t of mrkdwn) expect(t).toMatchObject({ verbatim: true });
    });

    it('a region that is not an AWS region gets no console link (it would be the link host)', () => {
      const [msg] = slackMessages(payloadOf([finding({ region: 'evil.example/#' })], []));
      expect(JSON.stringify(msg)).not.toContain('Open in the AWS console');
    });
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
  /** The local server's origin stands in for Slack's (a test seam the Lambda wiring never sets); jitter at its top. */
  const opts = () => ({
    sleep: async (ms: number) => void waits.push(ms),
    baseDelayMs: 500,
    maxAttempts: 4,
    maxDelayMs: 10_000,
    random: () => 1,
    allowedOrigins: [new URL(server.url).origin],
  });

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

  it('429 without Retry-After backs off exponentially with jitter, never 0 ms', async () => {
    server.reply({ status: 429 }, { status: 429 }, { status: 429 });
    await postToSlack(server.url, payload, { ...opts(), random: () => 0 });
    expect(server.requests).toHaveLength(4);
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('jitter spreads the waits between half and all of the backoff', async () => {
    server.reply({ status: 503 }, { status: 503 }, { status: 503 });
    await postToSlack(server.url, payload, { ...opts(), random: Math.random });
    expect(waits).toHaveLength(3);
    waits.forEach((w, k) => {
      expect(w).toBeGreaterThanOrEqual(250 * 2 ** k);
      expect(w).toBeLessThanOrEqual(500 * 2 ** k);
    });
  });

  it('Retry-After as an HTTP date waits until then', async () => {
    server.reply({ status: 429, headers: { 'retry-after': new Date(Date.now() + 8_000).toUTCString() } });
    await postToSlack(server.url, payload, opts());
    expect(waits).toHaveLength(1);
    // HTTP dates have whole seconds, and the clock moves between the header and the wait
    expect(waits[0]).toBeGreaterThan(5_000);
    expect(waits[0]).toBeLessThanOrEqual(8_000);
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
    const err = (await postToSlack(dead, payload, { ...opts(), maxAttempts: 2, allowedOrigins: [new URL(dead).origin] }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/failed after 2 attempts: network error/);
    expect(err.message).not.toContain(WEBHOOK_SECRET_PATH);
  });

  it('a redirect is never followed: the alert is not re-posted elsewhere, and the error says why', async () => {
    const elsewhere = await startWebhookServer();
    try {
      server.reply({ status: 307, headers: { location: elsewhere.url } });
      await expect(postToSlack(server.url, payload, opts())).rejects.toThrow('Slack webhook answered HTTP 307 (a redirect, not followed)');
      expect(server.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.stop();
    }
  });

  it('refuses any URL that is not a Slack incoming webhook before sending anything (the URL is not in the error)', async () => {
    const err = (await postToSlack(server.url, payload, { ...opts(), allowedOrigins: undefined }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SlackPostError);
    expect(err.message).toBe('not a Slack incoming-webhook URL: it must start with https://hooks.slack.com/services/ or https://hooks.slack-gov.com/services/');
    expect(err.message).not.toContain(WEBHOOK_SECRET_PATH);
    expect(server.requests).toHaveLength(0);
  });

  it('redactUrl hides the URL and its path', () => {
    expect(redactUrl(`POST ${server.url} failed; path ${WEBHOOK_SECRET_PATH}`, server.url)).toBe('POST <slack webhook URL> failed; path <redacted>');
  });
});

describe('which webhook URLs are accepted', () => {
  it.each(['https://hooks.slack.com/services/T0/B0/secret', 'https://hooks.slack-gov.com/services/T0/B0/secret', 'https://HOOKS.SLACK.COM/services/T0/B0/secret'])('%s: Slack (or GovSlack) incoming webhook', (url) => {
    expect(slackWebhookUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['http://hooks.slack.com/services/T0/B0/secret', 'plain http'],
    ['https://hooks.slack.com.evil.example/services/T0/B0/secret', 'a look-alike host'],
    ['https://evil.example/hooks.slack.com/services/T0/B0/secret', 'Slack in the path'],
    ['https://hooks.slack.com@evil.example/services/T0/B0/secret', 'Slack as user info'],
    ['https://user:pw@hooks.slack.com/services/T0/B0/secret', 'credentials in the URL'],
    ['https://hooks.slack.com:8443/services/T0/B0/secret', 'another port'],
    ['https://hooks.slack.com/workflows/T0/A0/1/secret', 'a workflow trigger, not an incoming webhook'],
    ['https://127.0.0.1/services/T0/B0/secret', 'an address'],
    ['hooks.slack.com/services/T0/B0/secret', 'no scheme'],
    ['', 'empty'],
  ])('%s: refused (%s)', (url) => {
    expect(slackWebhookUrlProblem(url)).toBe('it must start with https://hooks.slack.com/services/ or https://hooks.slack-gov.com/services/');
  });
});
