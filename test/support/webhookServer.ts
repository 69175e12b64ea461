import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WebhookServer {
  /** The webhook URL, with a secret-looking path as Slack's have. */
  url: string;
  requests: ReceivedRequest[];
  /** Replies for the next requests, in order; once used up, every request gets 200 "ok". */
  reply(...replies: Reply[]): void;
  reset(): void;
  stop(): Promise<void>;
}

export const WEBHOOK_SECRET_PATH = '/services/T0TEST000/B0TEST000/s3cr3tW3bh00kT0k3n';

/** A local HTTP server on 127.0.0.1 playing a Slack incoming webhook. */
export async function startWebhookServer(): Promise<WebhookServer> {
  const requests: ReceivedRequest[] = [];
  let queue: Reply[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const r = queue.shift() ?? { status: 200, body: 'ok' };
      res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_SECRET_PATH}`,
    requests,
    reply: (...replies) => queue.push(...replies),
    reset: () => {
      requests.length = 0;
      queue = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps connections alive; do not wait for them to idle out
      }),
  };
}
