'use strict';
/**
 * Tidies the packaged CloudFormation template so cfn-lint passes without exceptions: osls adds `DependsOn: <role>`
 * to every function whose `role:` names a stack resource, next to `Role: !GetAtt <role>.Arn`, which already orders
 * them (cfn-lint W3005). A DependsOn entry that the resource's own Ref/GetAtt/Sub already implies is dropped;
 * any other stays.
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

function dropImpliedDependsOn(template) {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (!resource.DependsOn) continue;
    const implied = referenced(resource.Properties);
    const kept = [].concat(resource.DependsOn).filter((d) => !implied.has(d));
    if (kept.length) resource.DependsOn = kept.length === 1 ? kept[0] : kept;
    else delete resource.DependsOn;
  }
}

class TidyTemplate {
  constructor(serverless) {
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => dropImpliedDependsOn(serverless.service.provider.compiledCloudFormationTemplate),
    };
  }
}
module.exports = TidyTemplate;
module.exports.dropImpliedDependsOn = dropImpliedDependsOn;
