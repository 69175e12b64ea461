import type { Suppression } from '../configSchema';
import type { Finding } from './finding';

/**
 * The unexpired suppression covering `f`, if any. `rule` must equal the rule id; `cluster` (when given) the cluster
 * name or ARN; `resource` (when given) the resource id. A suppression with a cluster never covers account-level findings.
 */
export function matchingSuppression(f: Finding, suppressions: readonly Suppression[], now: Date): Suppression | undefined {
  return suppressions.find(
    (s) =>
      s.rule === f.ruleId &&
      (s.cluster === undefined || s.cluster === f.cluster || s.cluster === f.clusterArn) &&
      (s.resource === undefined || s.resource === f.resourceId) &&
      Date.parse(s.expires) > now.getTime(),
  );
}
