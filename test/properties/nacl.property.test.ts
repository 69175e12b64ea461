import fc from 'fast-check';
import type { NetworkAclEntry } from '@aws-sdk/client-ec2';
import { formatAddress, naclAdmits, parseCidr } from '../../src/rules/semantics/net';
import { nacl, naclIn } from '../rules/fixtures';

/**
 * Network ACL evaluation against a reference model: for every source address, the first inbound entry (lowest rule
 * number) whose protocol, ports and CIDR match decides; nothing matching denies. Entries use CIDRs inside one /24
 * window or 0.0.0.0/0, so one address outside the window stands for all the others.
 */
const BASE = 198 * 2 ** 24 + 51 * 2 ** 16 + 100 * 2 ** 8;
const OUTSIDE = BigInt(203 * 2 ** 24 + 113 * 2 ** 8 + 9);
const windowCidr = fc.integer({ min: 24, max: 32 }).chain((prefix) =>
  fc.integer({ min: 0, max: 2 ** (prefix - 24) - 1 }).map((block) => `${formatAddress(4, BigInt(BASE + block * 2 ** (32 - prefix)))}/${prefix}`),
);
const entryCidr = fc.oneof({ weight: 4, arbitrary: windowCidr }, { weight: 1, arbitrary: fc.constant('0.0.0.0/0') });
const ports = fc.oneof(fc.constant<'all'>('all'), fc.tuple(fc.integer({ min: 19, max: 25 }), fc.integer({ min: 0, max: 3 })).map(([from, w]): [number, number] => [from, from + w]));
const entry = fc.record({ action: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'), protocol: fc.constantFrom('-1', '6', 'tcp', '17'), ports, cidr: entryCidr });

function matches(e: NetworkAclEntry, address: bigint): boolean {
  const proto = String(e.Protocol);
  if (proto === '17') return false;
  if (proto !== '-1' && e.PortRange && !(e.PortRange.From! <= 22 && 22 <= e.PortRange.To!)) return false;
  const c = parseCidr(e.CidrBlock ?? '')!;
  return c.start <= address && address <= c.end;
}

/** The model: is `address` let in for TCP 22? */
function admitted(entries: NetworkAclEntry[], address: bigint): boolean {
  const first = entries.filter((e) => !e.Egress && e.CidrBlock && matches(e, address)).sort((a, b) => a.RuleNumber! - b.RuleNumber!)[0];
  return !!first && String(first.RuleAction).toLowerCase() === 'allow';
}

describe('network ACL evaluation (property-based)', () => {
  it('lets SSH in from outside the allowed CIDRs exactly when the first-match model does, through an address that model admits', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 32766 }), { maxLength: 8 }).chain((numbers) => fc.tuple(fc.constant(numbers), fc.array(entry, { minLength: numbers.length, maxLength: numbers.length }))),
        fc.array(windowCidr, { maxLength: 2 }),
        ([numbers, specs], allowed) => {
          const acl = nacl('acl-1', ...specs.map((s, i) => naclIn(numbers[i], s.action, s.protocol, s.ports, s.cidr)));
          const entries = acl.Entries!;
          const allowedSets = allowed.map((a) => parseCidr(a)!);
          const isAllowed = (v: bigint) => allowedSets.some((a) => a.start <= v && v <= a.end);
          const sources = [...Array.from({ length: 256 }, (_, i) => BigInt(BASE + i)), OUTSIDE];
          const model = sources.some((v) => !isAllowed(v) && admitted(entries, v));
          const verdict = naclAdmits(acl, 'tcp', 22, allowed);
          if (verdict.admitted !== model) return false;
          if (!verdict.admitted) return true;
          const example = parseCidr(verdict.exampleSource!)!.start;
          return !isAllowed(example) && admitted(entries, example);
        },
      ),
      { numRuns: 500 },
    );
  });
});
