import { answering, type AwsReader } from './reader';
import type { AwsPolicyEntry } from '../findings/stateStore';
import { readOnce } from './readOnce';

/**
 * How long a kept default version of an AWS managed policy is used before IAM is asked again. The sweep asks at
 * every run (6 h by default), so events never need to unless sweeps stopped; a day bounds how late a new default
 * version AWS publishes reaches every verdict even then.
 */
export const AWS_POLICY_MAX_AGE_MS = 24 * 3600_000;

/**
 * `arn:PARTITION:iam::aws:policy/PATH/NAME`: a policy AWS publishes. Its account field is the literal `aws`, which no
 * customer policy can have (theirs is the 12-digit account id), so no one but AWS can write one of these documents.
 */
export const isAwsManagedPolicy = (arn: string): boolean => /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);

/** Where checks are kept: the state store (the table in Lambda, the CLI's state file). */
export interface AwsPolicyKeeper {
  awsPolicy(arn: string): Promise<AwsPolicyEntry | undefined>;
  keepAwsPolicy(e: AwsPolicyEntry): Promise<void>;
}

export interface KeptPolicyOptions {
  /** Kept checks made before this are asked again (an event: now less AWS_POLICY_MAX_AGE_MS; a sweep: its start). */
  freshSince: Date;
  now?: () => Date;
}

/**
 * A reader that answers GetPolicy and GetPolicyVersion of AWS managed policies from the checks the store keeps:
 * only AWS can publish a new version of one, and a version never changes, so a check made since `freshSince` still
 * says what the default version grants. An older check, or none, is made again: GetPolicy, then GetPolicyVersion
 * only when the default moved, and kept. Customer managed policies (anyone with IAM rights can rewrite them), the
 * policies a role has attached and its inline policies are always read live. One check per policy per reader (an
 * event, a sweep): a failed one is not kept.
 */
export function withKeptAwsPolicies(reader: AwsReader, keeper: AwsPolicyKeeper, opts: KeptPolicyOptions): AwsReader {
  const once = readOnce();
  const now = opts.now ?? (() => new Date());
  const current = (arn: string) =>
    once(arn, async (): Promise<AwsPolicyEntry | undefined> => {
      const kept = await keeper.awsPolicy(arn);
      if (kept && Date.parse(kept.checkedAt) >= opts.freshSince.getTime()) return kept;
      const checkedAt = now().toISOString();
      const live = await reader.getPolicy(arn);
      // Not kept: an attached AWS managed policy that IAM does not know is an anomaly to see on every read.
      if (!live) return undefined;
      const { PolicyName, PolicyId, Arn, Path, DefaultVersionId } = live;
      const id = DefaultVersionId;
      const version = !id ? undefined : kept?.version?.VersionId === id ? kept.version : await reader.getPolicyVersion(arn, id);
      const entry: AwsPolicyEntry = {
        arn,
        policy: { PolicyName, PolicyId, Arn, Path, DefaultVersionId },
        ...(version ? { version: { VersionId: version.VersionId, IsDefaultVersion: version.IsDefaultVersion, Document: version.Document } } : {}),
        checkedAt,
      };
      await keeper.keepAwsPolicy(entry);
      return entry;
    });
  const answered: Pick<AwsReader, 'getPolicy' | 'getPolicyVersion'> = {
    async getPolicy(arn) {
      return isAwsManagedPolicy(arn) ? (await current(arn))?.policy : reader.getPolicy(arn);
    },
    async getPolicyVersion(arn, versionId) {
      const version = isAwsManagedPolicy(arn) ? (await current(arn))?.version : undefined;
      return version?.VersionId === versionId ? version : reader.getPolicyVersion(arn, versionId);
    },
  };
  return answering(reader, answered);
}
