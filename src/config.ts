import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SEVERITIES } from './findings/finding';
import { formatZodError, InputError } from './errors';

const cidr = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/, 'must be a CIDR such as 10.0.0.0/16 or 2001:db8::/32');

const suppression = z
  .object({
    rule: z.string().min(1),
    cluster: z.string().min(1).optional(),
    resource: z.string().min(1).optional(),
    reason: z.string().min(1),
    /** ISO date or date-time; the suppression ends at that instant. */
    expires: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date such as 2027-01-31'),
  })
  .strict();

export const configSchema = z
  .object({
    /** Tag keys every cluster and node group must carry (`cluster-tagged`). */
    requiredTags: z.array(z.string().min(1)).default(['owner', 'environment']),
    /** Bastion / admin CIDRs from which SSH is acceptable (`nacl-blocks-ssh`). */
    allowedSshCidrs: z.array(cidr).default([]),
    /** CIDRs acceptable for a public API endpoint (`endpoint-not-public`); 0.0.0.0/0 is never acceptable. */
    allowedPublicEndpointCidrs: z.array(cidr).default([]),
    /**
     * A run of public addresses wider than a /ipv4 (IPv4) or /ipv6 (IPv6) block counts as the internet, as does any set of
     * sources covering every public address (0.0.0.0/1 + 128.0.0.0/1). 0 keeps only the second test.
     */
    internetPrefix: z
      .object({ ipv4: z.number().int().min(0).max(32), ipv6: z.number().int().min(0).max(128) })
      .strict()
      .default({ ipv4: 16, ipv6: 32 }),
    /** Per-rule overrides. */
    rules: z
      .record(z.string(), z.object({ severity: z.enum(SEVERITIES).optional(), enabled: z.boolean().optional() }).strict())
      .default({}),
    suppressions: z.array(suppression).default([]),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type Suppression = z.infer<typeof suppression>;

export const defaultConfig: Config = configSchema.parse({});

/** Parses a config object; errors name the path of the bad field. */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const r = configSchema.safeParse(raw);
  if (!r.success) throw new InputError(`${source}: ${formatZodError(r.error)}`);
  return r.data;
}

/**
 * Loads the config file, then applies environment overrides (for Lambda, where a file is awkward):
 * EKS_DRIFT_CONFIG (the whole JSON), EKS_DRIFT_REQUIRED_TAGS, EKS_DRIFT_ALLOWED_SSH_CIDRS,
 * EKS_DRIFT_ALLOWED_PUBLIC_ENDPOINT_CIDRS (comma-separated).
 */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read config ${path}: ${(e as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(`${path}: not valid JSON: ${(e as Error).message}`);
    }
  } else if (env.EKS_DRIFT_CONFIG) {
    try {
      raw = JSON.parse(env.EKS_DRIFT_CONFIG) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(`EKS_DRIFT_CONFIG: not valid JSON: ${(e as Error).message}`);
    }
  }
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
  const overrides: Record<string, unknown> = {
    requiredTags: list(env.EKS_DRIFT_REQUIRED_TAGS),
    allowedSshCidrs: list(env.EKS_DRIFT_ALLOWED_SSH_CIDRS),
    allowedPublicEndpointCidrs: list(env.EKS_DRIFT_ALLOWED_PUBLIC_ENDPOINT_CIDRS),
  };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  return parseConfig(raw, path ?? 'config');
}
