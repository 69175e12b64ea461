import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  SecurityHubClient,
  type AwsSecurityFinding,
  type AwsSecurityFindingIdentifier,
  type WorkflowStatus,
} from '@aws-sdk/client-securityhub';
import type { SNSEvent } from 'aws-lambda';
import type { Logger } from '../log';
import { chunks, deliverInBatches, type BatchOptions } from './batches';
import { toAsff } from './asff';
import { changesOf, type ChangeAt } from './snsChanges';

/** BatchImportFindings and BatchUpdateFindings take at most 100 findings per request. */
export const SECURITY_HUB_BATCH = 100;

export interface SecurityHubSinkDeps {
  client: SecurityHubClient;
  log: Logger;
  batch?: BatchOptions;
}

/**
 * Imports lifecycle changes into Security Hub: every change as an ASFF record (BatchImportFindings), then the
 * workflow status Security Hub does not take from an update of an existing finding (BatchUpdateFindings): SUPPRESSED
 * for a suppression, NEW for a finding opened again after one (Security Hub itself resets only RESOLVED and NOTIFIED).
 */
export async function importChanges(deps: SecurityHubSinkDeps, changes: readonly ChangeAt[]): Promise<void> {
  const records = changes.map((c) => toAsff(c.finding, c.change, c.at, { cause: c.cause, previousSeverity: c.previousSeverity }));
  await deliverInBatches(
    'Security Hub findings',
    records,
    (xs) => chunks(xs, SECURITY_HUB_BATCH),
    async (batch: AwsSecurityFinding[]) => {
      const r = await deps.client.send(new BatchImportFindingsCommand({ Findings: batch }));
      const byId = new Map(batch.map((f) => [f.Id, f]));
      return (r.FailedFindings ?? []).map((x) => ({ item: byId.get(x.Id)!, error: `${x.Id}: ${x.ErrorCode} ${x.ErrorMessage}` }));
    },
    deps.batch,
  );
  for (const [status, note] of [
    ['SUPPRESSED', 'Suppressed by the eks-drift configuration (suppressions).'],
    ['NEW', 'Opened by eks-drift: the resource violates the rule (again, if it was suppressed or resolved).'],
  ] as const) {
    const ids = records.filter((r) => r.Workflow?.Status === status).map((r): AwsSecurityFindingIdentifier => ({ Id: r.Id, ProductArn: r.ProductArn }));
    if (ids.length) await setWorkflow(deps, ids, status, note);
  }
}

async function setWorkflow(deps: SecurityHubSinkDeps, ids: AwsSecurityFindingIdentifier[], status: WorkflowStatus, note: string): Promise<void> {
  await deliverInBatches(
    `Security Hub workflow updates (${status})`,
    ids,
    (xs) => chunks(xs, SECURITY_HUB_BATCH),
    async (batch: AwsSecurityFindingIdentifier[]) => {
      const r = await deps.client.send(
        new BatchUpdateFindingsCommand({ FindingIdentifiers: batch, Workflow: { Status: status }, Note: { Text: note, UpdatedBy: 'eks-drift' } }),
      );
      return (r.UnprocessedFindings ?? []).map((u) => ({ item: u.FindingIdentifier!, error: `${u.FindingIdentifier?.Id}: ${u.ErrorCode} ${u.ErrorMessage}` }));
    },
    deps.batch,
  );
}

/** The Lambda subscriber of the findings topic: each notification's changes into Security Hub. */
export function createSecurityHubSink(deps: SecurityHubSinkDeps): (event: SNSEvent) => Promise<{ imported: number; skipped: number }> {
  return async (event) => {
    const { changes, skipped } = changesOf(event, deps.log);
    if (changes.length) await importChanges(deps, changes);
    deps.log.log('info', 'imported into Security Hub', { imported: changes.length, skipped });
    if (changes.length) deps.log.metric('SecurityHubImported', changes.length);
    return { imported: changes.length, skipped };
  };
}

export function securityHubSinkFromEnv(_env: NodeJS.ProcessEnv, log: Logger) {
  return createSecurityHubSink({ client: new SecurityHubClient({}), log });
}
