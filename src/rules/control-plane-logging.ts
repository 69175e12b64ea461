import type { ClusterRule } from './engine/rule';
import { RESOURCE } from './semantics/resources';

const REQUIRED = ['api', 'audit', 'authenticator'] as const;

/**
 * The api, audit and authenticator control-plane log types must be enabled: a type counts as enabled when some
 * logging.clusterLogging[] entry with enabled true lists it. One finding per cluster, naming the disabled types.
 */
export const controlPlaneLogging: ClusterRule = {
  id: 'control-plane-logging',
  scope: 'cluster',
  title: 'Control-plane audit logging is on',
  guideline: 'CloudTrail logging for audit and forensics',
  severity: 'medium',
  description: 'api, audit or authenticator control-plane log types disabled.',
  remediation:
    'Enable the log types: aws eks update-cluster-config --name <cluster> --logging \'{"clusterLogging":[{"types":["api","audit","authenticator"],"enabled":true}]}\' (logs go to CloudWatch Logs /aws/eks/<cluster>/cluster).',
  needs: [],
  evaluate(view) {
    const enabled = new Set<string>();
    for (const entry of view.cluster.logging?.clusterLogging ?? []) if (entry.enabled === true) for (const t of entry.types ?? []) enabled.add(t);
    const disabled = REQUIRED.filter((t) => !enabled.has(t));
    if (disabled.length === 0) return [];
    return [
      {
        resourceType: RESOURCE.cluster,
        resourceId: view.name,
        message: `cluster ${view.name} has control-plane logging off for ${disabled.join(', ')}`,
        evidence: { field: 'logging.clusterLogging', disabledTypes: disabled, enabledTypes: [...enabled].sort() },
      },
    ];
  },
};
