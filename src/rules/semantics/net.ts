import type { IpPermission, NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';

/**
 * Network semantics shared by the rules: protocols, port ranges, CIDR arithmetic (address sets) and network ACL
 * evaluation. Everything here is pure and works on the EC2 output shapes as AWS returns them.
 */

export type Protocol = 'all' | 'tcp' | 'udp' | 'icmp' | 'icmpv6' | string;

const PROTOCOL_NAMES: Record<string, Protocol> = { '-1': 'all', all: 'all', '6': 'tcp', tcp: 'tcp', '17': 'udp', udp: 'udp', '1': 'icmp', icmp: 'icmp', '58': 'icmpv6', icmpv6: 'icmpv6' };

/** "-1"/"all" → all, "6"/"tcp" → tcp, "17"/"udp" → udp; other protocol numbers are kept as given. */
export function normalizeProtocol(p: string | number | undefined): Protocol {
  if (p === undefined || p === null) return 'all';
  const s = String(p).trim().toLowerCase();
  return PROTOCOL_NAMES[s] ?? s;
}

/** The port range a security group permission admits; undefined bounds and -1 mean every port. */
export function permissionPortRange(perm: Pick<IpPermission, 'IpProtocol' | 'FromPort' | 'ToPort'>): { from: number; to: number } {
  const proto = normalizeProtocol(perm.IpProtocol);
  if (proto === 'all' || (proto !== 'tcp' && proto !== 'udp')) return { from: 0, to: 65535 };
  const from = perm.FromPort === undefined || perm.FromPort === null || perm.FromPort < 0 ? 0 : Number(perm.FromPort);
  const to = perm.ToPort === undefined || perm.ToPort === null || perm.ToPort < 0 ? 65535 : Number(perm.ToPort);
  return { from, to };
}

/** True when the permission admits `protocol`/`port` (all-traffic rules admit everything). */
export function permissionAdmits(perm: Pick<IpPermission, 'IpProtocol' | 'FromPort' | 'ToPort'>, protocol: 'tcp' | 'udp', port: number): boolean {
  const proto = normalizeProtocol(perm.IpProtocol);
  if (proto === 'all') return true;
  if (proto !== protocol) return false;
  const r = permissionPortRange(perm);
  return r.from <= port && port <= r.to;
}

/** "all traffic", "tcp 22", "tcp 20-25", "icmp" — for messages. */
export function describePermission(perm: Pick<IpPermission, 'IpProtocol' | 'FromPort' | 'ToPort'>): string {
  const proto = normalizeProtocol(perm.IpProtocol);
  if (proto === 'all') return 'all traffic';
  if (proto !== 'tcp' && proto !== 'udp') return proto;
  const r = permissionPortRange(perm);
  if (r.from === 0 && r.to === 65535) return `${proto} all ports`;
  return r.from === r.to ? `${proto} ${r.from}` : `${proto} ${r.from}-${r.to}`;
}

// ---------------------------------------------------------------------------------------------------------------
// CIDR arithmetic (IPv4 and IPv6 as bigint intervals)

export type Family = 4 | 6;
export interface Cidr {
  family: Family;
  start: bigint;
  end: bigint;
  prefix: number;
  text: string;
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseIpv6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  // An embedded IPv4 tail (::ffff:10.0.0.1) counts as the last two groups.
  const v4 = /(\d{1,3}(\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const n = parseIpv4(v4[1]);
    if (n === undefined) return undefined;
    tail = [n >> 16n, n & 0xffffn];
    text = text.slice(0, -v4[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const groupsNeeded = 8 - tail.length;
  if (halves.length === 1 && head.length !== groupsNeeded) return undefined;
  if (head.length + rest.length > groupsNeeded) return undefined;
  const zeros = halves.length === 2 ? groupsNeeded - head.length - rest.length : 0;
  const groups: bigint[] = [];
  for (const g of [...head, ...Array<string>(zeros).fill('0'), ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    groups.push(BigInt(parseInt(g, 16)));
  }
  groups.push(...tail);
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses "10.0.0.0/16" or "2001:db8::/32" (a bare address is a /32 or /128); undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const family: Family = addr.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const value = family === 4 ? parseIpv4(addr) : parseIpv6(addr);
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (value === undefined || !(prefix >= 0 && prefix <= bits)) return undefined;
  const hostBits = BigInt(bits - prefix);
  const start = (value >> hostBits) << hostBits;
  const end = start + (1n << hostBits) - 1n;
  return { family, start, end, prefix, text: text.trim() };
}

/** True when every address of `inner` is inside `outer` (same family only). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  return !!o && !!i && o.family === i.family && o.start <= i.start && i.end <= o.end;
}

/** True when `cidr` is inside one of `allowed`. */
export function withinAny(cidr: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => cidrContains(a, cidr));
}

/** A set of addresses of one family: sorted, disjoint, inclusive intervals. */
export type AddressSet = [bigint, bigint][];

function fullSpace(family: Family): AddressSet {
  return [[0n, family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n]];
}

function subtract(set: AddressSet, start: bigint, end: bigint): AddressSet {
  const out: AddressSet = [];
  for (const [s, e] of set) {
    if (e < start || s > end) {
      out.push([s, e]);
      continue;
    }
    if (s < start) out.push([s, start - 1n]);
    if (e > end) out.push([end + 1n, e]);
  }
  return out;
}

function intersect(set: AddressSet, start: bigint, end: bigint): AddressSet {
  const out: AddressSet = [];
  for (const [s, e] of set) {
    const a = s > start ? s : start;
    const b = e < end ? e : end;
    if (a <= b) out.push([a, b]);
  }
  return out;
}

/** Adds [start, end] to a set, merging overlapping and adjacent intervals. */
export function addRange(set: AddressSet, start: bigint, end: bigint): AddressSet {
  const out: AddressSet = [];
  let [s, e] = [start, end];
  let placed = false;
  for (const [a, b] of set) {
    if (b + 1n < s) out.push([a, b]);
    else if (e + 1n < a) {
      if (!placed) out.push([s, e]);
      placed = true;
      out.push([a, b]);
    } else {
      s = a < s ? a : s;
      e = b > e ? b : e;
    }
  }
  if (!placed) out.push([s, e]);
  return out;
}

/** The addresses in `a` or `b`. */
export function union(a: AddressSet, b: AddressSet): AddressSet {
  return b.reduce((acc, [s, e]) => addRange(acc, s, e), a);
}

/** The addresses in both `a` and `b`. */
export function intersection(a: AddressSet, b: AddressSet): AddressSet {
  return b.flatMap(([s, e]) => intersect(a, s, e));
}

/** The addresses in `a` and not in `b`. */
export function difference(a: AddressSet, b: AddressSet): AddressSet {
  return b.reduce((acc, [s, e]) => subtract(acc, s, e), a);
}

/** An address set per family. */
export type AddressSets = Record<Family, AddressSet>;

const perFamily =
  (op: (a: AddressSet, b: AddressSet) => AddressSet) =>
  (a: AddressSets, b: AddressSets): AddressSets => ({ 4: op(a[4], b[4]), 6: op(a[6], b[6]) });

export const unionSets = perFamily(union);
export const intersectionSets = perFamily(intersection);
export const differenceSets = perFamily(difference);

/** Every address of both families. */
export const allAddresses = (): AddressSets => ({ 4: fullSpace(4), 6: fullSpace(6) });

/** The addresses of several CIDRs, per family (a set may be built from pieces: 0.0.0.0/1 + 128.0.0.0/1 is everything). */
export function cidrSets(cidrs: Iterable<Cidr>): AddressSets {
  const out: AddressSets = { 4: [], 6: [] };
  for (const c of cidrs) out[c.family] = addRange(out[c.family], c.start, c.end);
  return out;
}

/** The addresses of CIDRs written as text; malformed ones admit nothing. */
export function cidrSetsOf(texts: readonly string[]): AddressSets {
  return cidrSets(texts.map(parseCidr).filter((c): c is Cidr => c !== undefined));
}

/** True when every address of [start, end] is in the set. */
export function covers(set: AddressSet, start: bigint, end: bigint): boolean {
  return difference([[start, end]], set).length === 0;
}

export function formatAddress(family: Family, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let sh = 112n; sh >= 0n; sh -= 16n) groups.push(((v >> sh) & 0xffffn).toString(16));
  // RFC 5952: the longest run (two or more) of zero groups becomes "::".
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.len < 2) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Network ACLs

export interface NaclVerdict {
  /** The ACL lets the probe in from some source outside `allowedSources`. */
  admitted: boolean;
  /** The first inbound ALLOW entry (in rule-number order) that lets such a source in. */
  entry?: NetworkAclEntry;
  /** One source address that gets through, e.g. "0.0.0.0" — makes the evidence concrete. */
  exampleSource?: string;
  /** Entries with a lower number that match the probe (they shadow the offending entry for their sources). */
  earlierMatching: NetworkAclEntry[];
}

/** True when an inbound NACL entry matches the protocol and port (Protocol "-1" = all, "6" = tcp, "17" = udp). */
function naclEntryMatches(entry: NetworkAclEntry, protocol: 'tcp' | 'udp', port: number): boolean {
  const proto = normalizeProtocol(entry.Protocol);
  if (proto === 'all') return true;
  if (proto !== protocol) return false;
  const from = entry.PortRange?.From;
  const to = entry.PortRange?.To;
  if (from === undefined || to === undefined) return true;
  return Number(from) <= port && port <= Number(to);
}

/**
 * Evaluates the inbound entries of a network ACL the way AWS does: in ascending RuleNumber, the first entry whose
 * protocol, port range and CIDR match decides; nothing matching means deny (the `*` rule 32767). Answers whether
 * any source address outside `allowedSources` is allowed in for `protocol`/`port`, and through which entry.
 */
export function naclAdmits(acl: NetworkAcl, protocol: 'tcp' | 'udp', port: number, allowedSources: readonly string[] = []): NaclVerdict {
  const inbound = (acl.Entries ?? [])
    .filter((e) => e.Egress !== true && naclEntryMatches(e, protocol, port))
    .sort((a, b) => (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0));
  const allowed = allowedSources.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const remaining = allAddresses();
  const earlier: NetworkAclEntry[] = [];
  for (const entry of inbound) {
    const cidr = parseCidr(entry.CidrBlock ?? entry.Ipv6CidrBlock ?? '');
    if (!cidr) continue;
    if (String(entry.RuleAction).toLowerCase() === 'allow') {
      let exposed = intersect(remaining[cidr.family], cidr.start, cidr.end);
      for (const a of allowed) if (a.family === cidr.family) exposed = subtract(exposed, a.start, a.end);
      if (exposed.length > 0) {
        return { admitted: true, entry, exampleSource: formatAddress(cidr.family, exposed[0][0]), earlierMatching: earlier };
      }
    }
    remaining[cidr.family] = subtract(remaining[cidr.family], cidr.start, cidr.end);
    earlier.push(entry);
  }
  return { admitted: false, earlierMatching: earlier };
}

// ---------------------------------------------------------------------------------------------------------------
// Security group permission sources

/** A permission reduced to what matters for evidence: protocol, ports and the sources given. */
export function permissionEvidence(perm: IpPermission, sources: string[]): Record<string, unknown> {
  return { IpProtocol: perm.IpProtocol, FromPort: perm.FromPort, ToPort: perm.ToPort, sources, admits: describePermission(perm) };
}
