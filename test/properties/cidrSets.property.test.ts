import fc from 'fast-check';
import { cidrsVerdict } from '../../src/rules/semantics/internet';
import { cidrSetsOf, covers, formatAddress, type AddressSet } from '../../src/rules/semantics/net';

/**
 * CIDR set coverage: the union of random CIDRs, computed with interval arithmetic, against a brute-force model that
 * enumerates every address (small prefixes) or every block (the whole IPv4 space at /3 and /5 granularity).
 */
const WINDOW_BITS = 11; // 2048 addresses: 10.20.0.0/21
const BASE = (10 << 24) | (20 << 16);

/** A CIDR inside the window: prefix /21 to /32, aligned. */
const windowCidr = fc.integer({ min: 32 - WINDOW_BITS, max: 32 }).chain((prefix) =>
  fc.integer({ min: 0, max: 2 ** (prefix - (32 - WINDOW_BITS)) - 1 }).map((block) => {
    const size = 2 ** (32 - prefix);
    return { start: block * size, size, text: `${formatAddress(4, BigInt(BASE + block * size))}/${prefix}` };
  }),
);

const inSet = (set: AddressSet, v: bigint) => set.some(([s, e]) => s <= v && v <= e);

describe('CIDR set coverage (property-based)', () => {
  it('the union holds exactly the addresses some CIDR holds, and covers the window iff every address is held', () => {
    fc.assert(
      fc.property(fc.array(windowCidr, { maxLength: 12 }), (cidrs) => {
        const brute = new Array<boolean>(2 ** WINDOW_BITS).fill(false);
        for (const c of cidrs) for (let a = c.start; a < c.start + c.size; a++) brute[a] = true;
        const set = cidrSetsOf(cidrs.map((c) => c.text))[4];
        for (let a = 0; a < brute.length; a++) if (inSet(set, BigInt(BASE + a)) !== brute[a]) return false;
        // Sorted, disjoint and merged: no two intervals touch.
        for (let i = 1; i < set.length; i++) if (!(set[i - 1][1] + 1n < set[i][0])) return false;
        return covers(set, BigInt(BASE), BigInt(BASE + 2 ** WINDOW_BITS - 1)) === brute.every(Boolean);
      }),
      { numRuns: 300 },
    );
  });

  it('pieces of the IPv4 space are the internet iff they cover every /5 block below 224.0.0.0 (224/3 is multicast and reserved)', () => {
    // Every /5 block below 224/3 holds public addresses; none of 224/3 is public: the model needs nothing else.
    const piece = fc.integer({ min: 1, max: 5 }).chain((prefix) =>
      fc.integer({ min: 0, max: 2 ** prefix - 1 }).map((block) => ({ prefix, block, text: `${formatAddress(4, BigInt(block) << BigInt(32 - prefix))}/${prefix}` })),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        const blocks = new Array<boolean>(32).fill(false); // /5 blocks
        for (const p of pieces) for (let b = p.block << (5 - p.prefix); b < (p.block + 1) << (5 - p.prefix); b++) blocks[b] = true;
        const model = blocks.slice(0, 28).every(Boolean);
        const verdict = cidrsVerdict(pieces.map((p) => p.text), { ipv4: 0, ipv6: 0 });
        return (verdict === 'every public IPv4 address') === model;
      }),
      { numRuns: 500 },
    );
  });

  it('a public run wider than the prefix is the internet; splitting a CIDR into its halves never changes the verdict', () => {
    const cidr = fc.tuple(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([prefix, addr]) => {
      const start = (BigInt(addr) >> BigInt(32 - prefix)) << BigInt(32 - prefix);
      return { prefix, start, text: `${formatAddress(4, start)}/${prefix}` };
    });
    fc.assert(
      fc.property(fc.array(cidr, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 32 }), fc.nat(5), (cidrs, ipv4, which) => {
        const policy = { ipv4, ipv6: 32 };
        const c = cidrs[which % cidrs.length];
        const half = 1n << BigInt(32 - c.prefix - 1);
        const split = [...cidrs.filter((x) => x !== c), { text: `${formatAddress(4, c.start)}/${c.prefix + 1}` }, { text: `${formatAddress(4, c.start + half)}/${c.prefix + 1}` }];
        return cidrsVerdict(cidrs.map((x) => x.text), policy) === cidrsVerdict(split.map((x) => x.text), policy);
      }),
      { numRuns: 300 },
    );
  });
});
