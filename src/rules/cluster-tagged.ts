import type { ClusterRule, Violation } from './engine/rule';
import { RESOURCE } from './semantics/resources';

/**
 * The cluster (resourceId = cluster name) and each node group (resourceId = node group name) must carry every
 * tag key in `config.requiredTags`. Keys are compared exactly (AWS tag keys are case-sensitive); an empty value
 * still counts as present.
 */
export const clusterTagged: ClusterRule = {
  id: 'cluster-tagged',
  scope: 'cluster',
  title: 'Cluster and node groups carry the required tags',
  guideline: 'Cluster Resource Tagging',
  severity: 'low',
  description: 'The cluster or a node group lacks a required tag key (configurable).',
  remediation:
    'Add the missing tags: aws eks tag-resource --resource-arn <cluster or node group ARN> --tags owner=<team>,environment=<env>.',
  needs: ['nodegroups'],
  evaluate(view, config) {
    const out: Violation[] = [];
    const missing = (tags: Record<string, string> | undefined) => config.requiredTags.filter((k) => !(tags && k in tags));
    const m = missing(view.cluster.tags);
    if (m.length > 0) {
      out.push({
        resourceType: RESOURCE.cluster,
        resourceId: view.name,
        message: `cluster ${view.name} lacks required tag${m.length > 1 ? 's' : ''} ${m.join(', ')}`,
        evidence: { field: 'tags', missingTags: m, requiredTags: config.requiredTags },
      });
    }
    for (const ng of view.nodegroups) {
      const name = String(ng.nodegroup.nodegroupName);
      const mn = missing(ng.nodegroup.tags);
      if (mn.length === 0) continue;
      out.push({
        resourceType: RESOURCE.nodegroup,
        resourceId: name,
        message: `node group ${name} of cluster ${view.name} lacks required tag${mn.length > 1 ? 's' : ''} ${mn.join(', ')}`,
        evidence: { nodegroup: name, nodegroupArn: ng.nodegroup.nodegroupArn, field: 'tags', missingTags: mn, requiredTags: config.requiredTags },
      });
    }
    return out;
  },
};
