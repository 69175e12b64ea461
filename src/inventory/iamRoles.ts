import type { AwsReader, RolePolicy } from './reader';
import type { RoleDetails } from './view';

/** `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME` → account and name; undefined for anything else. */
function parseRoleArn(arn: string): { account: string; name: string } | undefined {
  const m = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? { account: m[1], name: m[2] } : undefined;
}

/** `arn:…:instance-profile/PATH/NAME` → NAME. */
export function instanceProfileName(arn: string): string | undefined {
  return /^arn:[^:]+:iam::\d{12}:instance-profile\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
}

/** A managed policy and its default version (whose Document is URL-encoded, as IAM returns it); empty when it does not exist. */
async function defaultVersion(reader: AwsReader, policyArn: string): Promise<RoleDetails['managedPolicies'][string]> {
  const policy = await reader.getPolicy(policyArn);
  if (!policy?.DefaultVersionId) return policy ? { policy } : {};
  const version = await reader.getPolicyVersion(policyArn, policy.DefaultVersionId);
  return { policy, ...(version ? { version } : {}) };
}

/**
 * Reads an IAM role: GetRole, ListAttachedRolePolicies, ListRolePolicies, and with `documents` GetRolePolicy of each
 * inline policy plus GetPolicy/GetPolicyVersion of each attached managed policy and of the permissions boundary.
 * A role of another account is not read (IAM would answer for this account's role of the same name).
 */
export async function readRoleDetails(reader: AwsReader, arn: string, account: string, opts: { documents: boolean }): Promise<RoleDetails> {
  const empty: RoleDetails = { arn, attachedPolicies: [], inlinePolicyNames: [], inlinePolicies: [], managedPolicies: {} };
  const parsed = parseRoleArn(arn);
  if (!parsed) throw new Error(`not an IAM role ARN: ${arn}`);
  if (parsed.account !== account) return { ...empty, foreignAccount: parsed.account };
  const [role, attachedPolicies, inlinePolicyNames] = await Promise.all([
    reader.getRole(parsed.name),
    reader.listAttachedRolePolicies(parsed.name),
    reader.listRolePolicies(parsed.name),
  ]);
  if (!role) return empty;
  const details: RoleDetails = { ...empty, role, attachedPolicies, inlinePolicyNames };
  if (!opts.documents) return details;
  const managed = [...new Set([...attachedPolicies.map((p) => p.PolicyArn), role.PermissionsBoundary?.PermissionsBoundaryArn].filter((a): a is string => !!a))];
  const [inline, versions] = await Promise.all([
    Promise.all(inlinePolicyNames.map((n) => reader.getRolePolicy(parsed.name, n))),
    Promise.all(managed.map((p) => defaultVersion(reader, p))),
  ]);
  details.inlinePolicies = inline.filter((p): p is RolePolicy => !!p);
  managed.forEach((p, i) => (details.managedPolicies[p] = versions[i]));
  return details;
}
