// Bundles every Lambda handler and the CLI with esbuild: one minified file each, AWS SDK included
// (the runtime's own SDK is a different, untested version, and bundling loads faster).
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  legalComments: 'none',
  logLevel: 'warning',
};

const handlers = readdirSync('handlers').filter((f) => f.endsWith('.ts'));
await Promise.all([
  ...handlers.map((f) =>
    build({ ...common, entryPoints: [`handlers/${f}`], outfile: `dist/handlers/${basename(f, '.ts')}.js` }),
  ),
  build({ ...common, minify: false, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' }),
]);
