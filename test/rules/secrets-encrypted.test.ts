import type { EncryptionConfig } from '@aws-sdk/client-eks';
import { KMS_KEY, check, clusterView } from './fixtures';

const RULE = 'secrets-encrypted';
const run = (encryptionConfig: EncryptionConfig[] | undefined) => check(RULE, clusterView({ cluster: { encryptionConfig } }));

describe('secrets-encrypted', () => {
  it('fires when the cluster has no encryptionConfig (EKS\'s own AWS-owned key is no control of the account\'s)', () => {
    const [f] = run(undefined);
    expect(f).toMatchObject({ ruleId: RULE, severity: 'medium', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo', message: 'cluster demo does not envelope-encrypt Kubernetes secrets with a KMS key' });
    expect(f.evidence).toEqual({ field: 'encryptionConfig', encryptionConfig: [] });
    expect(run([])).toHaveLength(1);
  });

  it('passes secrets encrypted with a key ARN or an alias ARN', () => {
    expect(run([{ resources: ['secrets'], provider: { keyArn: KMS_KEY } }])).toEqual([]);
    expect(run([{ resources: ['secrets'], provider: { keyArn: 'arn:aws:kms:us-east-1:111122223333:alias/eks-secrets' } }])).toEqual([]);
  });

  it('passes an entry without `resources` (deprecated: the key encrypts all API data), not one that covers other resources only', () => {
    expect(run([{ provider: { keyArn: KMS_KEY } }])).toEqual([]);
    const [f] = run([{ resources: ['configmaps'], provider: { keyArn: KMS_KEY } }]);
    expect(f.evidence).toEqual({ field: 'encryptionConfig', encryptionConfig: [{ resources: ['configmaps'], provider: { keyArn: KMS_KEY } }] });
  });

  it('fires when an entry names secrets but no key', () => {
    expect(run([{ resources: ['secrets'], provider: {} }])).toHaveLength(1);
    expect(run([{ resources: ['secrets'], provider: { keyArn: '' } }])).toHaveLength(1);
  });
});
