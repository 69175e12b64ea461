import { addRange, cidrSetsOf, covers, formatAddress, intersect, parseCidr, subtract, type AddressSet, type Cidr, type Family } from './net';

/**
 * What counts as "the internet" for a set of sources (security group permissions, endpoint CIDRs, internet-gateway
 * routes). Never a single magic CIDR: the union of everything admitted is compared with the public address space, so
 * 0.0.0.0/1 + 128.0.0.0/1 (or the same split across several permissions, groups or a prefix list) is the internet, and
 * so is one public block wider than the configured prefix. Private space (RFC 1918, RFC 6598, ULA, link-local…) never is.
 */

/** `internetPrefix` in the config: a run of public addresses wider than a /ipv4 or /ipv6 block is the internet. */
export interface InternetPolicy {
  ipv4: number;
  ipv6: number;
}

/** IANA special-purpose IPv4 space that is not globally reachable (RFC 6890 and successors). */
const NOT_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
/** IPv6: global unicast (2000::/3) is the public space, less the documentation prefixes; ULA, link-local, multicast lie outside it. */
const PUBLIC_V6 = '2000::/3';
const NOT_PUBLIC_V6 = ['2001:db8::/32', '3fff::/20'];

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function without(space: AddressSet, cidrs: string[]): AddressSet {
  return cidrs.map((c) => parseCidr(c) as Cidr).reduce((rest, c) => subtract(rest, c.start, c.end), space);
}

const v6 = parseCidr(PUBLIC_V6) as Cidr;
export const PUBLIC_SPACE: Readonly<Record<Family, AddressSet>> = {
  4: without([[0n, (1n << 32n) - 1n]], NOT_PUBLIC_V4),
  6: without([[v6.start, v6.end]], NOT_PUBLIC_V6),
};

/** The public addresses of a set. */
export function publicPart(set: AddressSet, family: Family): AddressSet {
  return PUBLIC_SPACE[family].flatMap(([s, e]) => intersect(set, s, e));
}

/** True when the CIDR holds at least one public address (a 10.0.0.0/8 source never makes anything the internet). */
export function hasPublicAddresses(cidr: Cidr): boolean {
  return publicPart([[cidr.start, cidr.end]], cidr.family).length > 0;
}

const familyName = (f: Family) => (f === 4 ? 'IPv4' : 'IPv6');

/**
 * Why the set is the internet for one family, or undefined when it is not: it covers every public address, or it holds
 * a run of public addresses wider than the policy's prefix (runs are maximal, so adjacent pieces count as one block).
 */
export function familyVerdict(set: AddressSet, family: Family, policy: InternetPolicy): string | undefined {
  if (PUBLIC_SPACE[family].every(([s, e]) => covers(set, s, e))) return `every public ${familyName(family)} address`;
  const prefix = family === 4 ? policy.ipv4 : policy.ipv6;
  const limit = 1n << BigInt(BITS[family] - prefix);
  const wide = publicPart(set, family).find(([s, e]) => e - s + 1n > limit);
  return wide ? `public range ${formatAddress(family, wide[0])}-${formatAddress(family, wide[1])}, wider than a /${prefix}` : undefined;
}

/** "every public IPv4 address" (and the IPv6 verdict too when both families are open); undefined when neither is. */
export function internetVerdict(sets: Record<Family, AddressSet>, policy: InternetPolicy): string | undefined {
  const verdicts = ([4, 6] as const).map((f) => familyVerdict(sets[f], f, policy)).filter((v): v is string => v !== undefined);
  return verdicts.length ? verdicts.join(' and ') : undefined;
}

/** The verdict for a list of CIDR strings (malformed ones are ignored: they admit nothing). */
export function cidrsVerdict(cidrs: readonly string[], policy: InternetPolicy): string | undefined {
  return internetVerdict(cidrSetsOf(cidrs), policy);
}

/** The union of two per-family sets. */
export function unionSets(a: Record<Family, AddressSet>, b: Record<Family, AddressSet>): Record<Family, AddressSet> {
  const add = (x: AddressSet, y: AddressSet) => y.reduce((acc, [s, e]) => addRange(acc, s, e), x);
  return { 4: add(a[4], b[4]), 6: add(a[6], b[6]) };
}

/**
 * Which of several contributions (CIDRs, permissions, security groups) make a union the internet: those that do it alone;
 * else those it cannot do without; else every contribution holding public addresses. `alone` says which case it was.
 */
export function culprits<T>(items: readonly T[], setOf: (xs: readonly T[]) => Record<Family, AddressSet>, policy: InternetPolicy): { culprits: T[]; alone: boolean } {
  const alone = items.filter((x) => internetVerdict(setOf([x]), policy));
  if (alone.length) return { culprits: alone, alone: true };
  const needed = items.filter((x) => !internetVerdict(setOf(items.filter((y) => y !== x)), policy));
  if (needed.length) return { culprits: needed, alone: false };
  const holdsPublic = (sets: Record<Family, AddressSet>) => publicPart(sets[4], 4).length > 0 || publicPart(sets[6], 6).length > 0;
  return { culprits: items.filter((x) => holdsPublic(setOf([x]))), alone: false };
}
