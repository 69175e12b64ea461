'use strict';
// Makes `serverless package` / `serverless deploy` build the bundles first, so a deploy never ships stale code.
const { execFileSync } = require('node:child_process');

class BuildBundles {
  constructor(serverless) {
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', cwd: serverless.config.servicePath }),
    };
  }
}
module.exports = BuildBundles;
