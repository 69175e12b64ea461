import { z } from 'zod';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** The finding contract (DESIGN.md, "Finding (JSON)"), with account and region explicit for multi-account aggregation. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  account: string;
  region: string;
  /** null for account-level findings (`cloudtrail-enabled`, `root-user-activity`). */
  cluster: string | null;
  clusterArn: string | null;
  resourceType: string;
  resourceId: string;
  message: string;
  evidence: Record<string, unknown>;
  guideline: string;
  remediation: string;
}

/** Identity of a finding: (clusterArn, ruleId, resourceId); account-level findings use the account id as scope. */
export function findingKey(f: Pick<Finding, 'account' | 'region' | 'clusterArn' | 'ruleId' | 'resourceId'>): string {
  const scope = f.clusterArn ?? `account:${f.account}:${f.region}`;
  return `${scope}|${f.ruleId}|${f.resourceId}`;
}

/** A rule that could not be evaluated: never reported as a pass, and its stored findings are left as they are. */
export interface NotEvaluated {
  ruleId: string;
  cluster: string | null;
  clusterArn: string | null;
  reason: string;
}

/** The finding contract as a schema, for finding JSON read back from outside (state files, SNS messages). */
export const findingSchema = z
  .object({
    ruleId: z.string(),
    severity: z.enum(SEVERITIES),
    account: z.string(),
    region: z.string(),
    cluster: z.string().nullable(),
    clusterArn: z.string().nullable(),
    resourceType: z.string(),
    resourceId: z.string(),
    message: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    guideline: z.string(),
    remediation: z.string(),
  })
  .passthrough();
