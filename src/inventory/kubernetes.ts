import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request } from 'node:https';
import { STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';
import type { Cluster } from '@aws-sdk/client-eks';
import { ReadError, type KubeConfigMap, type KubernetesState } from './reader';

/** aws-iam-authenticator accepts tokens whose presigned URL is at most 15 minutes old; 60 s is what `aws eks get-token` signs. */
const TOKEN_EXPIRES_SECONDS = 60;

const bytes = (d: SourceData): Buffer =>
  typeof d === 'string' ? Buffer.from(d, 'utf8') : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/** SHA-256 / HMAC-SHA-256 for the signer, from node:crypto (the SDK's own hash package is not a dependency of ours). */
class Sha256 implements Checksum {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret !== undefined ? createHmac('sha256', bytes(this.secret)) : createHash('sha256');
  }
  update(data: Uint8Array | string): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
  }
}

const stsHosts = new Map<string, string>();

/**
 * The regional STS host of `region` in its own partition (sts.cn-north-1.amazonaws.com.cn, sts.us-gov-west-1.amazonaws.com,
 * sts.eu-west-1.amazonaws.com…), from the SDK's STS endpoint rules: the cluster's authenticator accepts only its
 * partition's STS hosts, so a hard-coded `amazonaws.com` breaks every China and sovereign region.
 */
export function stsHostname(region: string): string {
  let host = stsHosts.get(region);
  if (!host) {
    const sts = new STSClient({ region });
    host = sts.config.endpointProvider({ Region: region, UseDualStack: false, UseFIPS: false, UseGlobalEndpoint: false }).url.hostname;
    sts.destroy();
    stsHosts.set(region, host);
  }
  return host;
}

/**
 * An EKS bearer token, exactly what `aws eks get-token` produces: a presigned STS GetCallerIdentity URL that also
 * signs the `x-k8s-aws-id: <cluster>` header, base64url-encoded without padding behind `k8s-aws-v1.`.
 * The cluster's authenticator calls STS with it, so it always targets the real regional STS endpoint.
 */
export async function eksToken(opts: {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity;
  signingDate?: Date;
}): Promise<string> {
  const hostname = stsHostname(opts.region);
  const signer = new SignatureV4({ credentials: opts.credentials, region: opts.region, service: 'sts', sha256: Sha256 });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': opts.clusterName },
    },
    { expiresIn: TOKEN_EXPIRES_SECONDS, ...(opts.signingDate ? { signingDate: opts.signingDate } : {}) },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : v === null ? [] : [[k, v]]))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

/**
 * What one cluster's API server may cost us. A server (or a path to it) that breaks a bound makes that cluster's
 * Kubernetes rules *not evaluated* with the bound named; the other clusters and rules are unaffected.
 */
export interface KubeReadLimits {
  /** The whole read of one cluster, every request and page together: a byte every few seconds cannot stretch it. */
  deadlineMs: number;
  /** Longest silence on one connection (connect, TLS handshake, between two bytes). */
  idleTimeoutMs: number;
  /** Largest response body accepted (a page of 500 objects is far below; aws-auth is at most ~1 MiB in etcd). */
  maxResponseBytes: number;
  /** Most pages followed for one list (500 objects each). */
  maxPages: number;
}

export const DEFAULT_KUBE_LIMITS: KubeReadLimits = { deadlineMs: 15_000, idleTimeoutMs: 5_000, maxResponseBytes: 8 * 1024 * 1024, maxPages: 100 };

const PAGE_SIZE = 500;

/** Why the Kubernetes API of a cluster could not be read; its code names the bound or the failure. */
export class KubeReadError extends ReadError {
  constructor(code: string, message: string) {
    super('kubernetes', code, message);
    this.name = 'KubeReadError';
  }
}

type KubeObject = Record<string, unknown>;
type KubeGet = (path: string) => Promise<KubeObject>;

function httpError(path: string, status: number): KubeReadError {
  const why =
    status === 401 || status === 403
      ? ": the detector's IAM role has no access to the cluster (add an access entry, or map it in aws-auth)"
      : '';
  return new KubeReadError(`HTTP${status}`, `GET ${path}: HTTP ${status}${why}`);
}

/** Network and TLS failures keep Node's code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT…) so the reason says which. */
function networkError(path: string, e: unknown): KubeReadError {
  if (e instanceof KubeReadError) return e;
  const code = (e as { code?: unknown }).code;
  return new KubeReadError(typeof code === 'string' ? code : 'NetworkError', `GET ${path}: ${(e as Error).message ?? String(e)}`);
}

function kubeGetter(endpoint: string, ca: Buffer | undefined, token: string, limits: KubeReadLimits, signal: AbortSignal): KubeGet {
  return (path) =>
    new Promise((resolve, reject) => {
      let settled = false;
      const settle = (e: unknown, value?: KubeObject) => {
        if (settled) return;
        settled = true;
        // An abort carries its own reason (the cluster deadline); anything else is this request's failure.
        if (e === undefined) resolve(value!);
        else reject(signal.aborted && signal.reason instanceof KubeReadError ? signal.reason : networkError(path, e));
      };
      const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
      const req = request(new URL(path, endpoint), { method: 'GET', ca, headers, timeout: limits.idleTimeoutMs, signal }, (res) => {
        const stop = (e: KubeReadError) => {
          settle(e);
          req.destroy();
        };
        const tooLarge = () => stop(new KubeReadError('ResponseTooLarge', `GET ${path}: response larger than ${limits.maxResponseBytes} bytes`));
        if (Number(res.headers['content-length']) > limits.maxResponseBytes) return tooLarge();
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limits.maxResponseBytes) return tooLarge();
          chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 300) return settle(httpError(path, status));
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return settle(new KubeReadError('InvalidResponse', `GET ${path}: the response is not JSON`));
          }
          if (typeof body !== 'object' || body === null || Array.isArray(body)) return settle(new KubeReadError('InvalidResponse', `GET ${path}: the response is not a JSON object`));
          settle(undefined, body as KubeObject);
        });
        res.on('error', (e) => settle(e));
        res.on('close', () => settle(new KubeReadError('ConnectionClosed', `GET ${path}: the connection closed before the response ended`)));
      });
      req.on('timeout', () => {
        settle(new KubeReadError('IdleTimeout', `GET ${path}: no data for ${limits.idleTimeoutMs} ms`));
        req.destroy();
      });
      req.on('error', (e) => settle(e));
      req.end();
    });
}

/** A Kubernetes list, following `continue` so a large cluster is read completely — within the page bound, never in a loop. */
async function list(get: KubeGet, path: string, maxPages: number): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  const seen = new Set<string>();
  let cont: string | undefined;
  for (let pages = 1; ; pages++) {
    if (pages > maxPages) throw new KubeReadError('TooManyPages', `GET ${path}: more than ${maxPages} pages of ${PAGE_SIZE}`);
    const page = await get(`${path}?limit=${PAGE_SIZE}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    if (page.items !== undefined && page.items !== null && !Array.isArray(page.items)) throw new KubeReadError('InvalidResponse', `GET ${path}: items is not a list`);
    items.push(...((page.items as KubeObject[] | null | undefined) ?? []));
    const next = (page.metadata as { continue?: unknown } | undefined)?.continue;
    if (typeof next !== 'string' || next === '') return items;
    if (seen.has(next)) throw new KubeReadError('RepeatedContinueToken', `GET ${path}: the server sent the same continue token twice (a paging loop)`);
    seen.add(next);
    cont = next;
  }
}

const notFoundAs =
  <T>(fallback: T) =>
  (e: unknown): T => {
    if (e instanceof KubeReadError && e.code === 'HTTP404') return fallback;
    throw e;
  };

/**
 * Reads the objects the rules need through the cluster's API server, within `limits`. Throws KubeReadError naming
 * why it could not (no network path to a private endpoint, the detector's role not mapped into the cluster, TLS
 * failure, a bound broken): the caller reports the rules needing these objects as not evaluated, with that reason.
 * A missing aws-auth is "none"; a missing Calico CRD is "no Calico" (its lists are left out, which is how the view
 * tells whether Calico enforces policies), not a failure.
 */
export async function readKubernetesApi(cluster: Cluster, token: string, limits: Partial<KubeReadLimits> = {}): Promise<KubernetesState> {
  if (!cluster.endpoint) throw new KubeReadError('NoEndpoint', 'the cluster has no API server endpoint');
  const bounds = { ...DEFAULT_KUBE_LIMITS, ...limits };
  const ca = cluster.certificateAuthority?.data ? Buffer.from(cluster.certificateAuthority.data, 'base64') : undefined;
  const controller = new AbortController();
  const deadline = setTimeout(
    () => controller.abort(new KubeReadError('DeadlineExceeded', `reading the cluster took longer than ${bounds.deadlineMs} ms in all`)),
    bounds.deadlineMs,
  );
  const get = kubeGetter(cluster.endpoint, ca, token, bounds, controller.signal);
  const calico = (kind: string) => list(get, `/apis/crd.projectcalico.org/v1/${kind}`, bounds.maxPages).catch(notFoundAs<KubeObject[] | undefined>(undefined));
  try {
    const [awsAuth, namespaces, networkPolicies, calicoGlobalNetworkPolicies, calicoNetworkPolicies] = await Promise.all([
      get('/api/v1/namespaces/kube-system/configmaps/aws-auth').then((c) => c as KubeConfigMap, notFoundAs<KubeConfigMap | undefined>(undefined)),
      list(get, '/api/v1/namespaces', bounds.maxPages),
      list(get, '/apis/networking.k8s.io/v1/networkpolicies', bounds.maxPages),
      calico('globalnetworkpolicies'),
      calico('networkpolicies'),
    ]);
    return {
      ...(awsAuth ? { awsAuth } : {}),
      namespaces,
      networkPolicies,
      ...(calicoGlobalNetworkPolicies ? { calicoGlobalNetworkPolicies } : {}),
      ...(calicoNetworkPolicies ? { calicoNetworkPolicies } : {}),
    };
  } finally {
    clearTimeout(deadline);
    // The first failure ends the cluster's read: the requests still running are abandoned, not left to drip.
    controller.abort();
  }
}
