import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { createQueue, drainQueue } from '../support/sqs';
import { snsEvent } from '../support/snsEvent';
import { base, endpointPublic, finding, sshOpen, ACCOUNT, REGION } from '../notify/fixtures';
import { buildNotifications } from '../../src/notify/message';
import { MemoryLogger } from '../../src/log';
import { createEventBusSink, eventBusSinkFromEnv, DETAIL_TYPE, EVENT_SOURCE } from '../../src/sinks/eventBus';

const T1 = '2026-11-29T10:00:00.000Z';

describeWithMoto('organisation bus sink against moto EventBridge (a rule on the central bus with an SQS target)', () => {
  let moto: Moto;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  let busArn: string;
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    const cfg = motoClientConfig(moto.endpoint);
    events = new EventBridgeClient(cfg);
    sqs = new SQSClient(cfg);
    busArn = (await events.send(new CreateEventBusCommand({ Name: 'security-central' }))).EventBusArn!;
    const soc = await createQueue(sqs, 'soc');
    queueUrl = soc.queueUrl;
    // What a security account would route: every eks-drift change (moto cannot match inside arrays of objects).
    await events.send(new PutRuleCommand({ Name: 'eks-drift-changes', EventBusName: 'security-central', EventPattern: JSON.stringify({ source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPE] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'eks-drift-changes', EventBusName: 'security-central', Targets: [{ Id: 'soc', Arn: soc.queueArn }] }));
  });
  afterAll(async () => {
    events?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  const arrived = async (): Promise<Record<string, unknown>[]> => (await drainQueue(sqs, queueUrl)).map((m) => JSON.parse(m.Body!));

  it('puts each opened and resolved change on the central bus, the finding with its account and region as detail', async () => {
    const notifications = buildNotifications({ ...base, changes: { opened: [sshOpen], resolved: [endpointPublic] } });
    const sink = createEventBusSink({ client: new EventBridgeClient(motoClientConfig(moto.endpoint)), busArn, log: new MemoryLogger() });
    await expect(sink(snsEvent(notifications, T1))).resolves.toEqual({ sent: 2, skipped: 0 });

    const got = await arrived();
    expect(got).toHaveLength(2);
    for (const e of got) expect(e).toMatchObject({ source: 'eks-drift', 'detail-type': 'EKS Drift Finding Change', resources: [sshOpen.clusterArn] });
    const byChange = Object.fromEntries(got.map((e) => [(e.detail as { change: string }).change, e.detail]));
    expect(byChange.opened).toEqual({ change: 'opened', cause: 'event', ...sshOpen, trigger: base.trigger });
    expect(byChange.resolved).toMatchObject({ change: 'resolved', ruleId: 'endpoint-not-public', account: ACCOUNT, region: REGION, cluster: 'prod' });
  });

  it('an escalation carries the severity it had beside the new one, so the central account routes on both', async () => {
    const high = { ...endpointPublic, severity: 'critical' as const };
    const notifications = buildNotifications({ ...base, changes: { opened: [], escalated: [{ finding: high, previousSeverity: 'high' }], resolved: [] } });
    await createEventBusSink({ client: new EventBridgeClient(motoClientConfig(moto.endpoint)), busArn, log: new MemoryLogger() })(snsEvent(notifications, T1));
    const [e, ...rest] = await arrived();
    expect(rest).toEqual([]);
    expect(e.detail).toEqual({ change: 'escalated', cause: 'event', previousSeverity: 'high', ...high, trigger: base.trigger });
  });

  it('sends a notification of 12 changes in requests of at most 10 entries', async () => {
    const client = new EventBridgeClient(motoClientConfig(moto.endpoint));
    const spy = jest.spyOn(client, 'send');
    const many = Array.from({ length: 12 }, (_, k) => finding({ resourceId: `sg-${k}` }));
    await createEventBusSink({ client, busArn, log: new MemoryLogger() })(snsEvent(buildNotifications({ ...base, changes: { opened: many, resolved: [] } }), T1));
    expect(spy.mock.calls.map(([c]) => (c as PutEventsCommand).input.Entries!.length)).toEqual([10, 2]);
    expect(await arrived()).toHaveLength(12);
  });
});

describe('organisation bus sink (faults, at the client)', () => {
  it('resends only the entries EventBridge failed, then fails the invocation naming what it could not deliver', async () => {
    const client = new EventBridgeClient({ region: REGION });
    const mock = mockClient(client);
    mock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'e1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] })
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized to put events on the bus' }] });
    const waits: number[] = [];
    const notifications = buildNotifications({ ...base, changes: { opened: [sshOpen, endpointPublic], resolved: [] } });
    const busArn = 'arn:aws:events:eu-west-1:999988887777:event-bus/security-central';
    await expect(createEventBusSink({ client, busArn, log: new MemoryLogger(), batch: { sleep: async (ms) => void waits.push(ms) } })(snsEvent(notifications, T1))).rejects.toThrow(
      `1 events for ${busArn} refused after 4 attempts: AccessDeniedException not authorized to put events on the bus`,
    );
    const sent = mock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.Detail!).ruleId));
    expect(sent).toEqual([['no-internet-ssh', 'endpoint-not-public'], ['endpoint-not-public'], ['endpoint-not-public'], ['endpoint-not-public']]);
    expect(waits).toEqual([200, 400, 800]);
  });

  it('refuses to start without the ARN of a bus', () => {
    expect(() => eventBusSinkFromEnv({}, new MemoryLogger())).toThrow(/ORG_EVENT_BUS_ARN must be the ARN of an EventBridge event bus/);
    expect(() => eventBusSinkFromEnv({ ORG_EVENT_BUS_ARN: 'security-central' }, new MemoryLogger())).toThrow(/got "security-central"/);
    expect(() => eventBusSinkFromEnv({ ORG_EVENT_BUS_ARN: 'arn:aws:events:eu-west-1:999988887777:event-bus/security-central' }, new MemoryLogger())).not.toThrow();
  });
});
