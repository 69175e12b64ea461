import type { Cluster } from '@aws-sdk/client-eks';
import type { AccessEntryView } from '../../inventory/reader';

export type AuthenticationMode = 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';

/** accessConfig.authenticationMode; clusters created before access entries report none and run in CONFIG_MAP mode. */
export function authenticationMode(cluster: Cluster): AuthenticationMode {
  const m = cluster.accessConfig?.authenticationMode;
  return m === 'API' || m === 'API_AND_CONFIG_MAP' ? m : 'CONFIG_MAP';
}

/**
 * Comparable identity of an IAM principal ARN: roles by account + name (paths dropped, assumed-role session ARNs
 * reduced to their role), users likewise, anything else as given.
 */
export function principalKey(arn: string): string {
  const m = /^arn:[^:]+:(iam|sts)::(\d{12}):(role|user|assumed-role)\/(.+)$/.exec(arn);
  if (!m) return arn;
  const [, , account, kind, rest] = m;
  const parts = rest.split('/');
  const name = kind === 'assumed-role' ? parts[0] : parts[parts.length - 1];
  return `${account}:${kind === 'user' ? 'user' : 'role'}:${name}`;
}

export const CLUSTER_ADMIN_POLICY = 'AmazonEKSClusterAdminPolicy';

export function hasClusterAdminPolicy(entry: AccessEntryView): boolean {
  return (entry.associatedAccessPolicies ?? []).some((p) => typeof p.policyArn === 'string' && p.policyArn.endsWith(`/${CLUSTER_ADMIN_POLICY}`));
}

export function toTime(d: Date | string | number | undefined): number | undefined {
  if (d === undefined || d === null) return undefined;
  const t = d instanceof Date ? d.getTime() : typeof d === 'number' ? d * (d < 1e12 ? 1000 : 1) : Date.parse(d);
  return Number.isNaN(t) ? undefined : t;
}
