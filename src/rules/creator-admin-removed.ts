import type { ClusterView } from '../inventory/view';
import type { AccessEntryView } from '../inventory/reader';
import type { ClusterRule } from './engine/rule';
import { authenticationMode, hasClusterAdminPolicy, principalKey, CLUSTER_ADMIN_POLICY } from './semantics/iam';
import { bootstrapAdminEntries, creatorOfRecord } from './semantics/creator';
import { hasPart } from './engine/parts';
import { RESOURCE } from './semantics/resources';

function creatorOf(view: ClusterView): { arn: string; eventID?: string } | undefined {
  if (!hasPart(view, 'creator') || !view.creatorEvent) return undefined;
  const c = creatorOfRecord(view.creatorEvent.record);
  return c ? { arn: c.arn, eventID: view.creatorEvent.EventId } : undefined;
}

function entryEvidence(e: AccessEntryView): Record<string, unknown> {
  return {
    principalArn: e.principalArn,
    type: e.type,
    createdAt: e.createdAt instanceof Date ? e.createdAt.toISOString() : e.createdAt,
    associatedAccessPolicies: (e.associatedAccessPolicies ?? []).map((p) => ({ policyArn: p.policyArn, accessScope: p.accessScope })),
  };
}

/**
 * The cluster creator must not keep permanent cluster admin.
 * - CONFIG_MAP mode (or no accessConfig): violated, always. EKS authenticates the creator into `system:masters`
 *   without any aws-auth entry, and kube-apiserver authorizes that group with its privileged-group authorizer,
 *   ahead of RBAC (`authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)` in the API server's
 *   authorizer chain): no ClusterRoleBinding grants it and none can take it away, so no Kubernetes object is read.
 * - API / API_AND_CONFIG_MAP: violated while the creator's bootstrap access entry exists: an entry with
 *   AmazonEKSClusterAdminPolicy for the creator — the CreateCluster record's principal (for AssumedRole the session
 *   issuer role) when that record was found — else any entry with that policy created within 10 minutes of the
 *   cluster. bootstrapClusterCreatorAdminPermissions alone is only what happened at creation and is not read.
 */
export const creatorAdminRemoved: ClusterRule = {
  id: 'creator-admin-removed',
  scope: 'cluster',
  title: 'Cluster creator no longer holds cluster admin',
  guideline: 'Dedicated IAM Role for EKS Cluster Creation',
  severity: 'high',
  description:
    'The cluster creator still holds permanent cluster admin (CONFIG_MAP mode: the invisible system:masters grant; otherwise the creator\'s bootstrap access entry with AmazonEKSClusterAdminPolicy still exists).',
  remediation:
    'Switch the cluster to API authentication mode (aws eks update-cluster-config --access-config authenticationMode=API_AND_CONFIG_MAP, then API), grant admins their own access entries, and delete the creator\'s bootstrap entry (aws eks delete-access-entry --cluster-name <cluster> --principal-arn <creator ARN>).',
  needs: ['accessEntries'],
  mayNeed: ['creator'],
  evaluate(view) {
    const mode = authenticationMode(view.cluster);
    const creator = creatorOf(view);
    const creatorEvidence = creator ? { creator: creator.arn, creatorSource: `CreateCluster record ${creator.eventID ?? ''}`.trim() } : {};

    if (mode === 'CONFIG_MAP') {
      return [
        {
          resourceType: RESOURCE.cluster,
          resourceId: view.name,
          message: `cluster ${view.name} runs in CONFIG_MAP mode: its creator${creator ? ` ${creator.arn}` : ''} keeps an invisible, irrevocable system:masters grant`,
          evidence: {
            field: 'accessConfig.authenticationMode',
            authenticationMode: mode,
            grant: 'system:masters (EKS cluster creator)',
            authorizedBy: 'the API server authorizes system:masters itself, before RBAC: no ClusterRoleBinding grants or revokes it',
            ...creatorEvidence,
          },
        },
      ];
    }

    let bootstrap: AccessEntryView[];
    let how: string;
    if (creator) {
      const key = principalKey(creator.arn);
      bootstrap = view.accessEntries.filter(hasClusterAdminPolicy).filter((e) => e.principalArn && principalKey(e.principalArn) === key);
      how = 'creator from the CreateCluster record';
    } else {
      bootstrap = bootstrapAdminEntries(view);
      how = `no CreateCluster record; admin entry created within 10 minutes of the cluster`;
    }
    if (bootstrap.length === 0) return [];
    const principal = bootstrap[0].principalArn;
    return [
      {
        resourceType: RESOURCE.cluster,
        resourceId: view.name,
        message: `cluster creator ${principal} still holds ${CLUSTER_ADMIN_POLICY} on cluster ${view.name} through its bootstrap access entry`,
        evidence: {
          authenticationMode: mode,
          identifiedBy: how,
          ...creatorEvidence,
          accessEntries: bootstrap.map(entryEvidence),
        },
      },
    ];
  },
};
