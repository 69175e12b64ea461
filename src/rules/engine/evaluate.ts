import type { Config } from '../../configSchema';
import type { Finding, NotEvaluated, Severity } from '../../findings/finding';
import type { AccountView, ClusterView, ViewPart } from '../../inventory/view';
import { RULES } from './catalog';
import { partProblem } from './parts';
import type { AccountRule, ClusterRule, Rule, Violation } from './rule';
import { rootUserActivity, rootUserViolation, type RootCallInput } from '../root-user-activity';

export interface EvaluationResult {
  findings: Finding[];
  /** Rules that could not be evaluated: never a pass; their stored findings must be left as they are. */
  notEvaluated: NotEvaluated[];
  /** Rules that ran to a verdict: the scope in which missing findings count as resolved. */
  evaluatedRuleIds: string[];
}

const CLUSTER_RULES = RULES.filter((r): r is ClusterRule => r.scope === 'cluster');
const ACCOUNT_RULES = RULES.filter((r): r is AccountRule => r.scope === 'account');

function enabled(rule: Rule, config: Config): boolean {
  return config.rules[rule.id]?.enabled !== false;
}

function severityOf(rule: Rule, v: Violation | undefined, config: Config): Severity {
  return config.rules[rule.id]?.severity ?? v?.severity ?? rule.severity;
}

function select<R extends Rule>(rules: readonly R[], ids: readonly string[] | undefined): R[] {
  if (!ids) return [...rules];
  const wanted = new Set(ids);
  return rules.filter((r) => wanted.has(r.id));
}

/** One finding per resource: a rule reporting the same resource twice is folded into the first report. */
function dedupe(violations: Violation[]): Violation[] {
  const byId = new Map<string, Violation>();
  for (const v of violations) {
    const first = byId.get(v.resourceId);
    if (!first) byId.set(v.resourceId, v);
    else first.evidence = { ...first.evidence, alsoMatched: [...((first.evidence.alsoMatched as unknown[]) ?? []), v.evidence] };
  }
  return [...byId.values()];
}

/**
 * Evidence as plain JSON: Dates become ISO strings and undefined members disappear, so a finding serialises the same
 * way to SNS, to a state file and to DynamoDB (whose marshaller rejects both).
 */
function plainJson(evidence: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(evidence)) as Record<string, unknown>;
}

type Scope = { account: string; region: string; cluster: string | null; clusterArn: string | null };

function toFinding(rule: Rule, v: Violation, scope: Scope, config: Config): Finding {
  return {
    ruleId: rule.id,
    severity: severityOf(rule, v, config),
    account: scope.account,
    region: scope.region,
    cluster: scope.cluster,
    clusterArn: scope.clusterArn,
    resourceType: v.resourceType,
    resourceId: v.resourceId,
    message: v.message,
    evidence: plainJson(v.evidence),
    guideline: rule.guideline,
    remediation: rule.remediation,
  };
}

function run(rule: Rule, scope: Scope, config: Config, evaluate: () => Violation[], out: EvaluationResult): void {
  let violations: Violation[];
  try {
    violations = evaluate();
  } catch (e) {
    out.notEvaluated.push({ ruleId: rule.id, cluster: scope.cluster, clusterArn: scope.clusterArn, reason: (e as Error).message || String(e) });
    return;
  }
  for (const v of dedupe(violations)) out.findings.push(toFinding(rule, v, scope, config));
  out.evaluatedRuleIds.push(rule.id);
}

/**
 * Runs the cluster rules (all, or `ruleIds`) over one cluster view. Rules disabled in config are skipped and are not
 * in `evaluatedRuleIds` (their stored findings are left alone). A rule whose needed part was not read, or that
 * throws (including `requirePart` on a conditional part), is reported in `notEvaluated`, never as a pass.
 */
export function evaluateCluster(view: ClusterView, config: Config, ruleIds?: readonly string[]): EvaluationResult {
  const out: EvaluationResult = { findings: [], notEvaluated: [], evaluatedRuleIds: [] };
  const scope: Scope = { account: view.account, region: view.region, cluster: view.name, clusterArn: view.arn };
  for (const rule of select(CLUSTER_RULES, ruleIds)) {
    if (!enabled(rule, config)) continue;
    const missing = rule.needs.map((p) => partProblem(view, p)).filter((p): p is string => p !== undefined);
    if (missing.length > 0) {
      out.notEvaluated.push({ ruleId: rule.id, cluster: view.name, clusterArn: view.arn, reason: missing.join('; ') });
      continue;
    }
    run(rule, scope, config, () => rule.evaluate(view, config), out);
  }
  return out;
}

/** Runs the account rules (`cloudtrail-enabled`) over the account view; findings have cluster and clusterArn null. */
export function evaluateAccount(view: AccountView, config: Config, ruleIds?: readonly string[]): EvaluationResult {
  const out: EvaluationResult = { findings: [], notEvaluated: [], evaluatedRuleIds: [] };
  const scope: Scope = { account: view.account, region: view.region, cluster: null, clusterArn: null };
  for (const rule of select(ACCOUNT_RULES, ruleIds)) {
    if (!enabled(rule, config)) continue;
    if (view.unreadable.length > 0) {
      const reason = view.unreadable.map((u) => `${u.part} could not be read: ${u.reason}`).join('; ');
      out.notEvaluated.push({ ruleId: rule.id, cluster: null, clusterArn: null, reason });
      continue;
    }
    run(rule, scope, config, () => rule.evaluate(view, config), out);
  }
  return out;
}

/** The view parts the selected cluster rules read (needed ones and conditional ones): what the view builder fetches. */
export function neededParts(ruleIds?: readonly string[]): Set<ViewPart> {
  const parts = new Set<ViewPart>();
  for (const rule of select(CLUSTER_RULES, ruleIds)) for (const p of [...rule.needs, ...(rule.mayNeed ?? [])]) parts.add(p);
  return parts;
}

/** The `root-user-activity` finding for a call made by the root user; undefined when the rule is disabled. */
export function rootUserFinding(input: RootCallInput, config: Config): Finding | undefined {
  if (!enabled(rootUserActivity, config)) return undefined;
  const scope: Scope = { account: input.account, region: input.region, cluster: null, clusterArn: null };
  return toFinding(rootUserActivity, rootUserViolation(input), scope, config);
}
