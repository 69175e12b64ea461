import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, type Config } from './configSchema';
import { formatZodError, InputError } from './errors';
import { ruleIds } from './rules/engine/catalog';

export type { Config, Suppression } from './configSchema';

/** The longest a suppression may run: an accepted risk is looked at again at least once a year. */
export const MAX_SUPPRESSION_DAYS = 366;
const DAY_MS = 86_400_000;

/** Overrides and suppressions may name the rules of the catalog. */
const schema = configSchema(ruleIds());

export const defaultConfig: Config = schema.parse({});

/**
 * Parses a config object; errors name the path of the bad field. An expired suppression is accepted (it no longer
 * applies): rejecting it would stop the detector the day it expires.
 */
export function parseConfig(raw: unknown, source = 'config', now = new Date()): Config {
  const bounded = schema.superRefine((c, ctx) =>
    c.suppressions.forEach((s, i) => {
      if (Date.parse(s.expires) - now.getTime() > MAX_SUPPRESSION_DAYS * DAY_MS) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['suppressions', i, 'expires'],
          message: `${s.expires} is more than ${MAX_SUPPRESSION_DAYS} days ahead: a suppression must be renewed at least once a year`,
        });
      }
    }),
  );
  const r = bounded.safeParse(raw);
  if (!r.success) throw new InputError(`${source}: ${formatZodError(r.error)}`);
  return r.data;
}

/**
 * Loads the config file, then applies environment overrides (for Lambda, where a file is awkward):
 * EKS_DRIFT_CONFIG (the whole JSON), EKS_DRIFT_REQUIRED_TAGS, EKS_DRIFT_ALLOWED_SSH_CIDRS,
 * EKS_DRIFT_ALLOWED_PUBLIC_ENDPOINT_CIDRS (comma-separated).
 */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env, now = new Date()): Config {
  let raw: unknown = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read config ${path}: ${(e as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new InputError(`${path}: not valid JSON: ${(e as Error).message}`);
    }
  } else if (env.EKS_DRIFT_CONFIG) {
    try {
      raw = JSON.parse(env.EKS_DRIFT_CONFIG);
    } catch (e) {
      throw new InputError(`EKS_DRIFT_CONFIG: not valid JSON: ${(e as Error).message}`);
    }
  }
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
  const overrides = Object.entries({
    requiredTags: list(env.EKS_DRIFT_REQUIRED_TAGS),
    allowedSshCidrs: list(env.EKS_DRIFT_ALLOWED_SSH_CIDRS),
    allowedPublicEndpointCidrs: list(env.EKS_DRIFT_ALLOWED_PUBLIC_ENDPOINT_CIDRS),
  }).filter(([, v]) => v !== undefined);
  // Overrides go into an object only: anything else (null, a list, a string) is left for the schema to reject.
  const merged = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw, ...Object.fromEntries(overrides) } : raw;
  return parseConfig(merged, path ?? 'config', now);
}
