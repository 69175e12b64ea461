'use strict';
// Lets CloudWatch Logs invoke the auditLog function from the audit log groups of the selected clusters only
// (param auditLogClusters: "*" = every /aws/eks/<cluster>/cluster group of the account and region, or names).
// A permission's SourceArn is one ARN (wildcards allowed), so a list of clusters needs one permission each: a
// number of resources the YAML cannot express.
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

class AuditLogPermissions {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'package:compileEvents': () => this.addPermissions() };
  }

  addPermissions() {
    const sls = this.serverless;
    const params = sls.service.custom && sls.service.custom.kubernetesReadersVpcParams;
    if (params && !params.subnetIds !== !params.securityGroupIds) {
      throw new sls.classes.Error('vpcSubnetIds and vpcSecurityGroupIds go together: give both (private clusters) or neither');
    }
    const selection = String((sls.service.custom && sls.service.custom.auditLog && sls.service.custom.auditLog.clusters) || '').trim();
    const names = selection === '*' ? ['*'] : [...new Set(selection.split(',').map((s) => s.trim()).filter(Boolean))];
    const naming = sls.getProvider('aws').naming;
    const resources = sls.service.provider.compiledCloudFormationTemplate.Resources;
    for (const name of names) {
      if (name !== '*' && !CLUSTER_NAME.test(name)) throw new sls.classes.Error(`auditLogClusters: "${name}" is not an EKS cluster name`);
      const id = `AuditLogInvokePermission${name === '*' ? 'AllClusters' : naming.normalizeNameToAlphaNumericOnly(name)}`;
      if (resources[id]) throw new sls.classes.Error(`auditLogClusters: "${name}" collides with another cluster name in ${id}`);
      resources[id] = {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          FunctionName: { 'Fn::GetAtt': [naming.getLambdaLogicalId('auditLog'), 'Arn'] },
          Action: 'lambda:InvokeFunction',
          Principal: 'logs.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
          SourceArn: { 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/eks/${name}/cluster:*` },
        },
      };
    }
  }
}

module.exports = AuditLogPermissions;
