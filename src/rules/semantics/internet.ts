import { cidrSetsOf, covers, differenceSets, formatAddress, intersection, type AddressSet, type AddressSets, type Cidr, type Family } from './net';

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

const PUBLIC_SPACE: Readonly<AddressSets> = differenceSets(cidrSetsOf(['0.0.0.0/0', PUBLIC_V6]), cidrSetsOf([...NOT_PUBLIC_V4, ...NOT_PUBLIC_V6]));

/** The public addresses of a set. */
function publicPart(set: AddressSet, family: Family): AddressSet {
  return intersection(set, PUBLIC_SPACE[family]);
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
function familyVerdict(set: AddressSet, family: Family, policy: InternetPolicy): string | undefined {
  if (PUBLIC_SPACE[family].every(([s, e]) => covers(set, s, e))) return `every public ${familyName(family)} address`;
  const prefix = family === 4 ? policy.ipv4 : policy.ipv6;
  const limit = 1n << BigInt(BITS[family] - prefix);
  const wide = publicPart(set, family).find(([s, e]) => e - s + 1n > limit);
  return wide ? `public range ${formatAddress(family, wide[0])}-${formatAddress(family, wide[1])}, wider than a /${prefix}` : undefined;
}

/** "every public IPv4 address" (and the IPv6 verdict too when both families are open); undefined when neither is. */
export function internetVerdict(sets: AddressSets, policy: InternetPolicy): string | undefined {
  const verdicts = ([4, 6] as const).map((f) => familyVerdict(sets[f], f, policy)).filter((v): v is string => v !== undefined);
  return verdicts.length ? verdicts.join(' and ') : undefined;
}

/** The verdict for a list of CIDR strings (malformed ones are ignored: they admit nothing). */
export function cidrsVerdict(cidrs: readonly string[], policy: InternetPolicy): string | undefined {
  return internetVerdict(cidrSetsOf(cidrs), policy);
}

/**
 * Which of several contributions (CIDRs, permissions, security groups) make a union the internet: those that do it alone;
 * else those it cannot do without; else every contribution holding public addresses. `alone` says which case it was.
 */
export function culprits<T>(items: readonly T[], setOf: (xs: readonly T[]) => AddressSets, policy: InternetPolicy): { culprits: T[]; alone: boolean } {
  const alone = items.filter((x) => internetVerdict(setOf([x]), policy));
  if (alone.length) return { culprits: alone, alone: true };
  const needed = items.filter((x) => !internetVerdict(setOf(items.filter((y) => y !== x)), policy));
  if (needed.length) return { culprits: needed, alone: false };
  const holdsPublic = (sets: AddressSets) => publicPart(sets[4], 4).length > 0 || publicPart(sets[6], 6).length > 0;
  return { culprits: items.filter((x) => holdsPublic(setOf([x]))), alone: false };
}
