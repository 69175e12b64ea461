import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SNSEvent } from 'aws-lambda';
import { SEVERITIES, type Severity } from '../findings/finding';
import type { Logger } from '../log';
import { parseNotificationMessage } from './payload';
import { postToSlack, redactUrl, slackMessages, type PostOptions, type SlackPayload } from './slack';

export interface SlackNotifierDeps {
  ssm: SSMClient;
  /** SSM Parameter Store name of the SecureString holding the webhook URL. */
  parameterName: string;
  minSeverity: Severity;
  log: Logger;
  post?: (url: string, payload: SlackPayload, opts?: PostOptions) => Promise<void>;
  postOptions?: PostOptions;
}

/**
 * The Slack Lambda: formats each SNS record and posts it. The webhook URL is read once per container and never
 * logged. A final failure throws, so Lambda's retries and the on-failure destination keep the alert.
 */
export function createSlackNotifier(deps: SlackNotifierDeps): (event: SNSEvent) => Promise<{ posted: number; skipped: number }> {
  const post = deps.post ?? postToSlack;
  let webhook: Promise<string> | undefined;
  const webhookUrl = () => {
    webhook ??= readWebhookUrl(deps.ssm, deps.parameterName).catch((e: unknown) => {
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
        payload = parseNotificationMessage(record.Sns?.Message ?? '');
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
          await post(url, p, deps.postOptions);
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

async function readWebhookUrl(ssm: SSMClient, name: string): Promise<string> {
  let value: string | undefined;
  try {
    const r = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    value = r.Parameter?.Value;
  } catch (e) {
    // The SDK error names the parameter and the reason (AccessDenied, ParameterNotFound); it cannot hold the value.
    throw new Error(`cannot read the Slack webhook URL from SSM parameter ${name}: ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
  let protocol = '';
  try {
    protocol = new URL(value ?? '').protocol;
  } catch {
    // reported below, without the value
  }
  if (!value || (protocol !== 'https:' && protocol !== 'http:')) throw new Error(`SSM parameter ${name} does not hold a webhook URL`);
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
