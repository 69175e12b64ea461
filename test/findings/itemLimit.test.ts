import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Finding } from '../../src/findings/finding';
import { DynamoFindingStore } from '../../src/findings/dynamoStore';
import { notices, type ReconcileInput } from '../../src/findings/store';
import type { Trigger } from '../../src/findings/trigger';
import { buildNotifications, MESSAGE_MAX_BYTES, notificationBytes, parseNotificationMessage } from '../../src/notify/message';
import { startDynalite, type Dynalite } from '../support/dynalite';

/**
 * DynamoDB refuses items over 400 KB. Nothing the store writes may grow with the number of findings in a scope:
 * 450 findings used to make every delivery fail (the event marker listed every change) while the findings sat open
 * and unannounced.
 */
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const PROD_ARN = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod`;
const N = 5000;

const alice: Trigger = { kind: 'event', eventId: 'e-5000', eventName: 'AuthorizeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com', eventTime: '2026-11-29T05:00:00Z', principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/dev-admin/alice` };
const finding = (k: number): Finding => ({
  ruleId: 'no-internet-ingress',
  severity: 'high',
  account: ACCOUNT,
  region: REGION,
  cluster: 'prod',
  clusterArn: PROD_ARN,
  resourceType: 'AWS::EC2::SecurityGroup',
  resourceId: `sg-${String(k).padStart(17, '0')}`,
  message: `sg-${k} allows tcp 443 from 0.0.0.0/0 and ::/0`,
  evidence: { ipPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, sources: ['0.0.0.0/0', '::/0'] }], usedBy: ['prod-ng-1', 'prod-ng-2'] },
  guideline: 'EC2 Security Groups for Nodes',
  remediation: 'Revoke the inbound rule from 0.0.0.0/0 / ::/0.',
});
const input = (trigger: Trigger, findings: Finding[]): ReconcileInput => ({ account: ACCOUNT, region: REGION, cluster: 'prod', clusterArn: PROD_ARN, ruleIds: ['no-internet-ingress'], findings, trigger });

let dyn: Dynalite;
beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(() => dyn.stop());

it(`${N} findings in one scope (dynalite): stored, handed out in SNS-sized messages, acknowledged, no item near 400 KB`, async () => {
  const table = await dyn.createFindingsTable();
  const store = new DynamoFindingStore(table, dyn.client);
  const known = await store.reconcile(input({ kind: 'sweep', sweepId: 'sweep-0', time: '2026-11-29T04:00:00Z' }, []), []);
  await store.acknowledge(known.deliveries);

  const all = Array.from({ length: N }, (_, k) => finding(k));
  const c = await store.reconcile(input(alice, all), []);
  const handedOut = notices(c.deliveries);
  expect(handedOut).toHaveLength(N);
  expect(new Set(handedOut.map((n) => n.cause))).toEqual(new Set(['event']));

  const messages = buildNotifications({ account: ACCOUNT, region: REGION, cluster: 'prod', clusterArn: PROD_ARN, trigger: alice, changes: { opened: handedOut.map((n) => n.finding), resolved: [] } });
  for (const m of messages) expect(notificationBytes(m)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
  expect(messages.flatMap((m) => parseNotificationMessage(m.Message).changes)).toHaveLength(N);

  await store.acknowledge(c.deliveries);
  const marker = await dyn.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `EVENT#${alice.eventId}` }, sk: { S: PROD_ARN } } }));
  expect(marker.Item?.status).toEqual({ S: 'published' });
  expect(JSON.stringify(marker.Item).length).toBeLessThan(4096);

  const again = await store.reconcile(input({ ...alice, eventId: 'e-again' }, all), []);
  expect(notices(again.deliveries)).toEqual([]);
  expect((await store.listFindings({ status: 'open' })).filter((s) => s.pending)).toEqual([]);
  expect(await store.listFindings({ status: 'open' })).toHaveLength(N);
}, 120_000);
