import type { ClusterRule, Violation } from './engine/rule';
import { authenticationMode, awsAuthMappings, type AwsAuthMapping } from './semantics/iam';
import { requirePart } from './engine/parts';
import { RESOURCE } from './semantics/resources';

/**
 * No IAM role or user may be mapped into `system:masters` by the aws-auth ConfigMap (mapRoles[].rolearn /
 * mapUsers[].userarn with `system:masters` in groups). In API mode EKS ignores aws-auth, so the rule is compliant
 * without reading Kubernetes; in CONFIG_MAP / API_AND_CONFIG_MAP mode the Kubernetes objects are required (unread
 * = not evaluated). No aws-auth ConfigMap = no mapping. One finding per mapped principal ARN (resourceId).
 */
export const noSystemMasters: ClusterRule = {
  id: 'no-system-masters',
  scope: 'cluster',
  title: 'No IAM principal mapped into system:masters',
  guideline: 'Dedicated IAM Role, steps 3–6',
  severity: 'high',
  description:
    'The aws-auth ConfigMap maps an IAM role or user into system:masters (admins belong in other groups bound by RBAC, or in access entries with access policies).',
  remediation:
    'Remove system:masters from the principal\'s groups in kube-system/aws-auth; grant admins an access entry with an access policy (aws eks create-access-entry + associate-access-policy) or a custom group bound to a ClusterRole, then move the cluster to API authentication mode.',
  needs: [],
  mayNeed: ['kubernetes'],
  evaluate(view) {
    const mode = authenticationMode(view.cluster);
    if (mode === 'API') return [];
    requirePart(view, 'kubernetes');
    const masters = awsAuthMappings(view.kubernetes?.awsAuth).filter((m) => m.groups.includes('system:masters'));
    const byArn = new Map<string, AwsAuthMapping[]>();
    for (const m of masters) byArn.set(m.arn, [...(byArn.get(m.arn) ?? []), m]);
    const out: Violation[] = [];
    for (const [arn, entries] of byArn) {
      const isUser = entries[0].key === 'mapUsers';
      out.push({
        resourceType: isUser ? RESOURCE.iamUser : RESOURCE.iamRole,
        resourceId: arn,
        message: `aws-auth of cluster ${view.name} maps IAM ${isUser ? 'user' : 'role'} ${arn} into system:masters (${entries[0].key}[${entries[0].index}])`,
        evidence: {
          configMap: 'kube-system/aws-auth',
          authenticationMode: mode,
          entries: entries.map((e) => ({ field: `data.${e.key}[${e.index}]`, [e.key === 'mapRoles' ? 'rolearn' : 'userarn']: e.arn, username: e.username, groups: e.groups })),
        },
      });
    }
    return out;
  },
};
