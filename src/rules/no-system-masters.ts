import type { ClusterRule, Violation } from './engine/rule';
import { authenticationMode } from './semantics/iam';
import { awsAuthMappings, grantingGroup, type AwsAuthMapping } from './semantics/awsAuth';
import { requirePart } from './engine/parts';
import { RESOURCE } from './semantics/resources';

const MASTERS = 'system:masters';

function entryEvidence(m: AwsAuthMapping): Record<string, unknown> {
  const who = m.sso ? { sso: m.sso } : { [m.key === 'mapRoles' ? 'rolearn' : 'userarn']: m.arn };
  return { field: `data.${m.key}[${m.index}]`, ...who, username: m.username, groups: m.groups };
}

/**
 * No IAM role or user may be mapped into `system:masters` by the aws-auth ConfigMap, read exactly as the EKS
 * authenticator reads it (semantics/awsAuth.ts: key case, duplicate keys and entries, bad entries, SSO entries, a
 * group template the caller can render into system:masters). In API mode EKS ignores aws-auth, so the rule is
 * compliant without reading Kubernetes; in CONFIG_MAP / API_AND_CONFIG_MAP mode the Kubernetes objects are required
 * (unread = not evaluated). No aws-auth ConfigMap = no mapping. One finding per mapped principal ARN (resourceId); a
 * mapping that matches no caller today (a role ARN with a path) is still reported, saying so, since it is one fix away
 * from working.
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
    const out: Violation[] = [];
    for (const m of awsAuthMappings(view.kubernetes?.awsAuth)) {
      const via = grantingGroup(m, MASTERS);
      if (!via) continue;
      const isUser = /^arn:[^:]*:iam::[^:]*:user\//.test(m.arn);
      const what = m.sso ? `SSO permission set ${m.sso.permissionSetName} (${m.arn})` : `IAM ${isUser ? 'user' : 'role'} ${m.arn}`;
      const through = via === MASTERS ? '' : ` through group ${via}, which the caller can render into ${MASTERS}`;
      out.push({
        resourceType: isUser ? RESOURCE.iamUser : RESOURCE.iamRole,
        resourceId: m.arn,
        message: `aws-auth of cluster ${view.name} maps ${what} into ${MASTERS}${through} (${m.key}[${m.index}])${m.matchesNoCallerToday ? `; it matches no caller today: ${m.matchesNoCallerToday}` : ''}`,
        evidence: {
          configMap: 'kube-system/aws-auth',
          authenticationMode: mode,
          entries: [entryEvidence(m)],
          ...(via === MASTERS ? {} : { groupTemplate: via }),
          ...(m.matchesNoCallerToday ? { matchesNoCallerToday: m.matchesNoCallerToday } : {}),
        },
      });
    }
    return out;
  },
};
