import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FINDINGS_TABLE_DEFINITION } from '../../src/findings/dynamoStore';

// dynalite ships no types; the little we use is typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: { createTableMs: number }) => Server;

export interface Dynalite {
  endpoint: string;
  client: DynamoDBClient;
  /** Creates a fresh findings table (same key schema as serverless.yml) and returns its name. */
  createFindingsTable(): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

/** A real in-memory DynamoDB (dynalite) on a free 127.0.0.1 port, for one test file. */
export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  return {
    endpoint,
    client,
    async createFindingsTable() {
      const TableName = `eks-drift-test-findings-${++tables}`;
      await client.send(new CreateTableCommand({ TableName, ...FINDINGS_TABLE_DEFINITION }));
      // dynalite answers CREATING and turns the table ACTIVE on a later tick; on a loaded machine the first
      // request can arrive before that and get ResourceNotFound, as it would from DynamoDB itself.
      while ((await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus !== 'ACTIVE') {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return TableName;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
