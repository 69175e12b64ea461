'use strict';
/**
 * Tidies the packaged CloudFormation template so cfn-lint passes without exceptions:
 * - osls adds `DependsOn: <role>` to every function whose `role:` names a stack resource, next to
 *   `Role: !GetAtt <role>.Arn`, which already orders them (W3005). A DependsOn entry that the resource's own
 *   Ref/GetAtt/Sub already implies is dropped; any other stays.
 * - the log groups osls generates get an explicit deletion policy (I3011): they go with the stack, because they are
 *   named after the functions and a retained one would make the next deploy fail on its name.
 */
function referenced(node, into = new Set()) {
  if (Array.isArray(node)) node.forEach((n) => referenced(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'Ref' && typeof v === 'string') into.add(v);
      else if (k === 'Fn::GetAtt') into.add(Array.isArray(v) ? v[0] : String(v).split('.')[0]);
      else if (k === 'Fn::Sub') for (const m of String(Array.isArray(v) ? v[0] : v).matchAll(/\$\{([^}!.]+)[^}]*\}/g)) into.add(m[1]);
      referenced(v, into);
    }
  }
  return into;
}

function dropImpliedDependsOn(resource) {
  if (!resource.DependsOn) return;
  const implied = referenced(resource.Properties);
  const kept = [].concat(resource.DependsOn).filter((d) => !implied.has(d));
  if (kept.length) resource.DependsOn = kept.length === 1 ? kept[0] : kept;
  else delete resource.DependsOn;
}

function deleteLogGroupWithTheStack(resource) {
  if (resource.Type !== 'AWS::Logs::LogGroup') return;
  resource.DeletionPolicy ??= 'Delete';
  resource.UpdateReplacePolicy ??= 'Delete';
}

class TidyTemplate {
  constructor(serverless) {
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => {
        for (const resource of Object.values(serverless.service.provider.compiledCloudFormationTemplate.Resources ?? {})) {
          dropImpliedDependsOn(resource);
          deleteLogGroupWithTheStack(resource);
        }
      },
    };
  }
}
module.exports = TidyTemplate;
