import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SEVERITIES } from './findings/finding';
import { formatZodError, InputError } from './errors';
import { ruleIds } from './rules/engine/catalog';
import { formatAddress, parseCidr } from './rules/semantics/net';

/** The longest a suppression may run: an accepted risk is looked at again at least once a year. */
export const MAX_SUPPRESSION_DAYS = 366;
const DAY_MS = 86_400_000;

/** Why `text` is not a CIDR the rules can use, or undefined: parsed by the rules' own parser, so what passes here is what they see. */
function cidrProblem(text: string): string | undefined {
  const [address, prefix] = text.split('/');
  if (prefix === undefined) return 'no prefix length';
  const c = parseCidr(text);
  if (!c) return 'not an IPv4 or IPv6 CIDR';
  if (parseCidr(address)?.start !== c.start) return `host bits set: the network is ${formatAddress(c.family, c.start)}/${c.prefix}`;
  return undefined;
}

const cidr = z.string().superRefine((s, ctx) => {
  const why = cidrProblem(s);
  if (why) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${why}: "${s}" (a CIDR such as 10.0.0.0/16 or 2001:db8::/32)` });
});

/** A rule id of the catalog: an override or suppression naming anything else would silently do nothing. */
const ruleId = z.string().superRefine((id, ctx) => {
  if (!ruleIds().includes(id)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown rule id "${id}" (eks-drift rules lists them)` });
});

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A real calendar date or date-time in ISO 8601 (Date.parse alone takes "2027", "March 7" and rolls 2027-02-30 into March). */
function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  return !!m && !Number.isNaN(Date.parse(s)) && new Date(`${m[1]}T00:00:00Z`).toISOString().startsWith(m[1]);
}

const suppression = z
  .object({
    rule: ruleId,
    cluster: z.string().min(1).optional(),
    resource: z.string().min(1).optional(),
    reason: z.string().min(1),
    /** ISO date or date-time; the suppression ends at that instant, at most MAX_SUPPRESSION_DAYS ahead. */
    expires: z.string().refine(isIsoDate, 'must be an ISO date such as 2027-01-31 or date-time such as 2027-01-31T18:00:00Z'),
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
    rules: z.record(ruleId, z.object({ severity: z.enum(SEVERITIES).optional(), enabled: z.boolean().optional() }).strict()).default({}),
    suppressions: z.array(suppression).default([]),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type Suppression = z.infer<typeof suppression>;

export const defaultConfig: Config = configSchema.parse({});

/**
 * Parses a config object; errors name the path of the bad field. An expired suppression is accepted (it no longer
 * applies): rejecting it would stop the detector the day it expires.
 */
export function parseConfig(raw: unknown, source = 'config', now = new Date()): Config {
  const bounded = configSchema.superRefine((c, ctx) =>
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
  return parseConfig(raw, path ?? 'config', now);
}
