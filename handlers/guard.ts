import { guardHandlerFromEnv } from '../src/guard/handler';
import { LambdaLogger } from '../src/lambdaLogger';

const log = new LambdaLogger();
let guard: ReturnType<typeof guardHandlerFromEnv> | undefined;

/** Built at the first invocation of a container and reused; Powertools logs and metrics around each invocation. */
export const handler = log.handler(async (event: unknown) => {
  guard ??= guardHandlerFromEnv(process.env, log);
  return guard(event);
});
