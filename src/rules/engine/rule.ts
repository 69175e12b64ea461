import type { Severity } from '../../findings/finding';
import type { AccountView, ClusterView, ViewPart } from '../../inventory/view';
import type { Config } from '../../configSchema';

/** What a rule says about one resource; the engine adds identity, catalog text and severity overrides. */
export interface Violation {
  resourceType: string;
  resourceId: string;
  message: string;
  evidence: Record<string, unknown>;
  /** Overrides the catalog severity for this violation (e.g. an SSH key with no source restriction is critical). */
  severity?: Severity;
}

interface RuleMeta {
  id: string;
  title: string;
  /** The guideline section this rule enforces. */
  guideline: string;
  severity: Severity;
  remediation: string;
  /** One sentence: what makes it a violation. */
  description: string;
}

export interface ClusterRule extends RuleMeta {
  scope: 'cluster';
  /** View parts this rule reads; when one could not be read the rule is reported as not evaluated. */
  needs: ViewPart[];
  /**
   * Parts read only in some cases (e.g. Kubernetes objects in CONFIG_MAP mode). The view builder reads them, but the
   * engine does not require them up front: the rule calls `requirePart` (engine/parts.ts) before reading one, or
   * `hasPart` when the part only sharpens its verdict.
   */
  mayNeed?: ViewPart[];
  evaluate(view: ClusterView, config: Config): Violation[];
}

export interface AccountRule extends RuleMeta {
  scope: 'account';
  evaluate(view: AccountView, config: Config): Violation[];
}

/** Raised from the triggering CloudTrail record itself, not from re-read state (e.g. `root-user-activity`). */
export interface EventRule extends RuleMeta {
  scope: 'event';
}

export type Rule = ClusterRule | AccountRule | EventRule;
