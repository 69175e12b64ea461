import { ConditionalCheckFailedException, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BackendFindingStore } from './backendStore';
import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { Marker, MarkerRef, ScopeState, StoreBackend, StoreOptions, StoredFinding } from './store';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { StateStore, type AwsPolicyEntry, type CreatorRecord, type IndexEntry, type KeptTemplateVersion, type StateBackend, type StateHead } from './stateStore';

/**
 * Single-table design (one table per deployment: one account and region). Each item type has its own partition
 * key prefix, so more types (a cluster index, CreateCluster records) can join without touching these.
 *
 * | item          | pk                 | sk                                          | other attributes                              |
 * |---------------|--------------------|---------------------------------------------|-----------------------------------------------|
 * | finding       | `FINDING`          | findingKey: `<scope>|<ruleId>|<resourceId>` | status, version, finding (map), since, lastEventId, readAt, pending (outbox, ≤ 8 entries), suppression?, expiresAt (resolved and delivered only) |
 * | scope state   | `SCOPE`            | `<scope>` (cluster ARN or `account:<id>:<region>`) | version, rules (per rule id: firstAt, readAt), lease? |
 * | event marker  | `EVENT#<eventId>`  | `<scope>` (or `<scope>|add`)                | status (pending/published), trigger, causes, delivered, createdAt, leaseUntil, expiresAt (published only) |
 * | index entry   | `CLUSTER`          | `<cluster name>`                            | version, facts (map of id lists), readAt, dirtyAt?, gone?, expiresAt (tombstones only) |
 * | creator record| `CREATOR`          | `<cluster name>#<CloudTrail eventId>`       | event (the LookupEvents event, trimmed; EventTime as ISO) |
 * | template version | `LTVERSION`     | `<launch template id>#<version number>`     | version (DescribeLaunchTemplateVersions' entry as JSON, without DefaultVersion) |
 * | AWS policy    | `AWSPOLICY`        | `<policy ARN>`                              | arn, policy, version (the default, with its document), checkedAt |
 * | state head    | `STATE`            | `head`                                      | generation, indexBuiltAt?, creatorsPrimedAt? |
 *
 * Every finding of the deployment lives in one partition, so a scope is one Query (`begins_with(sk, "<scope>|")`)
 * and the sweep lists all findings with one paginated Query: no Scan permission, no index. One account's findings
 * (hundreds to a few thousand small items) are far below a partition's limits. No item grows with the number of
 * findings: a scope state holds one small record per rule, a marker none at all. `expiresAt` (epoch seconds) is the
 * table's TTL attribute: published markers expire after 14 days (the dead-letter queue's retention) and pending ones
 * never (their changes still wait on the findings), resolved findings 90 days after their resolution was delivered
 * (re-violating after that opens it again, exactly as a resolved one would). Scope states stay: a cluster re-created
 * under the same name is a change of a known scope, not a first check. The cluster index is one small item per
 * cluster (about 1 KB at three node groups), read whole with one Query by a freshly started container; a deleted
 * cluster's entry stays as a tombstone for 30 days. src/findings/stateStore.ts says what these items are for.
 */
export const FINDINGS_PARTITION = 'FINDING';
export const TTL_ATTRIBUTE = 'expiresAt';

export const FINDINGS_TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const satisfies Omit<CreateTableCommandInput, 'TableName'>;

export const SCOPE_PARTITION = 'SCOPE';
export const INDEX_PARTITION = 'CLUSTER';
export const CREATOR_PARTITION = 'CREATOR';
export const AWS_POLICY_PARTITION = 'AWSPOLICY';
export const TEMPLATE_VERSION_PARTITION = 'LTVERSION';
const HEAD_KEY = { pk: 'STATE', sk: 'head' };

const DAY = 24 * 3600;
/** How long a published marker stays: the dead-letter queue's retention (a redelivery after it is a new event). */
const MARKER_TTL = 14 * DAY;
/** How long a resolved finding stays once its resolution was delivered (never while it waits in the outbox). */
const RESOLVED_TTL = 90 * DAY;
/** How long a deleted cluster's index entry stays (its tombstone keeps an older read from bringing it back). */
const TOMBSTONE_TTL = 30 * DAY;

/** When a finding item expires (epoch seconds): resolved and delivered only. */
const findingExpiry = (item: StoredFinding): number | undefined =>
  item.status === 'resolved' && !item.pending?.length ? Math.floor(Date.parse(item.since) / 1000) + RESOLVED_TTL : undefined;

/** The items as DynamoDB stores them: the backend writes these, and the bench sizes them to count request units. */
export const dynamoItems = {
  finding(item: StoredFinding): Record<string, unknown> {
    const expires = findingExpiry(item);
    return { pk: FINDINGS_PARTITION, sk: item.key, ...item, ...(expires ? { [TTL_ATTRIBUTE]: expires } : {}) };
  },
  marker(m: Marker, now = Date.now()): Record<string, unknown> {
    const expires = m.status === 'published' ? { [TTL_ATTRIBUTE]: Math.floor(now / 1000) + MARKER_TTL } : {};
    return { pk: `EVENT#${m.eventId}`, sk: m.scope, ...m, ...expires };
  },
  scope(s: ScopeState): Record<string, unknown> {
    return { pk: SCOPE_PARTITION, sk: s.scope, ...s };
  },
  indexEntry(e: IndexEntry): Record<string, unknown> {
    const expires = e.gone && e.readAt ? { [TTL_ATTRIBUTE]: Math.floor(Date.parse(e.readAt) / 1000) + TOMBSTONE_TTL } : {};
    return { pk: INDEX_PARTITION, sk: e.cluster, ...e, ...expires };
  },
  creator(r: CreatorRecord): Record<string, unknown> {
    const { EventTime, ...rest } = r.event;
    return { pk: CREATOR_PARTITION, sk: `${r.cluster}#${r.event.EventId ?? ''}`, cluster: r.cluster, event: { ...rest, ...(EventTime ? { EventTime: EventTime.toISOString() } : {}) } };
  },
  templateVersion(v: KeptTemplateVersion): Record<string, unknown> {
    // As JSON: the SDK's shape has dates and deep optional members the document client would have to be taught.
    return { pk: TEMPLATE_VERSION_PARTITION, sk: `${v.LaunchTemplateId}#${v.VersionNumber}`, version: JSON.stringify(v) };
  },
  awsPolicy(e: AwsPolicyEntry): Record<string, unknown> {
    return { pk: AWS_POLICY_PARTITION, sk: e.arn, ...e };
  },
  head(h: StateHead): Record<string, unknown> {
    return { ...HEAD_KEY, ...h };
  },
};

export class DynamoBackend implements StoreBackend, StateBackend {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    private readonly table: string,
    client: DynamoDBClient,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getMarker(ref: MarkerRef): Promise<Marker | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `EVENT#${ref.eventId}`, sk: ref.scope }, ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { eventId, scope, status, trigger, causes, delivered, createdAt, leaseUntil } = r.Item as Marker;
    return { eventId, scope, status, trigger, causes: causes ?? [], delivered: delivered ?? [], createdAt, leaseUntil };
  }

  putMarker(m: Marker, expectedLease: string | null): Promise<boolean> {
    return this.putIf(dynamoItems.marker(m), 'leaseUntil', expectedLease);
  }

  async getScope(scope: string): Promise<ScopeState | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: SCOPE_PARTITION, sk: scope }, ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { version, rules, lease } = r.Item as ScopeState;
    return { scope, version, rules: rules ?? {}, ...(lease ? { lease } : {}) };
  }

  putScope(s: ScopeState, expectedVersion: number | null): Promise<boolean> {
    return this.putIf(dynamoItems.scope(s), 'version', expectedVersion);
  }

  async anyScope(): Promise<boolean> {
    const r = await this.doc.send(
      new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': SCOPE_PARTITION }, Limit: 1, ConsistentRead: true, ProjectionExpression: 'sk' }),
    );
    return (r.Items ?? []).length > 0;
  }

  queryScope(scope: string): Promise<StoredFinding[]> {
    return this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': FINDINGS_PARTITION, ':prefix': `${scope}|` },
    });
  }

  listAll(): Promise<StoredFinding[]> {
    return this.query({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': FINDINGS_PARTITION } });
  }

  async getFinding(key: string): Promise<StoredFinding | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: FINDINGS_PARTITION, sk: key }, ConsistentRead: true }));
    return r.Item ? toStored(r.Item) : undefined;
  }

  putFinding(item: StoredFinding, expectedVersion: number | null): Promise<boolean> {
    return this.putIf(dynamoItems.finding(item), 'version', expectedVersion);
  }

  async putPending(item: StoredFinding, expectedVersion: number): Promise<boolean> {
    // The outbox alone: acknowledging thousands of changes sends a few bytes per finding, not the findings again.
    const done = !item.pending?.length;
    const expires = findingExpiry(item);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: FINDINGS_PARTITION, sk: item.key },
          UpdateExpression: `SET #v = :next${done ? '' : ', #p = :p'}${expires ? ', #e = :e' : ''}${done ? ' REMOVE #p' : ''}`,
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': 'version', '#p': 'pending', ...(expires ? { '#e': TTL_ATTRIBUTE } : {}) },
          ExpressionAttributeValues: { ':v': expectedVersion, ':next': item.version, ...(done ? {} : { ':p': item.pending }), ...(expires ? { ':e': expires } : {}) },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async getHead(): Promise<StateHead> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: HEAD_KEY, ConsistentRead: true }));
    const { generation, indexBuiltAt, creatorsPrimedAt } = (r.Item ?? {}) as Partial<StateHead>;
    return { generation: generation ?? 0, ...(indexBuiltAt ? { indexBuiltAt } : {}), ...(creatorsPrimedAt ? { creatorsPrimedAt } : {}) };
  }

  async updateHead(u: { bump?: boolean; indexBuiltAt?: string; creatorsPrimedAt?: string }): Promise<void> {
    const set = (['indexBuiltAt', 'creatorsPrimedAt'] as const).filter((k) => u[k]);
    if (!u.bump && !set.length) return;
    // One atomic update: concurrent bumps all count (the times say only that it happened: no rule reads their order).
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: HEAD_KEY,
        UpdateExpression: [u.bump ? 'ADD #g :one' : '', set.length ? `SET ${set.map((k) => `#${k} = :${k}`).join(', ')}` : ''].filter(Boolean).join(' '),
        ExpressionAttributeNames: { ...(u.bump ? { '#g': 'generation' } : {}), ...Object.fromEntries(set.map((k) => [`#${k}`, k])) },
        ExpressionAttributeValues: { ...(u.bump ? { ':one': 1 } : {}), ...Object.fromEntries(set.map((k) => [`:${k}`, u[k]])) },
      }),
    );
  }

  async listIndexEntries(): Promise<IndexEntry[]> {
    const items = await this.queryItems({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': INDEX_PARTITION } });
    return items.map(toIndexEntry);
  }

  async getIndexEntry(cluster: string): Promise<IndexEntry | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: INDEX_PARTITION, sk: cluster }, ConsistentRead: true }));
    return r.Item ? toIndexEntry(r.Item) : undefined;
  }

  putIndexEntry(e: IndexEntry, expectedVersion: number | null): Promise<boolean> {
    return this.putIf(dynamoItems.indexEntry(e), 'version', expectedVersion);
  }

  async listCreatorRecords(): Promise<CreatorRecord[]> {
    const items = await this.queryItems({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': CREATOR_PARTITION } });
    return items.map((i) => {
      const event = i.event as Omit<CloudTrailLookupEvent, 'EventTime'> & { EventTime?: string };
      return { cluster: i.cluster as string, event: { ...event, ...(event.EventTime ? { EventTime: new Date(event.EventTime) } : {}) } as CloudTrailLookupEvent };
    });
  }

  async putCreatorRecord(r: CreatorRecord): Promise<void> {
    await this.putIf(dynamoItems.creator(r), 'pk', null);
  }

  async getTemplateVersion(templateId: string, version: number): Promise<LaunchTemplateVersion | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: TEMPLATE_VERSION_PARTITION, sk: `${templateId}#${version}` }, ConsistentRead: true }));
    if (typeof r.Item?.version !== 'string') return undefined;
    const v = JSON.parse(r.Item.version) as LaunchTemplateVersion & { CreateTime?: string | Date };
    return { ...v, ...(v.CreateTime ? { CreateTime: new Date(v.CreateTime) } : {}) };
  }

  async putTemplateVersion(v: KeptTemplateVersion): Promise<void> {
    await this.putIf(dynamoItems.templateVersion(v), 'pk', null);
  }

  async getAwsPolicy(arn: string): Promise<AwsPolicyEntry | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: AWS_POLICY_PARTITION, sk: arn }, ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { policy, version, checkedAt } = r.Item as AwsPolicyEntry;
    return { arn, policy, ...(version ? { version } : {}), checkedAt };
  }

  async putAwsPolicy(e: AwsPolicyEntry): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: dynamoItems.awsPolicy(e),
          ConditionExpression: 'attribute_not_exists(pk) OR #c < :c',
          ExpressionAttributeNames: { '#c': 'checkedAt' },
          ExpressionAttributeValues: { ':c': e.checkedAt },
        }),
      );
    } catch (err) {
      // A later check is stored already: it stays.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /** A put that succeeds only while `attribute` still holds `expected` (null: the item must not exist). */
  private async putIf(Item: Record<string, unknown>, attribute: string, expected: string | number | null): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item,
          ...(expected === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#a = :a', ExpressionAttributeNames: { '#a': attribute }, ExpressionAttributeValues: { ':a': expected } }),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  private async query(q: Omit<QueryCommandInput, 'TableName'>): Promise<StoredFinding[]> {
    return (await this.queryItems(q)).map(toStored);
  }

  private async queryItems(q: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({ TableName: this.table, ConsistentRead: true, ...q, ExclusiveStartKey }));
      out.push(...(r.Items ?? []));
      ExclusiveStartKey = r.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }
}

function toIndexEntry(item: Record<string, unknown>): IndexEntry {
  const { cluster, facts, gone, readAt, dirtyAt, version } = item as unknown as IndexEntry;
  return { cluster, ...(facts ? { facts } : {}), ...(gone ? { gone } : {}), ...(readAt ? { readAt } : {}), ...(dirtyAt ? { dirtyAt } : {}), version };
}

function toStored(item: Record<string, unknown>): StoredFinding {
  const { key, status, finding, version, since, lastEventId, readAt, pending, suppression } = item as unknown as StoredFinding;
  return { key, status, finding, version, since, lastEventId, ...(readAt ? { readAt } : {}), ...(pending?.length ? { pending } : {}), ...(suppression ? { suppression } : {}) };
}

/** The Lambda's store: conditional writes give exactly one winner per finding transition across concurrent invocations. */
export class DynamoFindingStore extends BackendFindingStore {
  /** The cluster index and CreateCluster records, in the same table. */
  readonly state: StateStore;
  constructor(table: string, client: DynamoDBClient, opts: StoreOptions = {}) {
    const backend = new DynamoBackend(table, client);
    super(backend, opts);
    this.state = new StateStore(backend);
  }
}
