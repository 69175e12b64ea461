import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
  type AwsSecurityFinding,
  type BatchUpdateFindingsCommandInput,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { snsEvent } from '../support/snsEvent';
import { base, finding, sshOpen, ACCOUNT, REGION } from '../notify/fixtures';
import { buildNotifications } from '../../src/notify/message';
import { MemoryLogger } from '../../src/log';
import { asffId, productArn } from '../../src/sinks/asff';
import { createSecurityHubSink } from '../../src/sinks/securityHub';

const T1 = '2026-11-29T10:00:00.000Z';
const T2 = '2026-11-29T10:05:00.000Z';
const noWait = { sleep: async () => undefined };
const opened = (fs = [sshOpen]) => buildNotifications({ ...base, changes: { opened: fs, resolved: [] } });
const resolved = (fs = [sshOpen]) => buildNotifications({ ...base, changes: { opened: [], resolved: fs } });
const suppressed = (fs = [sshOpen]) => buildNotifications({ ...base, changes: { opened: [], resolved: [], suppressed: fs } });

/**
 * A Security Hub client whose BatchImportFindings reaches moto; moto does not serve BatchUpdateFindings (the
 * workflow status of an existing finding), so that call is recorded at the client and answered as processed.
 */
function sinkClient(hub: SecurityHubClient) {
  const client = new SecurityHubClient({ region: REGION });
  const workflow: BatchUpdateFindingsCommandInput[] = [];
  const mock = mockClient(client);
  mock.on(BatchImportFindingsCommand).callsFake((input) => hub.send(new BatchImportFindingsCommand(input)));
  mock.on(BatchUpdateFindingsCommand).callsFake((input: BatchUpdateFindingsCommandInput) => {
    workflow.push(input);
    return { ProcessedFindings: input.FindingIdentifiers, UnprocessedFindings: [] };
  });
  return { client, mock, workflow };
}

async function allFindings(hub: SecurityHubClient): Promise<AwsSecurityFinding[]> {
  const out: AwsSecurityFinding[] = [];
  let NextToken: string | undefined;
  do {
    const r = await hub.send(new GetFindingsCommand({ MaxResults: 100, NextToken }));
    out.push(...(r.Findings ?? []));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

describeWithMoto('Security Hub sink against moto (BatchImportFindings / GetFindings)', () => {
  let moto: Moto;
  let hub: SecurityHubClient;

  beforeAll(async () => {
    moto = await startMoto();
    hub = new SecurityHubClient(motoClientConfig(moto.endpoint, REGION));
  });
  beforeEach(() => moto.reset());
  afterAll(async () => {
    hub?.destroy();
    await moto?.stop();
  });

  it('a finding opened appears as ACTIVE / FAILED / NEW; resolved, the same finding is ARCHIVED / PASSED', async () => {
    const { client, workflow } = sinkClient(hub);
    const sink = createSecurityHubSink({ client, log: new MemoryLogger(), batch: noWait });

    await expect(sink(snsEvent(opened(), T1))).resolves.toEqual({ imported: 1, skipped: 0 });
    let [f, ...rest] = await allFindings(hub);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      Id: asffId(sshOpen),
      ProductArn: productArn(ACCOUNT, REGION),
      GeneratorId: 'no-internet-ssh',
      AwsAccountId: ACCOUNT,
      Region: REGION,
      CreatedAt: T1,
      UpdatedAt: T1,
      Severity: { Label: 'CRITICAL' },
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      Workflow: { Status: 'NEW' },
      Resources: [{ Type: 'AwsEc2SecurityGroup', Id: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123` }, { Type: 'AwsEksCluster' }],
    });
    // Opened again after a suppression, the workflow must leave SUPPRESSED: Security Hub only resets RESOLVED/NOTIFIED.
    expect(workflow).toEqual([expect.objectContaining({ FindingIdentifiers: [{ Id: asffId(sshOpen), ProductArn: productArn(ACCOUNT, REGION) }], Workflow: { Status: 'NEW' } })]);

    await sink(snsEvent(resolved(), T2));
    [f, ...rest] = await allFindings(hub);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ Id: asffId(sshOpen), UpdatedAt: T2, RecordState: 'ARCHIVED', Compliance: { Status: 'PASSED' } });
  });

  it('an escalation re-imports the finding with its new severity; its record and workflow state stay as they were', async () => {
    const { client, workflow } = sinkClient(hub);
    const sink = createSecurityHubSink({ client, log: new MemoryLogger(), batch: noWait });
    const high = { ...sshOpen, severity: 'high' as const };
    await sink(snsEvent(opened([high]), T1));
    workflow.length = 0;
    await sink(snsEvent(buildNotifications({ ...base, changes: { opened: [], escalated: [{ finding: sshOpen, previousSeverity: 'high' }], resolved: [] } }), T2));
    const [f, ...rest] = await allFindings(hub);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      Id: asffId(sshOpen),
      UpdatedAt: T2,
      Severity: { Label: 'CRITICAL' },
      FindingProviderFields: { Severity: { Label: 'CRITICAL', Original: 'critical' } },
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      ProductFields: expect.objectContaining({ 'eks-drift/change': 'escalated', 'eks-drift/previousSeverity': 'high' }),
    });
    // No workflow in the import (Security Hub keeps the one its team set) and no BatchUpdateFindings to reset it.
    expect(workflow).toEqual([]);
  });

  it('imports 250 changes of one notification in batches of 100, all of them', async () => {
    const { client, mock } = sinkClient(hub);
    const many = Array.from({ length: 250 }, (_, k) => finding({ resourceId: `sg-${String(k).padStart(4, '0')}` }));
    await createSecurityHubSink({ client, log: new MemoryLogger(), batch: noWait })(snsEvent(opened(many), T1));
    expect(mock.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings!.length)).toEqual([100, 100, 50]);
    expect((await allFindings(hub)).length).toBe(250);
  });
});

describe('Security Hub sink (faults and workflow, at the client)', () => {
  it('a suppression is imported as SUPPRESSED and set SUPPRESSED on the existing finding, with a note', async () => {
    const client = new SecurityHubClient({ region: REGION });
    const mock = mockClient(client);
    mock.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    mock.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await createSecurityHubSink({ client, log: new MemoryLogger(), batch: noWait })(snsEvent(suppressed(), T1));
    expect(mock.commandCalls(BatchImportFindingsCommand)[0].args[0].input.Findings![0]).toMatchObject({ Workflow: { Status: 'SUPPRESSED' }, Compliance: { Status: 'FAILED' }, RecordState: 'ACTIVE' });
    expect(mock.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input)).toEqual([
      { FindingIdentifiers: [{ Id: asffId(sshOpen), ProductArn: productArn(ACCOUNT, REGION) }], Workflow: { Status: 'SUPPRESSED' }, Note: { Text: expect.stringMatching(/suppress/i), UpdatedBy: 'eks-drift' } },
    ]);
  });

  it('retries only the findings Security Hub refused, with backoff, until they are in', async () => {
    const client = new SecurityHubClient({ region: REGION });
    const mock = mockClient(client);
    const a = finding({ resourceId: 'sg-a' });
    const b = finding({ resourceId: 'sg-b' });
    mock
      .on(BatchImportFindingsCommand)
      .resolvesOnce({ FailedCount: 1, SuccessCount: 1, FailedFindings: [{ Id: asffId(b), ErrorCode: 'InternalException', ErrorMessage: 'try again' }] })
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    mock.on(BatchUpdateFindingsCommand).resolves({ UnprocessedFindings: [] });
    const waits: number[] = [];
    await createSecurityHubSink({ client, log: new MemoryLogger(), batch: { sleep: async (ms) => void waits.push(ms) } })(snsEvent(opened([a, b]), T1));
    expect(mock.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings!.map((x) => x.Id))).toEqual([[asffId(a), asffId(b)], [asffId(b)]]);
    expect(waits).toEqual([200]);
  });

  it('fails the invocation (SNS retries, then the dead-letter queue) naming what stayed refused', async () => {
    const client = new SecurityHubClient({ region: REGION });
    const mock = mockClient(client);
    mock.on(BatchImportFindingsCommand).resolves({ FailedCount: 1, SuccessCount: 0, FailedFindings: [{ Id: asffId(sshOpen), ErrorCode: 'InvalidAccess', ErrorMessage: 'Security Hub is not enabled' }] });
    const waits: number[] = [];
    await expect(createSecurityHubSink({ client, log: new MemoryLogger(), batch: { sleep: async (ms) => void waits.push(ms) } })(snsEvent(opened(), T1))).rejects.toThrow(
      `1 Security Hub findings refused after 4 attempts: ${asffId(sshOpen)}: InvalidAccess Security Hub is not enabled`,
    );
    expect(waits).toEqual([200, 400, 800]);
    expect(mock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  it('skips (and logs) a message that is not an eks-drift notification', async () => {
    const client = new SecurityHubClient({ region: REGION });
    const mock = mockClient(client);
    const log = new MemoryLogger();
    await expect(createSecurityHubSink({ client, log })(snsEvent(['hello']))).resolves.toEqual({ imported: 0, skipped: 1 });
    expect(mock.calls()).toHaveLength(0);
    expect(log.metrics.UnparsableNotifications).toBe(1);
  });
});
