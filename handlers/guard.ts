import { guardHandlerFromEnv } from '../src/guard/handler';

let guard: ReturnType<typeof guardHandlerFromEnv> | undefined;

export const handler = async (event: unknown) => {
  guard ??= guardHandlerFromEnv(process.env);
  return guard(event);
};
