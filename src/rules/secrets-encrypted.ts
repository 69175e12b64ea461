import type { ClusterRule } from './engine/rule';
import { RESOURCE } from './semantics/resources';

/**
 * Kubernetes secrets must be envelope-encrypted with a KMS key of the account's choosing: some `encryptionConfig`
 * entry names a `provider.keyArn` (a key or alias ARN) and covers `secrets`. EKS deprecated `resources` (since
 * Kubernetes 1.28 the key encrypts all API data whatever it says), so an entry without it counts; one listing other
 * resources only does not. EKS's default encryption with an AWS-owned key is no such control: nobody in the account
 * can audit, rotate or revoke that key. Whether the key itself is enabled is not read: a disabled or deleted key
 * breaks the cluster's secrets (an outage, not an exposure).
 */
export const secretsEncrypted: ClusterRule = {
  id: 'secrets-encrypted',
  scope: 'cluster',
  title: 'Secrets are envelope-encrypted with a KMS key',
  guideline: 'Beyond the guide: envelope encryption of secrets',
  severity: 'medium',
  description: 'No encryptionConfig entry envelope-encrypts Kubernetes secrets with a KMS key (provider.keyArn).',
  remediation:
    'Associate a symmetric KMS key of the same region (it cannot be removed afterwards): aws eks associate-encryption-config --cluster-name <cluster> --encryption-config \'[{"resources":["secrets"],"provider":{"keyArn":"<key ARN>"}}]\', then rewrite the existing secrets so the key encrypts them too (kubectl get secrets -A -o json | kubectl annotate --overwrite -f - kms-encryption-timestamp="$(date +%s)").',
  needs: [],
  evaluate(view) {
    const entries = view.cluster.encryptionConfig ?? [];
    const covering = entries.find((e) => !!e.provider?.keyArn && (e.resources === undefined || e.resources.includes('secrets')));
    if (covering) return [];
    return [
      {
        resourceType: RESOURCE.cluster,
        resourceId: view.name,
        message: `cluster ${view.name} does not envelope-encrypt Kubernetes secrets with a KMS key`,
        evidence: { field: 'encryptionConfig', encryptionConfig: entries },
      },
    ];
  },
};
