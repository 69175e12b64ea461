import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import { MemoryFindingStore } from '../../src/findings/memoryStore';
import { FileFindingStore } from '../../src/findings/fileStore';
import { DynamoFindingStore } from '../../src/findings/dynamoStore';
import { isDirty, type AwsPolicyEntry, type StateStore, type StoredFacts } from '../../src/findings/stateStore';
import { startDynalite, type Dynalite } from '../support/dynalite';

/**
 * The state kept beside the findings: the cluster index (one entry per cluster) and CreateCluster records. Every
 * backend behaves alike: an older read never overwrites a newer one, a dirty mark is cleared only by a read that
 * began after it, concurrent writers all land, records are kept once.
 */
const facts = (sg: string, over: Partial<StoredFacts> = {}): StoredFacts => ({
  subnetIds: ['subnet-1'],
  securityGroupIds: [sg],
  launchTemplateIds: [],
  launchTemplateNames: [],
  autoScalingGroupNames: ['asg-1'],
  nodeRoleNames: ['nodes'],
  ...over,
});
const at = (minute: number) => new Date(Date.UTC(2026, 10, 29, 5, minute));

const createCluster = (cluster: string, eventId: string): CloudTrailLookupEvent => ({
  EventId: eventId,
  EventName: 'CreateCluster',
  EventSource: 'eks.amazonaws.com',
  EventTime: new Date('2026-01-15T09:59:30Z'),
  Resources: [{ ResourceType: 'AWS::EKS::Cluster', ResourceName: cluster }],
  CloudTrailEvent: JSON.stringify({
    eventSource: 'eks.amazonaws.com',
    eventName: 'CreateCluster',
    eventID: eventId,
    eventTime: '2026-01-15T09:59:30Z',
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/eks-creator/ci', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/eks-creator' } } },
    requestParameters: { name: cluster, roleArn: 'arn:aws:iam::111122223333:role/cluster', resourcesVpcConfig: { subnetIds: Array.from({ length: 50 }, (_, i) => `subnet-${i}`) }, tags: { big: 'x'.repeat(2000) } },
    responseElements: { cluster: { name: cluster, arn: `arn:aws:eks:us-east-1:111122223333:cluster/${cluster}`, certificateAuthority: { data: 'LS0t'.repeat(400) } } },
  }),
});

let dyn: Dynalite;
beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(() => dyn.stop());

const stores: [string, () => Promise<StateStore>][] = [
  ['memory', async () => new MemoryFindingStore().state],
  ['file', async () => new FileFindingStore(join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json')).state],
  ['DynamoDB (dynalite)', async () => new DynamoFindingStore(await dyn.createFindingsTable(), dyn.client).state],
];

describe.each(stores)('state store: %s', (_name, make) => {
  let state: StateStore;
  beforeEach(async () => {
    state = await make();
  });

  describe('cluster index entries', () => {
    it('keeps what a read found, and writes nothing when a later read finds the same', async () => {
      expect(await state.learn('prod', facts('sg-a'), at(1))).toMatchObject({ cluster: 'prod', facts: facts('sg-a'), readAt: at(1).toISOString(), version: 1 });
      expect(await state.learn('prod', facts('sg-a'), at(2))).toBeUndefined();
      expect(await state.indexEntries()).toEqual([expect.objectContaining({ cluster: 'prod', facts: facts('sg-a'), version: 1 })]);
    });

    it('an older read never overwrites a newer one, whatever order they land in', async () => {
      await state.learn('prod', facts('sg-new'), at(5));
      expect(await state.learn('prod', facts('sg-old'), at(3))).toBeUndefined();
      expect((await state.indexEntries())[0].facts).toEqual(facts('sg-new'));
    });

    it('a deleted cluster stays as a tombstone, so an older read cannot bring it back', async () => {
      await state.learn('prod', facts('sg-a'), at(1));
      await state.learn('prod', null, at(4));
      expect(await state.learn('prod', facts('sg-a'), at(2))).toBeUndefined();
      expect(await state.indexEntries()).toEqual([expect.objectContaining({ cluster: 'prod', gone: true, readAt: at(4).toISOString() })]);
    });

    it('a dirty mark stays until a read that began after it; an earlier read leaves it', async () => {
      await state.learn('prod', facts('sg-a'), at(1));
      await state.markDirty(['prod', 'new-cluster'], at(10));
      const [fresh, marked] = (await state.indexEntries()).sort((a, b) => a.cluster.localeCompare(b.cluster));
      expect([isDirty(marked), isDirty(fresh)]).toEqual([true, true]);
      expect(fresh.facts).toBeUndefined();
      await state.learn('prod', facts('sg-b'), at(9));
      expect(isDirty((await state.indexEntries()).find((e) => e.cluster === 'prod')!)).toBe(true);
      await state.learn('prod', facts('sg-b'), at(11));
      expect((await state.indexEntries()).find((e) => e.cluster === 'prod')).toMatchObject({ facts: facts('sg-b'), readAt: at(11).toISOString() });
      expect(isDirty((await state.indexEntries()).find((e) => e.cluster === 'prod')!)).toBe(false);
    });

    it('the head counts every change, concurrent ones included, and says since when the index is complete', async () => {
      expect(await state.head()).toEqual({ generation: 0 });
      await Promise.all(Array.from({ length: 5 }, () => state.indexChanged()));
      await state.indexChanged(at(7));
      expect(await state.head()).toEqual({ generation: 6, indexBuiltAt: at(7).toISOString() });
    });

    it('concurrent writers of different clusters all land; of one cluster, the newest read wins', async () => {
      await Promise.all(Array.from({ length: 12 }, (_, i) => state.learn(`c${i}`, facts(`sg-${i}`), at(1))));
      await Promise.all([3, 9, 6, 1, 8].map((m) => state.learn('c0', facts(`sg-at-${m}`), at(m))));
      const entries = await state.indexEntries();
      expect(entries).toHaveLength(12);
      expect(entries.find((e) => e.cluster === 'c0')).toMatchObject({ facts: facts('sg-at-9'), readAt: at(9).toISOString() });
    });
  });

  describe('launch template versions', () => {
    const version = (n: number, keyName: string) => ({ LaunchTemplateId: 'lt-0abc', LaunchTemplateName: 'nodes', VersionNumber: n, CreateTime: new Date('2026-03-01T10:00:00Z'), LaunchTemplateData: { KeyName: keyName, MetadataOptions: { HttpTokens: 'required' as const } } });

    it('keeps a version once, by template id and number, as EC2 described it', async () => {
      expect(await state.templateVersion('lt-0abc', 2)).toBeUndefined();
      await state.keepTemplateVersion(version(2, 'ops'));
      await state.keepTemplateVersion(version(2, 'not-what-ec2-said'));
      expect(await state.backend.getTemplateVersion('lt-0abc', 2)).toEqual(version(2, 'ops'));
      expect(await state.backend.getTemplateVersion('lt-0abc', 3)).toBeUndefined();
    });
  });

  describe('AWS managed policies', () => {
    const policy = (versionId: string, checkedAt: Date): AwsPolicyEntry => ({
      arn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      policy: { PolicyName: 'AmazonSSMManagedInstanceCore', Arn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore', Path: '/', DefaultVersionId: versionId },
      version: { VersionId: versionId, IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:*', Resource: '*' }] })) },
      checkedAt: checkedAt.toISOString(),
    });

    it('keeps the default version IAM answered, with when it was asked; nothing for a policy never kept', async () => {
      expect(await state.awsPolicy('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore')).toBeUndefined();
      await state.keepAwsPolicy(policy('v2', at(1)));
      expect(await state.awsPolicy('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore')).toEqual(policy('v2', at(1)));
    });

    it('a newer check replaces an older one; an older one, landing late, never does', async () => {
      await state.keepAwsPolicy(policy('v2', at(1)));
      await state.keepAwsPolicy(policy('v3', at(5)));
      await state.keepAwsPolicy(policy('v2', at(3)));
      expect(await state.awsPolicy('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore')).toEqual(policy('v3', at(5)));
    });
  });

  describe('CreateCluster records', () => {
    it('keeps each record once, under the cluster it created, trimmed to who created it and when', async () => {
      const record = createCluster('prod', 'ev-1');
      expect(await state.keepCreatorRecords([{ cluster: 'prod', event: record }, { cluster: 'prod', event: record }])).toBe(1);
      expect(await state.keepCreatorRecords([{ cluster: 'prod', event: record }])).toBe(0);
      const [kept] = await state.creatorRecords();
      expect(kept.cluster).toBe('prod');
      expect(kept.event).toMatchObject({ EventId: 'ev-1', EventName: 'CreateCluster', EventTime: record.EventTime, Resources: record.Resources });
      const trimmed = JSON.parse(kept.event.CloudTrailEvent!);
      expect(trimmed).toMatchObject({ userIdentity: { sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/eks-creator' } } }, requestParameters: { name: 'prod' }, responseElements: { cluster: { name: 'prod' } } });
      expect(kept.event.CloudTrailEvent!.length).toBeLessThan(1000);
      expect(record.CloudTrailEvent!.length).toBeGreaterThan(3000);
    });

    it('a process reads them again only for a cluster it does not know yet (stored by another container)', async () => {
      await state.keepCreatorRecords([{ cluster: 'prod', event: createCluster('prod', 'ev-1') }]);
      expect((await state.creatorRecords('prod')).map((r) => r.cluster)).toEqual(['prod']);
      await state.backend.putCreatorRecord({ cluster: 'staging', event: createCluster('staging', 'ev-2') });
      expect((await state.creatorRecords('prod')).map((r) => r.cluster)).toEqual(['prod']);
      expect((await state.creatorRecords('staging')).map((r) => r.cluster).sort()).toEqual(['prod', 'staging']);
    });

    it('knows once a sweep copied LookupEvents into the store', async () => {
      expect(await state.creatorsComplete()).toBe(false);
      await state.creatorsPrimed(at(3));
      expect(await state.creatorsComplete()).toBe(true);
      expect((await state.head()).creatorsPrimedAt).toBe(at(3).toISOString());
    });
  });
});

describe('state in the DynamoDB table', () => {
  it('one small item per cluster, a tombstone with a TTL, records under CREATOR: no item grows with the account', async () => {
    const table = await dyn.createFindingsTable();
    const { state } = new DynamoFindingStore(table, dyn.client);
    const many = facts('sg-0', { securityGroupIds: Array.from({ length: 40 }, (_, i) => `sg-${String(i).padStart(17, '0')}`), subnetIds: Array.from({ length: 12 }, (_, i) => `subnet-${String(i).padStart(17, '0')}`) });
    await Promise.all(Array.from({ length: 50 }, (_, i) => state.learn(`cluster-${i}`, many, at(1))));
    await state.learn('cluster-0', null, at(2));
    const item = async (pk: string, sk: string) => (await dyn.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } } }))).Item;
    const entry = await item('CLUSTER', 'cluster-1');
    expect(JSON.stringify(entry).length).toBeLessThan(4096);
    expect((await item('CLUSTER', 'cluster-0'))?.expiresAt?.N).toBe(String(Math.floor(at(2).getTime() / 1000) + 30 * 24 * 3600));
    expect(entry?.expiresAt).toBeUndefined();
    await state.keepCreatorRecords([{ cluster: 'cluster-1', event: createCluster('cluster-1', 'ev-1') }]);
    expect(await item('CREATOR', 'cluster-1#ev-1')).toBeDefined();
    expect(await state.indexEntries()).toHaveLength(50);
  });
});

describe('state in the CLI state file', () => {
  it('persists between runs beside the findings', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    const a = new FileFindingStore(path).state;
    await a.learn('prod', facts('sg-a'), at(1));
    await a.keepCreatorRecords([{ cluster: 'prod', event: createCluster('prod', 'ev-1') }]);
    await a.creatorsPrimed(at(2));
    const b = new FileFindingStore(path).state;
    expect((await b.indexEntries()).map((e) => e.facts)).toEqual([facts('sg-a')]);
    expect((await b.creatorRecords())[0].event.EventTime).toEqual(new Date('2026-01-15T09:59:30Z'));
    expect(await b.creatorsComplete()).toBe(true);
  });

  it('a state file written before the index and records were kept loads with neither', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    writeFileSync(path, JSON.stringify({ version: 2, findings: {}, markers: {}, scopes: {} }));
    const { state } = new FileFindingStore(path);
    expect(await state.indexEntries()).toEqual([]);
    expect(await state.head()).toEqual({ generation: 0 });
    await state.learn('prod', facts('sg-a'), at(1));
    expect(JSON.parse(readFileSync(path, 'utf8')).clusters.prod.facts).toEqual(facts('sg-a'));
  });
});
