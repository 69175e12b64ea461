import { createHash, createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { eksToken, readKubernetesApi } from '../../src/inventory/kubernetes';
import { SdkReader } from '../../src/inventory/sdkReader';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const signingDate = new Date('2026-03-01T10:00:00Z');

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const b64 = token.slice('k8s-aws-v1.'.length);
  expect(b64).not.toMatch(/[=+/]/); // base64url without padding, as aws-iam-authenticator expects
  return new URL(Buffer.from(b64, 'base64url').toString('utf8'));
}

/** SigV4 recomputed independently, so the test catches a token the cluster's authenticator would reject. */
function expectedSignature(url: URL, cluster: string): string {
  const q = [...url.searchParams].filter(([k]) => k !== 'X-Amz-Signature').sort(([a], [b]) => (a < b ? -1 : 1));
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonical = [
    'GET',
    '/',
    q.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'),
    `host:${url.host}\nx-k8s-aws-id:${cluster}\n`,
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = `${date.slice(0, 8)}/us-east-1/sts/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(date.slice(0, 8)).digest();
  for (const part of ['us-east-1', 'sts', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('EKS token', () => {
  it('is a presigned STS GetCallerIdentity URL signing x-k8s-aws-id, valid 60 s, base64url behind k8s-aws-v1.', async () => {
    const url = decode(await eksToken({ clusterName: 'prod', region: 'us-east-1', credentials, signingDate }));
    expect(url.origin).toBe('https://sts.us-east-1.amazonaws.com');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20260301/us-east-1/sts/aws4_request',
      'X-Amz-Date': '20260301T100000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    });
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod'));
  });

  it('carries the session token of temporary credentials (a Lambda role)', async () => {
    const url = decode(await eksToken({ clusterName: 'prod', region: 'us-east-1', credentials: { ...credentials, sessionToken: 'FwoG+/=' }, signingDate }));
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FwoG+/=');
  });
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createTcpServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('reading the Kubernetes API', () => {
  it('an unreachable endpoint is undefined (unreadable), not an error and not "no objects"', async () => {
    const port = await closedPort();
    expect(await readKubernetesApi({ name: 'prod', endpoint: `https://127.0.0.1:${port}` }, 'k8s-aws-v1.x', 2000)).toBeUndefined();
    expect(await readKubernetesApi({ name: 'prod' }, 'k8s-aws-v1.x')).toBeUndefined();
  });

  const openssl = spawnSync('openssl', ['version']).status === 0;
  (openssl ? describe : describe.skip)('against a local HTTPS API server with its own CA', () => {
    let server: Server;
    let endpoint: string;
    let ca: string;
    const seen: { path: string; auth?: string }[] = [];
    let forbid = false;
    let calico = false;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kube-'));
      const r = spawnSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ]);
      if (r.status !== 0) throw new Error(r.stderr.toString());
      const cert = readFileSync(join(dir, 'cert.pem'));
      ca = cert.toString('base64');
      server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? '/', 'https://x');
        seen.push({ path: url.pathname + url.search, auth: req.headers.authorization });
        const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (forbid) return json(403, { kind: 'Status', code: 403 });
        switch (url.pathname) {
          case '/api/v1/namespaces/kube-system/configmaps/aws-auth':
            return json(200, { metadata: { name: 'aws-auth' }, data: { mapRoles: '- rolearn: arn:aws:iam::1:role/x\n  groups: [system:masters]\n' } });
          case '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings':
            // two pages, to follow `continue`
            return url.searchParams.get('continue') === 'c1'
              ? json(200, { items: [{ metadata: { name: 'b' } }], metadata: {} })
              : json(200, { items: [{ metadata: { name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] }], metadata: { continue: 'c1' } });
          case '/api/v1/namespaces':
            return json(200, { items: [{ metadata: { name: 'default' } }] });
          case '/apis/networking.k8s.io/v1/networkpolicies':
            return json(200, { items: [] });
          case '/apis/crd.projectcalico.org/v1/globalnetworkpolicies':
            return calico ? json(200, { items: [{ metadata: { name: 'deny-ssh' }, spec: { selector: 'all()' } }] }) : json(404, { kind: 'Status', code: 404 });
          case '/apis/crd.projectcalico.org/v1/networkpolicies':
            return calico ? json(200, { items: [] }) : json(404, { kind: 'Status', code: 404 });
          default:
            return json(404, { kind: 'Status', code: 404 }); // no Calico CRD
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
    beforeEach(() => {
      seen.length = 0;
      forbid = false;
      calico = false;
    });

    it('reads aws-auth, every page of cluster role bindings, namespaces, network policies; a missing Calico CRD is "no Calico"', async () => {
      const reader = new SdkReader({ region: 'us-east-1', clientConfig: { credentials } });
      const k = await reader.readKubernetes({ name: 'prod', endpoint, certificateAuthority: { data: ca } });
      expect(k?.awsAuth?.data?.mapRoles).toContain('system:masters');
      expect(k?.clusterRoleBindings?.map((b) => b.metadata?.name)).toEqual(['cluster-admin', 'b']);
      expect(k?.namespaces).toHaveLength(1);
      expect(k?.networkPolicies).toEqual([]);
      expect(k).not.toHaveProperty('calicoGlobalNetworkPolicies');
      expect(k).not.toHaveProperty('calicoNetworkPolicies');
      expect(seen.every((s) => s.auth?.startsWith('Bearer k8s-aws-v1.'))).toBe(true);
    });

    it('reads Calico global and namespaced policies where the CRDs exist (an empty list still says Calico is there)', async () => {
      calico = true;
      const reader = new SdkReader({ region: 'us-east-1', clientConfig: { credentials } });
      const k = await reader.readKubernetes({ name: 'prod', endpoint, certificateAuthority: { data: ca } });
      expect(k?.calicoGlobalNetworkPolicies?.map((p) => (p.metadata as { name: string }).name)).toEqual(['deny-ssh']);
      expect(k?.calicoNetworkPolicies).toEqual([]);
      expect(seen.map((s) => s.path)).toContain('/apis/crd.projectcalico.org/v1/networkpolicies?limit=500');
    });

    it('no access (the detector role is not mapped into the cluster) is undefined', async () => {
      forbid = true;
      const reader = new SdkReader({ region: 'us-east-1', clientConfig: { credentials } });
      expect(await reader.readKubernetes({ name: 'prod', endpoint, certificateAuthority: { data: ca } })).toBeUndefined();
    });

    it('a server whose certificate the cluster CA does not vouch for is undefined', async () => {
      expect(await readKubernetesApi({ name: 'prod', endpoint }, 'k8s-aws-v1.x')).toBeUndefined();
      expect(seen).toHaveLength(0);
    });
  });
});
