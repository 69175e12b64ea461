import { z } from 'zod';
import { SEVERITIES } from './findings/finding';
import { formatAddress, parseCidr } from './rules/semantics/net';

/**
 * The shape of the configuration and the types the rules, the engine and the findings read. The rule ids an override
 * or a suppression may name are given by the caller (config.ts passes the catalog's), so the rules can import `Config`
 * without this module importing the catalog that imports them.
 */

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

/** The oldest Kubernetes version EKS keeps in standard support after 2026-12-02, when 1.34's ends (1.35's: 2027-03-27). */
const DEFAULT_MINIMUM_KUBERNETES_VERSION = '1.35';

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A real calendar date or date-time in ISO 8601 (Date.parse alone takes "2027", "March 7" and rolls 2027-02-30 into March). */
function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  return !!m && !Number.isNaN(Date.parse(s)) && new Date(`${m[1]}T00:00:00Z`).toISOString().startsWith(m[1]);
}

/** The config schema, overrides and suppressions limited to `ruleIds`: naming anything else would silently do nothing. */
export function configSchema(ruleIds: readonly string[]) {
  const ruleId = z.string().superRefine((id, ctx) => {
    if (!ruleIds.includes(id)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown rule id "${id}" (eks-drift rules lists them)` });
  });

  const suppression = z
    .object({
      rule: ruleId,
      cluster: z.string().min(1).optional(),
      resource: z.string().min(1).optional(),
      reason: z.string().min(1),
      /** ISO date or date-time; the suppression ends at that instant, at most MAX_SUPPRESSION_DAYS (config.ts) ahead. */
      expires: z.string().refine(isIsoDate, 'must be an ISO date such as 2027-01-31 or date-time such as 2027-01-31T18:00:00Z'),
    })
    .strict();

  return z
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
      /**
       * The oldest Kubernetes minor version accepted when EKS's version calendar (DescribeClusterVersions) cannot be
       * read or does not list the cluster's version (`kubernetes-version-supported`). Keep it at the oldest version in
       * standard support: it goes stale as the calendar moves, the calendar does not.
       */
      minimumKubernetesVersion: z
        .string()
        .regex(/^[1-9]\d*\.(0|[1-9]\d*)$/, 'must be a Kubernetes minor version such as "1.35"')
        .default(DEFAULT_MINIMUM_KUBERNETES_VERSION),
      /** Per-rule overrides. */
      rules: z.record(ruleId, z.object({ severity: z.enum(SEVERITIES).optional(), enabled: z.boolean().optional() }).strict()).default({}),
      suppressions: z.array(suppression).default([]),
    })
    .strict();
}

export type Config = z.infer<ReturnType<typeof configSchema>>;
export type Suppression = Config['suppressions'][number];
