import { createHash, createHmac } from 'node:crypto';
import type { Server } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import type { ServerResponse } from 'node:http';
import { eksToken, readKubernetesApi, type KubeReadLimits } from '../../src/inventory/kubernetes';
import { SdkReader } from '../../src/inventory/sdkReader';
import { WorldReader } from '../../src/inventory/worldReader';
import { parseWorld } from '../../src/inventory/world';
import { buildClusterView } from '../../src/inventory/buildView';
import { evaluateCluster, neededParts } from '../../src/rules/engine/evaluate';
import { defaultConfig } from '../../src/config';
import type { AwsReader } from '../../src/inventory/reader';
import { opensslAvailable, startHttpsServer } from '../support/kubeApi';

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

  it.each([
    ['cn-north-1', 'https://sts.cn-north-1.amazonaws.com.cn', 'aws-cn'],
    ['cn-northwest-1', 'https://sts.cn-northwest-1.amazonaws.com.cn', 'aws-cn'],
    ['us-gov-west-1', 'https://sts.us-gov-west-1.amazonaws.com', 'aws-us-gov'],
    ['eu-west-1', 'https://sts.eu-west-1.amazonaws.com', 'aws'],
  ])('in %s targets its partition\'s regional STS endpoint %s (%s)', async (region, origin) => {
    const url = decode(await eksToken({ clusterName: 'prod', region, credentials, signingDate }));
    expect(url.origin).toBe(origin);
    expect(url.searchParams.get('X-Amz-Credential')).toBe(`AKIDEXAMPLE/20260301/${region}/sts/aws4_request`);
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

const kubeToken = 'k8s-aws-v1.x';

describe('reading the Kubernetes API', () => {
  it('an unreachable endpoint is a read error naming the failure, not "no objects"', async () => {
    const port = await closedPort();
    await expect(readKubernetesApi({ name: 'prod', endpoint: `https://127.0.0.1:${port}` }, kubeToken, { idleTimeoutMs: 2000 })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      message: expect.stringMatching(/^kubernetes failed: ECONNREFUSED: GET \/api/),
    });
    await expect(readKubernetesApi({ name: 'prod' }, kubeToken)).rejects.toMatchObject({ code: 'NoEndpoint' });
  });

  (opensslAvailable ? describe : describe.skip)('against a local HTTPS API server with its own CA', () => {
    /**
     * How the server behaves: `ok` is a well-behaved API server; the others are what a hostile or broken server (or
     * a man in the middle holding the cluster's certificate) can do to the detector reading it.
     */
    type Mode = 'ok' | 'forbid' | 'drip' | 'silent' | 'endless' | 'sameContinue' | 'newContinue';
    let server: Server;
    let endpoint: string;
    let ca: string;
    const seen: { path: string; auth?: string }[] = [];
    let mode: Mode = 'ok';
    /** Whether the server serves Calico's CRDs. */
    let calico = false;

    /** The misbehaviour, on the namespaces list (the other lists answer normally). */
    function misbehave(res: ServerResponse, url: URL): void {
      const stopped = () => res.destroyed || res.writableEnded;
      switch (mode) {
        case 'drip': {
          // A byte every 20 ms: never idle long enough for a per-request timeout, never finished.
          res.writeHead(200, { 'content-type': 'application/json' }).write('{"items":[');
          const t = setInterval(() => (stopped() ? clearInterval(t) : res.write(' ')), 20);
          res.on('close', () => clearInterval(t));
          return;
        }
        case 'silent':
          res.writeHead(200, { 'content-type': 'application/json' }).write('{"items":[');
          return;
        case 'endless': {
          // A list that never ends, at full speed: today it is buffered until the Lambda runs out of memory.
          res.writeHead(200, { 'content-type': 'application/json' }).write('{"items":[');
          const chunk = Buffer.from('{"metadata":{"name":"x"}},'.repeat(2000));
          const pump = () => {
            while (!stopped() && res.write(chunk));
            if (!stopped()) res.once('drain', pump);
          };
          pump();
          return;
        }
        case 'sameContinue':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [], metadata: { continue: 'again' } }));
          return;
        default: {
          const n = Number(url.searchParams.get('continue') ?? '0') + 1;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [], metadata: { continue: String(n) } }));
        }
      }
    }

    beforeAll(async () => {
      ({ server, endpoint, ca } = await startHttpsServer((req, res) => {
        const url = new URL(req.url ?? '/', 'https://x');
        seen.push({ path: url.pathname + url.search, auth: req.headers.authorization });
        const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (mode === 'forbid') return json(403, { kind: 'Status', code: 403 });
        switch (url.pathname) {
          case '/api/v1/namespaces/kube-system/configmaps/aws-auth':
            return json(200, { metadata: { name: 'aws-auth' }, data: { mapRoles: '- rolearn: arn:aws:iam::1:role/x\n  groups: [system:masters]\n' } });
          case '/api/v1/namespaces':
            if (mode !== 'ok') return misbehave(res, url);
            // two pages, to follow `continue`
            return url.searchParams.get('continue') === 'c1'
              ? json(200, { items: [{ metadata: { name: 'payments' } }], metadata: {} })
              : json(200, { items: [{ metadata: { name: 'default' } }], metadata: { continue: 'c1' } });
          case '/apis/networking.k8s.io/v1/networkpolicies':
            return json(200, { items: [] });
          case '/apis/crd.projectcalico.org/v1/globalnetworkpolicies':
            return calico ? json(200, { items: [{ metadata: { name: 'deny-ssh' }, spec: { selector: 'all()' } }] }) : json(404, { kind: 'Status', code: 404 });
          case '/apis/crd.projectcalico.org/v1/networkpolicies':
            return calico ? json(200, { items: [] }) : json(404, { kind: 'Status', code: 404 });
          default:
            return json(404, { kind: 'Status', code: 404 }); // no Calico CRD
        }
      }));
    });
    afterAll(async () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    );
    beforeEach(() => {
      seen.length = 0;
      mode = 'ok';
      calico = false;
    });

    const cluster = () => ({ name: 'prod', endpoint, certificateAuthority: { data: ca } });
    const live = (kubernetesLimits: Partial<KubeReadLimits> = {}) => new SdkReader({ region: 'us-east-1', clientConfig: { credentials }, kubernetesLimits });

    it('reads aws-auth, every page of namespaces, network policies, nothing no rule reads; a missing Calico CRD is "no Calico"', async () => {
      const k = await live().readKubernetes(cluster());
      expect(k?.awsAuth?.data?.mapRoles).toContain('system:masters');
      expect(k?.namespaces?.map((n) => (n.metadata as { name: string }).name)).toEqual(['default', 'payments']);
      expect(k).not.toHaveProperty('clusterRoleBindings');
      expect(seen.map((s) => s.path).filter((p) => p.includes('rbac'))).toEqual([]);
      expect(k?.networkPolicies).toEqual([]);
      expect(k).not.toHaveProperty('calicoGlobalNetworkPolicies');
      expect(k).not.toHaveProperty('calicoNetworkPolicies');
      expect(seen.every((s) => s.auth?.startsWith('Bearer k8s-aws-v1.'))).toBe(true);
    });

    it('reads Calico global and namespaced policies where the CRDs exist (an empty list still says Calico is there)', async () => {
      calico = true;
      const k = await live().readKubernetes(cluster());
      expect(k?.calicoGlobalNetworkPolicies?.map((p) => (p.metadata as { name: string }).name)).toEqual(['deny-ssh']);
      expect(k?.calicoNetworkPolicies).toEqual([]);
      expect(seen.map((s) => s.path)).toContain('/apis/crd.projectcalico.org/v1/networkpolicies?limit=500');
    });

    it('no access (the detector role is not mapped into the cluster) is a read error that says so', async () => {
      mode = 'forbid';
      await expect(live().readKubernetes(cluster())).rejects.toMatchObject({ code: 'HTTP403', message: expect.stringContaining('no access to the cluster (add an access entry') });
    });

    it('a server whose certificate the cluster CA does not vouch for is a TLS read error, and gets no token', async () => {
      await expect(readKubernetesApi({ name: 'prod', endpoint }, kubeToken)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(seen).toHaveLength(0);
    });

    /**
     * A cluster whose API server is hostile: prod (CONFIG_MAP mode, public endpoint open to the world) read through
     * the live reader. Its Kubernetes rules must be not evaluated with the bound that stopped the read; the rules
     * that need no Kubernetes object still reach their verdict.
     */
    async function evaluateProd(limits: Partial<KubeReadLimits> = {}) {
      const world = new WorldReader(
        parseWorld(
          {
            account: '111122223333',
            region: 'us-east-1',
            eks: {
              clusters: [
                {
                  ...cluster(),
                  arn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod',
                  accessConfig: { authenticationMode: 'CONFIG_MAP' },
                  resourcesVpcConfig: { subnetIds: [], endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] },
                },
              ],
            },
          },
          'test world',
        ),
      );
      const reader = live(limits);
      const hybrid: AwsReader = Object.assign(Object.create(world) as AwsReader, { readKubernetes: (c: Parameters<AwsReader['readKubernetes']>[0]) => reader.readKubernetes(c) });
      const view = await buildClusterView(hybrid, 'prod', neededParts(), { account: '111122223333', region: 'us-east-1' });
      const result = evaluateCluster(view!, defaultConfig);
      const reason = (ruleId: string) => result.notEvaluated.find((n) => n.ruleId === ruleId)?.reason;
      return { result, reason };
    }

    it('a well-behaved server: the Kubernetes rules reach a verdict', async () => {
      const { result } = await evaluateProd();
      expect(result.evaluatedRuleIds).toEqual(expect.arrayContaining(['no-system-masters', 'endpoint-not-public']));
      expect(result.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['no-system-masters', 'endpoint-not-public']));
    });

    it.each<[Mode, Partial<KubeReadLimits>, string]>([
      ['drip', { deadlineMs: 500 }, 'DeadlineExceeded: reading the cluster took longer than 500 ms in all'],
      ['silent', { idleTimeoutMs: 200 }, 'IdleTimeout: GET /api/v1/namespaces?limit=500: no data for 200 ms'],
      ['endless', {}, `ResponseTooLarge: GET /api/v1/namespaces?limit=500: response larger than ${8 * 1024 * 1024} bytes`],
      ['sameContinue', {}, 'RepeatedContinueToken: GET /api/v1/namespaces: the server sent the same continue token twice'],
      ['newContinue', {}, 'TooManyPages: GET /api/v1/namespaces: more than 100 pages of 500'],
    ])('a server that answers with %s: Kubernetes rules not evaluated, naming the bound; the others finish', async (m, limits, bound) => {
      mode = m;
      const { result, reason } = await evaluateProd(limits);
      for (const ruleId of ['no-system-masters', 'ssh-egress-blocked']) {
        expect(reason(ruleId)).toContain(`kubernetes could not be read: kubernetes failed: ${bound}`);
        expect(result.evaluatedRuleIds).not.toContain(ruleId);
      }
      // The creator's CONFIG_MAP grant needs no Kubernetes object: it is still judged.
      expect(result.evaluatedRuleIds).toEqual(expect.arrayContaining(['endpoint-not-public', 'creator-admin-removed']));
      expect(result.findings.map((f) => f.ruleId)).toContain('endpoint-not-public');
    });
  });
});
