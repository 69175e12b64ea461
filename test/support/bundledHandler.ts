import { execFileSync } from 'node:child_process';
import type { Context } from 'aws-lambda';

/**
 * A deployed bundle (dist/handlers/<name>.js) run in a fresh `node` per invocation, as in Lambda (and outside jest's
 * module sandbox), with `env` as the function's environment; its log lines are kept out of the test output.
 */
export function bundledHandler(bundle: string, env: NodeJS.ProcessEnv = process.env): (event: unknown, context: Context) => Promise<unknown> {
  const script = `const { event, context } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    require(${JSON.stringify(bundle)}).handler(event, { ...context, getRemainingTimeInMillis: () => 60000 })
    .then((r) => console.log('RESULT ' + JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
  return async (event, context) => {
    const out = execFileSync(process.execPath, ['-e', script], { input: JSON.stringify({ event, context }), env, stdio: 'pipe' }).toString();
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    return JSON.parse(line!.slice('RESULT '.length));
  };
}
