import { ConditionalCheckFailedException, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BackendFindingStore, type Marker, type MarkerRef, type StoreBackend, type StoredFinding } from './store';

/**
 * Single-table design (one table per deployment: one account and region).
 *
 * | item          | pk                 | sk                                   | other attributes                              |
 * |---------------|--------------------|--------------------------------------|-----------------------------------------------|
 * | finding       | `FINDING`          | findingKey: `<scope>|<ruleId>|<resourceId>` | status, version, finding (map), since, lastEventId, suppression?, expiresAt (resolved only) |
 * | event marker  | `EVENT#<eventId>`  | `<scope>` (cluster ARN or `account:<id>:<region>`) | status (pending/published), changes, createdAt, expiresAt |
 *
 * Every finding of the deployment lives in one partition, so a scope is one Query (`begins_with(sk, "<scope>|")`)
 * and the sweep lists all findings with one paginated Query: no Scan permission, no index. One account's findings
 * (hundreds to a few thousand small items) are far below a partition's limits. `expiresAt` (epoch seconds) is the
 * table's TTL attribute: markers expire after 14 days (the dead-letter queue's retention), resolved findings after
 * 90 days (re-violating after that opens it again, exactly as a resolved one would).
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

export interface DynamoStoreOptions {
  /** How long one delivery of an event owns a scope before a redelivery may take over (default 90 s). */
  leaseMs?: number;
  markerTtlSeconds?: number;
  resolvedTtlSeconds?: number;
}

const DAY = 24 * 3600;

export class DynamoBackend implements StoreBackend {
  private readonly doc: DynamoDBDocumentClient;
  private readonly markerTtl: number;
  private readonly resolvedTtl: number;

  constructor(
    private readonly table: string,
    client: DynamoDBClient,
    opts: DynamoStoreOptions = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.markerTtl = opts.markerTtlSeconds ?? 14 * DAY;
    this.resolvedTtl = opts.resolvedTtlSeconds ?? 90 * DAY;
  }

  async getMarker(eventId: string, scope: string): Promise<Marker | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `EVENT#${eventId}`, sk: scope }, ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { eventId: e, scope: s, status, changes, createdAt, leaseUntil } = r.Item as Marker;
    return { eventId: e, scope: s, status, changes, createdAt, leaseUntil };
  }

  async putMarker(m: Marker, expectedLease: string | null): Promise<boolean> {
    const Item = { pk: `EVENT#${m.eventId}`, sk: m.scope, ...m, [TTL_ATTRIBUTE]: Math.floor(Date.parse(m.createdAt) / 1000) + this.markerTtl };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item,
          ...(expectedLease === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#l = :l', ExpressionAttributeNames: { '#l': 'leaseUntil' }, ExpressionAttributeValues: { ':l': expectedLease } }),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async setMarkerPublished(ref: MarkerRef): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `EVENT#${ref.eventId}`, sk: ref.scope },
          UpdateExpression: 'SET #s = :p',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':p': 'published' },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
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

  async putFinding(item: StoredFinding, expectedVersion: number | null): Promise<boolean> {
    const expires = item.status === 'resolved' ? { [TTL_ATTRIBUTE]: Math.floor(Date.parse(item.since) / 1000) + this.resolvedTtl } : {};
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: FINDINGS_PARTITION, sk: item.key, ...item, ...expires },
          ...(expectedVersion === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  private async query(q: Omit<QueryCommandInput, 'TableName'>): Promise<StoredFinding[]> {
    const out: StoredFinding[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({ TableName: this.table, ConsistentRead: true, ...q, ExclusiveStartKey }));
      for (const item of r.Items ?? []) out.push(toStored(item));
      ExclusiveStartKey = r.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }
}

function toStored(item: Record<string, unknown>): StoredFinding {
  const { key, status, finding, version, since, lastEventId, announced, suppression } = item as unknown as StoredFinding;
  return { key, status, finding, version, since, lastEventId, ...(announced !== undefined ? { announced } : {}), ...(suppression ? { suppression } : {}) };
}

/** The Lambda's store: conditional writes give exactly one winner per finding transition across concurrent invocations. */
export class DynamoFindingStore extends BackendFindingStore {
  constructor(table: string, client: DynamoDBClient, opts: DynamoStoreOptions = {}) {
    super(new DynamoBackend(table, client, opts), opts.leaseMs);
  }
}
