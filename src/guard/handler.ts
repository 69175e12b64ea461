import { SNSClient } from '@aws-sdk/client-sns';
import type { Logger } from '../log';
import { buildNotifications, type SnsNotification } from '../notify/message';
import { publishNotifications } from '../notify/sns';
import { tamperAlert, tamperCallFromEvent } from './alert';

export interface GuardDeps {
  publish: (notifications: readonly SnsNotification[]) => Promise<void>;
  log: Logger;
}

/**
 * The guard Lambda: one call on the detector's resources (the guard rule already filtered them) becomes one critical
 * alert on the findings topic, in the same format as every finding, so Slack and filtered subscribers get it. It
 * shares nothing with the detector's functions but the topic: no store, no reads, its own role. A failed publish
 * throws, so Lambda retries and the dead-letter queue keeps the event.
 */
export function createGuardHandler(deps: GuardDeps): (event: unknown) => Promise<{ status: 'alerted' | 'invalid'; eventName?: string }> {
  return async (event) => {
    const parsed = tamperCallFromEvent(event);
    if ('invalid' in parsed) {
      deps.log.log('error', 'guard: not a CloudTrail event, no alert sent', { reason: parsed.invalid });
      deps.log.metric('GuardInvalidEvents');
      return { status: 'invalid' };
    }
    const { call } = parsed;
    await deps.publish(buildNotifications(tamperAlert(call)));
    deps.log.log('warn', 'detector tampered: alert published', { eventId: call.eventId, eventName: call.eventName, principalArn: call.principalArn });
    deps.log.metric('DetectorTampered');
    return { status: 'alerted', eventName: call.eventName };
  };
}

/** The Lambda wiring: FINDINGS_TOPIC_ARN (required). */
export function guardHandlerFromEnv(env: NodeJS.ProcessEnv, log: Logger) {
  const topicArn = env.FINDINGS_TOPIC_ARN;
  if (!topicArn) throw new Error('environment variable FINDINGS_TOPIC_ARN is not set');
  const sns = new SNSClient({});
  return createGuardHandler({ publish: (ns) => publishNotifications(sns, topicArn, ns), log });
}
