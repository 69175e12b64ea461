import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';
import type { Cluster } from '@aws-sdk/client-eks';
import type { KubeClusterRoleBinding, KubeConfigMap, KubernetesState } from './reader';

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
  const hostname = `sts.${opts.region}.amazonaws.com`;
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

class KubeHttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

interface KubeGet {
  (path: string): Promise<Record<string, unknown>>;
}

function kubeGetter(endpoint: string, ca: Buffer | undefined, token: string, timeoutMs: number): KubeGet {
  return (path) =>
    new Promise((resolve, reject) => {
      const url = new URL(path, endpoint);
      const req = request(url, { method: 'GET', ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) return reject(new KubeHttpError(res.statusCode ?? 0));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
}

/** A Kubernetes list, following `continue` so a large cluster is read completely. */
async function list(get: KubeGet, path: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cont: string | undefined;
  do {
    const page = await get(`${path}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    items.push(...((page.items as Record<string, unknown>[] | undefined) ?? []));
    const meta = page.metadata as { continue?: string } | undefined;
    cont = meta?.continue || undefined;
  } while (cont);
  return items;
}

const notFoundAs =
  <T>(fallback: T) =>
  (e: unknown): T => {
    if (e instanceof KubeHttpError && e.status === 404) return fallback;
    throw e;
  };

/**
 * Reads the objects the rules need through the cluster's API server. Undefined when it cannot (no network path to
 * a private endpoint, the detector's role not mapped into the cluster, TLS failure): the caller reports the rules
 * needing them as not evaluated. A missing aws-auth is "none"; a missing Calico CRD is "no Calico" (the lists are
 * left out, which is how the view tells whether Calico enforces policies), not a failure.
 */
export async function readKubernetesApi(cluster: Cluster, token: string, timeoutMs = 5000): Promise<KubernetesState | undefined> {
  if (!cluster.endpoint) return undefined;
  const ca = cluster.certificateAuthority?.data ? Buffer.from(cluster.certificateAuthority.data, 'base64') : undefined;
  const get = kubeGetter(cluster.endpoint, ca, token, timeoutMs);
  const calico = (kind: string) => list(get, `/apis/crd.projectcalico.org/v1/${kind}`).catch(notFoundAs<Record<string, unknown>[] | undefined>(undefined));
  try {
    const [awsAuth, clusterRoleBindings, namespaces, networkPolicies, calicoGlobalNetworkPolicies, calicoNetworkPolicies] = await Promise.all([
      get('/api/v1/namespaces/kube-system/configmaps/aws-auth').then((c) => c as KubeConfigMap, notFoundAs<KubeConfigMap | undefined>(undefined)),
      list(get, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings') as Promise<KubeClusterRoleBinding[]>,
      list(get, '/api/v1/namespaces'),
      list(get, '/apis/networking.k8s.io/v1/networkpolicies'),
      calico('globalnetworkpolicies'),
      calico('networkpolicies'),
    ]);
    return {
      ...(awsAuth ? { awsAuth } : {}),
      clusterRoleBindings,
      namespaces,
      networkPolicies,
      ...(calicoGlobalNetworkPolicies ? { calicoGlobalNetworkPolicies } : {}),
      ...(calicoNetworkPolicies ? { calicoNetworkPolicies } : {}),
    };
  } catch {
    return undefined;
  }
}
