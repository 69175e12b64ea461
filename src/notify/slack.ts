import { severityRank, type Severity } from '../findings/finding';
import { consoleUrl } from './console';
import { severityCounts } from './digest';
import type { ChangeKind } from '../findings/store';
import { changeTag, wasSeverity } from './message';
import type { NotificationChange, NotificationPayload } from './payload';
import { triggerFacts, type TriggerFacts } from './trigger';

/** Slack attachment colours: red to grey by severity; a resolution is always green. */
export const SEVERITY_COLOURS: Record<Severity, string> = {
  critical: '#D00000',
  high: '#F2711C',
  medium: '#F2C744',
  low: '#2E86DE',
  info: '#95A5A6',
};
export const RESOLVED_COLOUR = '#2EB67D';

/** Changes per Slack post: Slack truncates messages with many attachments. */
const CHANGES_PER_POST = 10;

type Text = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean; verbatim?: boolean };
export type SlackBlock =
  | { type: 'header'; text: Text }
  | { type: 'section'; text?: Text; fields?: Text[] }
  | { type: 'context'; elements: Text[] }
  | { type: 'divider' };

export interface SlackPayload {
  /** Fallback for notifications and clients without Block Kit. */
  text: string;
  blocks: SlackBlock[];
  attachments: { color: string; blocks: SlackBlock[] }[];
}

/**
 * Slack's control characters: `<…>` makes mentions (`<!channel>`) and links (`<https://…|…>`), `&` starts an entity.
 * Every string that comes from a resource, a caller or the message goes through this before it reaches a text Slack
 * parses (mrkdwn and the fallback `text`); plain_text is shown as typed.
 */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
/** mrkdwn, verbatim: Slack keeps our formatting and links but does not turn words like @channel or #ops into mentions. */
const md = (text: string): Text => ({ type: 'mrkdwn', text: cut(text, 2000), verbatim: true });

/** Room for the actors in the "why" field, so that what they did and when (after them) is never cut off. */
const WHO_MAX = 1500;

/** One line per actor (every writer of an audit-log delivery, capped), then how many more. */
function who(f: TriggerFacts): string {
  const lines: string[] = [];
  let more = f.moreActors ?? 0;
  for (const a of f.actors) {
    const line = `\`${esc(a.who)}\`${a.from ? ` from ${esc(a.from)}` : ''}`;
    if (lines.length && lines.join('\n').length + line.length >= WHO_MAX) more++;
    else lines.push(line);
  }
  if (!lines.length) lines.push('unknown principal');
  if (more) lines.push(`…and ${more} more`);
  return lines.join('\n');
}

/** The "why" field: who did it only when a call did it (cause `event`). */
function why(p: NotificationPayload): Text {
  const f = triggerFacts(p.trigger);
  switch (p.cause) {
    case 'event':
      return md(`*Who*\n${who(f)}\n${esc(f.what)} at ${esc(f.at)}`);
    case 'sweep':
      return md(`*Found by*\n${esc(f.what)} at ${esc(f.at)} (no event reported it)`);
    case 'first-check':
      return md(`*Cause*\nalready present when eks-drift first checked`);
  }
}

/** A change Slack shows: suppressions are recorded, never posted. */
type Posted = NotificationChange & { change: Exclude<ChangeKind, 'suppressed'> };

/** What each posted change says of itself. */
const CHANGE_LINE: Record<Posted['change'], (c: NotificationChange) => string> = {
  opened: (c) => `:rotating_light: opened (${c.finding.severity})`,
  escalated: (c) => `:rotating_light: escalated (${c.previousSeverity} → ${c.finding.severity})`,
  resolved: (c) => `:white_check_mark: resolved (${c.finding.severity})`,
};

function attachment(p: NotificationPayload, c: Posted): SlackPayload['attachments'][number] {
  const f = c.finding;
  const link = consoleUrl(f);
  const fields = [
    md(`*Change*\n${CHANGE_LINE[c.change](c)}`),
    md(`*Rule*\n\`${esc(f.ruleId)}\``),
    md(`*Cluster*\n${esc(f.cluster ?? '(account-level)')}`),
    md(`*Account / region*\n${esc(f.account)} / ${esc(f.region)}`),
    md(`*Resource*\n${esc(f.resourceType)}\n\`${esc(f.resourceId)}\``),
    why(p),
  ];
  const blocks: SlackBlock[] = [
    { type: 'section', text: md(`*${c.change.toUpperCase()}* · *${f.severity.toUpperCase()}*${wasSeverity(c)} · ${esc(f.message)}`) },
    { type: 'section', fields },
  ];
  if (c.change !== 'resolved') blocks.push({ type: 'section', text: md(`*Remediation*\n${esc(f.remediation)}`) });
  const context = [md(`Guideline: ${esc(f.guideline)}`)];
  if (link) context.push(md(`<${link}|Open in the AWS console>`));
  const reference = triggerFacts(p.trigger).reference;
  if (p.cause === 'event' && reference) context.push(md(esc(reference)));
  blocks.push({ type: 'context', elements: context });
  return { color: c.change === 'resolved' ? RESOLVED_COLOUR : SEVERITY_COLOURS[f.severity], blocks };
}

/**
 * Block Kit payloads for one notification: a header naming the cluster and the leading rule, one coloured
 * attachment per change at or above `minSeverity`, at most 10 changes per post. Empty when nothing qualifies.
 */
export function slackMessages(p: NotificationPayload, opts: { minSeverity?: Severity } = {}): SlackPayload[] {
  if (p.digest) return [slackDigest(p, opts)];
  const min = severityRank(opts.minSeverity ?? 'info');
  // A suppression is recorded, not announced: the subscription's filter policy drops its messages, and so does this.
  const changes = p.changes.filter((c): c is Posted => c.change !== 'suppressed' && severityRank(c.finding.severity) >= min);
  const posts: SlackPayload[] = [];
  for (let k = 0; k < changes.length; k += CHANGES_PER_POST) {
    const chunk = changes.slice(k, k + CHANGES_PER_POST);
    const top = chunk[0];
    const where = p.cluster ?? `account ${p.account}`;
    const more = chunk.length > 1 ? ` and ${chunk.length - 1} more` : '';
    const title = `${changeTag(top)} ${where}: ${top.finding.ruleId}${wasSeverity(top)}${more}`;
    posts.push({
      text: cut(esc(`${title} — ${top.finding.message}`), 3000),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: cut(title, 150), emoji: true } },
        { type: 'context', elements: [md(`eks-drift · account ${esc(p.account)} · ${esc(p.region)}${p.clusterArn ? ` · ${esc(p.clusterArn)}` : ''}`)] },
      ],
      attachments: chunk.map((c) => attachment(p, c)),
    });
  }
  return posts;
}

/** Slack Block Kit limits: blocks per message, characters per text object, per header. */
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_TEXT = 3000;
const HEADER_MAX = 150;

/**
 * The first-check digest as ONE post within Slack's limits: the counts (per severity, per rule), then the items at
 * or above `minSeverity` worst first, packed several to a section, and how many more there are.
 */
export function slackDigest(p: NotificationPayload, opts: { minSeverity?: Severity } = {}): SlackPayload {
  const d = p.digest!;
  const min = severityRank(opts.minSeverity ?? 'info');
  const title = `eks-drift ${d.baseline ? 'baseline' : 'first check'}: ${d.total} finding(s) already present (${severityCounts(d.bySeverity)})`;
  const full = (t: string) => cut(t, SLACK_MAX_TEXT);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, HEADER_MAX), emoji: true } },
    {
      type: 'context',
      elements: [md(`account ${esc(p.account)} · ${esc(p.region)} · ${d.clusters} cluster(s) · not attributed to anyone: they predate what eks-drift knows`)],
    },
    { type: 'section', text: { type: 'mrkdwn', text: full(`*By rule*\n${d.byRule.map((r) => `\`${esc(r.ruleId)}\` (${r.severity}): ${r.count}`).join('\n')}`) } },
    { type: 'divider' },
  ];
  const items = p.changes.filter((c) => severityRank(c.finding.severity) >= min);
  const limit = SLACK_MAX_BLOCKS - 1; // room for the closing context
  let listed = 0;
  let text = '';
  for (const c of items) {
    const f = c.finding;
    const link = consoleUrl(f);
    const line = cut(`*${f.severity.toUpperCase()}* · ${esc(f.cluster ?? 'account')} · \`${esc(f.ruleId)}\` · ${esc(f.message)}${link ? ` <${link}|console>` : ''}`, 600);
    if (text && text.length + line.length + 1 > SLACK_MAX_TEXT) {
      if (blocks.length + 2 > limit) break; // this section and the last one must both fit
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
      text = '';
    }
    text = text ? `${text}\n${line}` : line;
    listed++;
  }
  if (text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
  const more = d.total - listed;
  if (more > 0) blocks.push({ type: 'context', elements: [md(`…and ${more} more${min > 0 ? ` (or below ${opts.minSeverity})` : ''}: \`eks-drift sweep\` or the findings table lists them all`)] });
  return { text: cut(title, SLACK_MAX_TEXT), blocks, attachments: [] };
}

export class SlackPostError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SlackPostError';
  }
}

export interface PostOptions {
  /** Total attempts for 429 / 5xx / network errors. Default 4. */
  maxAttempts?: number;
  /** First backoff after a 429 without Retry-After, a 5xx or a network error; doubles each time, jittered. Default 1000 ms. */
  baseDelayMs?: number;
  /** Longest wait this function accepts, from backoff or Retry-After. Default 30 s (the Lambda has 30 s in all). */
  maxDelayMs?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  /** Injected in tests so they assert the waits without waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected in tests to pin the jitter (0 ≤ x < 1). Default Math.random. */
  random?: () => number;
  /**
   * Origins a webhook URL may have. Default: Slack's and GovSlack's. Only code can change it (the tests point it at a
   * local server); the Lambda wiring never does, and nothing in its environment or in SSM can.
   */
  allowedOrigins?: readonly string[];
}

/** Slack incoming webhooks (https://hooks.slack.com/services/…) and GovSlack's (https://hooks.slack-gov.com/services/…). */
export const SLACK_WEBHOOK_ORIGINS: readonly string[] = ['https://hooks.slack.com', 'https://hooks.slack-gov.com'];
const WEBHOOK_PATH = '/services/';

/**
 * Why `url` is not a Slack incoming webhook we may post to, or undefined when it is. The URL is a credential, so the
 * answer never contains it. Only the origin (scheme, host, port) and the incoming-webhook path count: user info, look-alike hosts
 * and other paths (workflow triggers take other payloads) are refused.
 */
export function slackWebhookUrlProblem(url: string, allowedOrigins: readonly string[] = SLACK_WEBHOOK_ORIGINS): string | undefined {
  const problem = `it must start with ${allowedOrigins.map((o) => `${o}${WEBHOOK_PATH}`).join(' or ')}`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return problem;
  }
  if (!allowedOrigins.includes(u.origin) || u.username || u.password || !u.pathname.startsWith(WEBHOOK_PATH)) return problem;
  return undefined;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Removes the webhook URL (a credential: whoever holds it can post to the channel) from any text. */
export function redactUrl(text: string, url: string): string {
  let out = text.split(url).join('<slack webhook URL>');
  try {
    const path = new URL(url).pathname;
    if (path.length > 1) out = out.split(path).join('<redacted>');
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}

/** Retry-After in ms: delta-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  const v = header?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * POSTs one payload to a Slack incoming webhook. Only Slack's webhook URLs are accepted, and a redirect is an error,
 * never followed (it would hand the alert, or the next request, to another host). 429 waits for Retry-After (when
 * it is within `maxDelayMs`), else backs off like 5xx and network errors: exponentially, with jitter so that many
 * notifiers throttled together do not retry together. Any other 4xx fails at once (retrying cannot fix it).
 * Errors never contain the URL.
 */
export async function postToSlack(url: string, payload: SlackPayload, opts: PostOptions = {}): Promise<void> {
  const refused = slackWebhookUrlProblem(url, opts.allowedOrigins);
  if (refused) throw new SlackPostError(`not a Slack incoming-webhook URL: ${refused}`);
  const maxAttempts = opts.maxAttempts ?? 4;
  const base = opts.baseDelayMs ?? 1000;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const body = JSON.stringify(payload);
  let last = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    // "Equal jitter": half the backoff for sure, the other half at random.
    const backoff = Math.min(base * 2 ** (attempt - 1), maxDelay);
    let wait = Math.round(backoff / 2 + (backoff / 2) * random());
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      const text = redactUrl(cut(await res.text().catch(() => ''), 300), url);
      if (res.ok) return;
      last = `HTTP ${res.status}${text ? ` ${text}` : ''}`;
      if (res.status >= 300 && res.status < 400) throw new SlackPostError(`Slack webhook answered HTTP ${res.status} (a redirect, not followed)`, res.status);
      if (res.status === 429) {
        const asked = retryAfterMs(res.headers.get('retry-after')) ?? wait;
        if (asked > maxDelay) throw new SlackPostError(`Slack webhook rate-limited: asked to wait ${asked / 1000} s, more than the ${maxDelay / 1000} s allowed (${last})`, 429);
        wait = asked;
      } else if (res.status < 500) {
        throw new SlackPostError(`Slack webhook refused the message: ${last}`, res.status);
      }
    } catch (e) {
      if (e instanceof SlackPostError) throw e;
      last = `network error: ${redactUrl(`${(e as Error).message}${(e as Error).cause ? ` (${String((e as Error).cause)})` : ''}`, url)}`;
    }
    if (attempt < maxAttempts) await sleep(wait);
  }
  throw new SlackPostError(`Slack webhook failed after ${maxAttempts} attempts: ${last}`);
}
