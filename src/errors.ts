import type { ZodError } from 'zod';

/** Bad input from a user (world file, config, event file, arguments): exit 2 with this message, never a stack trace. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** "at eks.clusters[0].resourcesVpcConfig.subnetIds: Expected array, received string" — the path of every bad field. */
export function formatZodError(err: ZodError, max = 5): string {
  const parts = err.issues.slice(0, max).map((i) => {
    const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : String(p)), '');
    return `at ${path || '(root)'}: ${i.message}`;
  });
  if (err.issues.length > max) parts.push(`…and ${err.issues.length - max} more`);
  return parts.join('; ');
}
