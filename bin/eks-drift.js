#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/cli.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/cli.js')) {
    console.error('eks-drift: not built yet: run `npm run build` (npm ci / npm install run it for you).');
    process.exit(2);
  }
  throw e;
}
cli.main();
