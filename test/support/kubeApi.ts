import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A local Kubernetes API server over HTTPS with its own self-signed CA (as an EKS cluster presents one): it answers
 * the list and get requests the detector makes from `objects`, which a test changes between requests, and records
 * what it was asked with which bearer token.
 */
export interface KubeApi {
  endpoint: string;
  /** The CA bundle, base64, as DescribeCluster's certificateAuthority.data carries it. */
  ca: string;
  objects: { awsAuth?: unknown; clusterRoleBindings?: unknown[]; namespaces?: unknown[]; networkPolicies?: unknown[] };
  /** Answer every request with this status instead (403: the detector is not allowed in). */
  failWith?: number;
  requests: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

export const opensslAvailable = spawnSync('openssl', ['version']).status === 0;

/**
 * An HTTPS server on 127.0.0.1 with its own self-signed certificate (made by openssl), as an EKS cluster's API
 * presents one; `ca` is that certificate, base64, as DescribeCluster's certificateAuthority.data carries it.
 */
export async function startHttpsServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; endpoint: string; ca: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-'));
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  const cert = readFileSync(join(dir, 'cert.pem'));
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `https://127.0.0.1:${(server.address() as { port: number }).port}`, ca: cert.toString('base64') };
}

export async function startKubeApi(): Promise<KubeApi> {
  const api: Omit<KubeApi, 'endpoint' | 'ca' | 'close'> = { objects: {}, requests: [] };
  const { server, endpoint, ca } = await startHttpsServer((req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    api.requests.push({ path: url.pathname, authorization: req.headers.authorization });
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (api.failWith) return json(api.failWith, { kind: 'Status', code: api.failWith });
    const list = (items: unknown[] | undefined) => json(200, { items: items ?? [], metadata: {} });
    switch (url.pathname) {
      case '/api/v1/namespaces/kube-system/configmaps/aws-auth':
        return api.objects.awsAuth ? json(200, api.objects.awsAuth) : json(404, { kind: 'Status', code: 404 });
      case '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings':
        return list(api.objects.clusterRoleBindings);
      case '/api/v1/namespaces':
        return list(api.objects.namespaces);
      case '/apis/networking.k8s.io/v1/networkpolicies':
        return list(api.objects.networkPolicies);
      default:
        return json(404, { kind: 'Status', code: 404 }); // e.g. no Calico CRDs
    }
  });
  return Object.assign(api, { endpoint, ca, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}
