import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SNSEvent } from 'aws-lambda';
import { SEVERITIES, type Severity } from '../findings/finding';
import type { Logger } from '../log';
import { parseNotificationMessage, type NotificationPayload } from './payload';
import { buildNotifications } from './message';
import { tamperAlert, tamperCallFromGuardMessage } from '../guard/alert';
import { postToSlack, redactUrl, slackMessages, slackWebhookUrlProblem, SLACK_WEBHOOK_ORIGINS, type PostOptions, type SlackPayload } from './slack';

export interface SlackNotifierDeps {
  ssm: SSMClient;
  /** SSM Parameter Store name of the SecureString holding the webhook URL. */
  parameterName: string;
  minSeverity: Severity;
  log: Logger;
  post?: (url: string, payload: SlackPayload, opts?: PostOptions) => Promise<void>;
  postOptions?: PostOptions;
  /** Where the webhook URL may point (default: Slack and GovSlack). A seam for tests only: the Lambda wiring never sets it. */
  allowedOrigins?: readonly string[];
}

/**
 * The Slack Lambda: formats each SNS record and posts it. The webhook URL is read once per container and never
 * logged. A final failure throws, so Lambda's retries and the on-failure destination keep the alert.
 */
export function createSlackNotifier(deps: SlackNotifierDeps): (event: SNSEvent) => Promise<{ posted: number; skipped: number }> {
  const post = deps.post ?? postToSlack;
  const allowedOrigins = deps.allowedOrigins ?? SLACK_WEBHOOK_ORIGINS;
  const postOptions = { ...deps.postOptions, allowedOrigins };
  let webhook: Promise<string> | undefined;
  const webhookUrl = () => {
    webhook ??= readWebhookUrl(deps.ssm, deps.parameterName, allowedOrigins).catch((e: unknown) => {
      webhook = undefined; // the next invocation tries again
      throw e;
    });
    return webhook;
  };

  return async (event) => {
    let posted = 0;
    let skipped = 0;
    const failures: string[] = [];
    for (const record of event.Records ?? []) {
      const messageId = record.Sns?.MessageId;
      let payload;
      try {
        payload = readAlert(record.Sns?.Message ?? '');
      } catch (e) {
        // Not ours (someone published by hand): retrying cannot make it ours.
        deps.log.log('error', 'SNS message is not an eks-drift notification', { messageId, error: (e as Error).message });
        deps.log.metric('SlackUnparsableMessages');
        skipped++;
        continue;
      }
      const posts = slackMessages(payload, { minSeverity: deps.minSeverity });
      if (!posts.length) {
        deps.log.log('debug', 'below the Slack minimum severity', { messageId, minSeverity: deps.minSeverity });
        skipped++;
        continue;
      }
      const url = await webhookUrl();
      for (const p of posts) {
        try {
          await post(url, p, postOptions);
          posted++;
        } catch (e) {
          const error = redactUrl((e as Error).message, url);
          deps.log.log('error', 'Slack post failed', { messageId, cluster: payload.cluster, error });
          deps.log.metric('SlackPostFailures');
          failures.push(error);
        }
      }
    }
    if (failures.length) throw new Error(`${failures.length} Slack post(s) failed: ${failures.join('; ')}`);
    return { posted, skipped };
  };
}

/**
 * An eks-drift notification (findings topic), or the direct self-protection message (guard topic) turned into the
 * same critical alert the guard Lambda publishes, so both paths look alike in Slack.
 */
function readAlert(message: string): NotificationPayload {
  const tamper = tamperCallFromGuardMessage(message);
  if (tamper) return parseNotificationMessage(buildNotifications(tamperAlert(tamper))[0].Message);
  return parseNotificationMessage(message);
}

/**
 * The webhook URL from SSM, checked before any use: whoever can write the parameter must not be able to send the
 * alerts (resource names, who did what) to a server of theirs. The error never contains the value.
 */
async function readWebhookUrl(ssm: SSMClient, name: string, allowedOrigins: readonly string[]): Promise<string> {
  let value: string | undefined;
  try {
    const r = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    value = r.Parameter?.Value;
  } catch (e) {
    // The SDK error names the parameter and the reason (AccessDenied, ParameterNotFound); it cannot hold the value.
    throw new Error(`cannot read the Slack webhook URL from SSM parameter ${name}: ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
  const problem = slackWebhookUrlProblem(value ?? '', allowedOrigins);
  if (problem !== undefined || !value) throw new Error(`SSM parameter ${name} does not hold a Slack incoming-webhook URL: ${problem}`);
  return value;
}

export function parseMinSeverity(v: string | undefined): Severity {
  if (v === undefined || v === '') return 'high';
  if ((SEVERITIES as readonly string[]).includes(v)) return v as Severity;
  throw new Error(`SLACK_MIN_SEVERITY must be one of ${SEVERITIES.join(', ')}; got "${v}"`);
}

/** The Lambda wiring: SLACK_WEBHOOK_PARAMETER (required), SLACK_MIN_SEVERITY (default high). */
export function slackNotifierFromEnv(env: NodeJS.ProcessEnv, log: Logger) {
  const parameterName = env.SLACK_WEBHOOK_PARAMETER;
  if (!parameterName) throw new Error('environment variable SLACK_WEBHOOK_PARAMETER is not set');
  return createSlackNotifier({ ssm: new SSMClient({}), parameterName, minSeverity: parseMinSeverity(env.SLACK_MIN_SEVERITY), log });
}
