'use strict';
// Makes `serverless package` / `serverless deploy` build the bundles first, so a deploy never ships stale code.
// It also gives the log groups osls generates an explicit deletion policy (cfn-lint I3011): they go with the stack,
// because they are named after the functions and a retained one would make the next deploy fail on its name.
const { execFileSync } = require('node:child_process');

class BuildBundles {
  constructor(serverless) {
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', cwd: serverless.config.servicePath }),
      'before:package:finalize': () => {
        const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources;
        for (const r of Object.values(resources)) {
          if (r.Type !== 'AWS::Logs::LogGroup') continue;
          r.DeletionPolicy ??= 'Delete';
          r.UpdateReplacePolicy ??= 'Delete';
        }
      },
    };
  }
}
module.exports = BuildBundles;
