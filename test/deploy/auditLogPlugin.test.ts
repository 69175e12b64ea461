/** serverless-audit-log-plugin.js: the invoke permissions for a list of clusters, checked without packaging. */
/* eslint-disable @typescript-eslint/no-require-imports */
const AuditLogPermissions = require('../../serverless-audit-log-plugin.js');
const naming = require('osls/lib/plugins/aws/lib/naming.js');
/* eslint-enable @typescript-eslint/no-require-imports */

function run(custom: Record<string, unknown>): Record<string, { Properties: Record<string, unknown> }> {
  const Resources: Record<string, { Properties: Record<string, unknown> }> = {};
  class SlsError extends Error {}
  const sls = {
    classes: { Error: SlsError },
    service: { custom, provider: { compiledCloudFormationTemplate: { Resources } } },
    getProvider: () => ({ naming }),
  };
  new AuditLogPermissions(sls).hooks['package:compileEvents']();
  return Resources;
}

describe('audit-log invoke permissions', () => {
  it('a list of clusters gets one permission per audit log group, and nothing else', () => {
    const r = run({ auditLog: { clusters: 'prod, payments,prod' } });
    expect(Object.keys(r)).toEqual(['AuditLogInvokePermissionProd', 'AuditLogInvokePermissionPayments']);
    expect(r.AuditLogInvokePermissionPayments.Properties.SourceArn).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/eks/payments/cluster:*' });
  });

  it('no cluster, no permission', () => {
    expect(run({ auditLog: { clusters: '' } })).toEqual({});
  });

  it.each([
    [{ auditLog: { clusters: 'prod/*' } }, /not an EKS cluster name/],
    [{ auditLog: { clusters: 'a-b,ab' } }, /collides/],
    [{ auditLog: { clusters: '*' }, kubernetesReadersVpcParams: { subnetIds: 'subnet-1', securityGroupIds: '' } }, /go together/],
  ])('refuses %j', (custom, error) => {
    expect(() => run(custom)).toThrow(error);
  });
});
