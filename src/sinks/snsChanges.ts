import type { SNSEvent } from 'aws-lambda';
import type { Logger } from '../log';
import { parseNotificationMessage, type NotificationChange, type NotificationPayload } from '../notify/payload';

/** One change of a finding read from a findings-topic notification, with when eks-drift published it. */
export interface ChangeAt extends NotificationChange {
  /** The SNS publish time (ISO): after the decision, and in the order of the decisions about one finding. */
  at: string;
  payload: NotificationPayload;
}

/**
 * Every change of every eks-drift notification in an SNS delivery. A message that is not an eks-drift notification
 * is logged, counted and skipped: retrying cannot make it one.
 */
export function changesOf(event: SNSEvent, log: Logger): { changes: ChangeAt[]; skipped: number } {
  const changes: ChangeAt[] = [];
  let skipped = 0;
  for (const record of event.Records ?? []) {
    let payload: NotificationPayload;
    try {
      payload = parseNotificationMessage(record.Sns?.Message ?? '');
    } catch (e) {
      log.log('error', 'SNS message is not an eks-drift notification', { messageId: record.Sns?.MessageId, error: (e as Error).message });
      log.metric('UnparsableNotifications');
      skipped++;
      continue;
    }
    const at = new Date(record.Sns.Timestamp).toISOString();
    for (const c of payload.changes) changes.push({ ...c, at, payload });
  }
  return { changes, skipped };
}
