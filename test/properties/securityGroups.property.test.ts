import fc from 'fast-check';
import type { IpPermission } from '@aws-sdk/client-ec2';
import { allow, check, clusterView, config, sg } from '../rules/fixtures';

/**
 * Security group evaluation on the union of the groups on one network interface, against a model: with the width test
 * off, the internet is reached iff the sources admitting a slice of traffic cover every /3 of the IPv4 space below
 * 224.0.0.0 (224/3 holds no public address). Sources are /1 to /3 pieces of the space, plus private CIDRs that never
 * count; ports come from a small range so the model can try each one.
 */
const policy = config({ internetPrefix: { ipv4: 0, ipv6: 0 } });
const piece = fc.integer({ min: 1, max: 3 }).chain((prefix) => fc.integer({ min: 0, max: 2 ** prefix - 1 }).map((block) => ({ prefix, block })));
const pieceText = (p: { prefix: number; block: number }) => `${(p.block << (8 - p.prefix)) & 0xff}.0.0.0/${p.prefix}`;
const blocksOf = (p: { prefix: number; block: number }) => Array.from({ length: 2 ** (3 - p.prefix) }, (_, i) => (p.block << (3 - p.prefix)) + i);

interface Perm {
  protocol: 'tcp' | 'udp' | '-1';
  ports: [number, number];
  pieces: { prefix: number; block: number }[];
  private: boolean;
}
const perm = fc.record({
  protocol: fc.constantFrom<Perm['protocol']>('tcp', 'tcp', 'udp', '-1'),
  ports: fc.tuple(fc.integer({ min: 20, max: 25 }), fc.integer({ min: 0, max: 3 })).map(([from, w]): [number, number] => [from, Math.min(25, from + w)]),
  pieces: fc.array(piece, { maxLength: 3 }),
  private: fc.boolean(),
});

const toPermission = (p: Perm): IpPermission =>
  allow(p.protocol, p.protocol === '-1' ? 'all' : p.ports, ...p.pieces.map(pieceText), ...(p.private ? ['10.0.0.0/8'] : []));
const admits = (p: Perm, proto: 'tcp' | 'udp', port: number) => p.protocol === '-1' || (p.protocol === proto && p.ports[0] <= port && port <= p.ports[1]);
const internet = (perms: Perm[]) => {
  const covered = new Set(perms.flatMap((p) => p.pieces.flatMap(blocksOf)));
  return [0, 1, 2, 3, 4, 5, 6].every((b) => covered.has(b));
};

/** Groups sg-0..sg-n, each with its permissions, all on one network interface. */
const groups = fc.array(fc.array(perm, { maxLength: 3 }), { minLength: 1, maxLength: 4 });
const viewOf = (gs: Perm[][], shared = true) =>
  clusterView({
    securityGroups: gs.map((ps, i) => sg(`sg-${i}`, ps.map(toPermission))),
    attachments: shared ? [{ on: ['node group ng-1'], groupIds: gs.map((_, i) => `sg-${i}`) }] : [],
  });
const fired = (ruleId: string, gs: Perm[][], shared = true) => check(ruleId, viewOf(gs, shared), policy).map((f) => f.resourceId);

describe('security groups on one network interface (property-based)', () => {
  it('no-internet-ssh fires iff the union of the permissions admitting TCP 22 covers the public space', () => {
    fc.assert(
      fc.property(groups, (gs) => {
        const model = internet(gs.flat().filter((p) => admits(p, 'tcp', 22)));
        return fired('no-internet-ssh', gs).length > 0 === model;
      }),
      { numRuns: 400 },
    );
  });

  it('no-internet-ingress fires iff some other port is open to the internet, leaving SSH permissions to no-internet-ssh', () => {
    fc.assert(
      fc.property(groups, (gs) => {
        const all = gs.flat();
        const sshOpen = internet(all.filter((p) => admits(p, 'tcp', 22)));
        const usable = sshOpen ? all.filter((p) => !admits(p, 'tcp', 22)) : all;
        const probes: ['tcp' | 'udp', number][] = [
          ...[0, 20, 21, 23, 24, 25, 26].map((port): ['tcp', number] => ['tcp', port]),
          ...[0, 20, 21, 22, 23, 24, 25, 26].map((port): ['udp', number] => ['udp', port]),
        ];
        const model = probes.some(([proto, port]) => internet(usable.filter((p) => admits(p, proto, port))));
        return fired('no-internet-ingress', gs).length > 0 === model;
      }),
      { numRuns: 400 },
    );
  });

  it('how permissions are spread over the groups of one interface never changes whether it fires', () => {
    fc.assert(
      fc.property(groups, fc.nat(), (gs, seed) => {
        const all = gs.flat();
        const reshuffled: Perm[][] = gs.map(() => []);
        all.forEach((p, i) => reshuffled[(i * 7 + seed) % reshuffled.length].push(p));
        return (
          fired('no-internet-ssh', gs).length > 0 === fired('no-internet-ssh', reshuffled).length > 0 &&
          fired('no-internet-ingress', gs).length > 0 === fired('no-internet-ingress', reshuffled).length > 0
        );
      }),
      { numRuns: 300 },
    );
  });

  it('the finding goes only on groups whose sources reach the public space; groups that never share an interface are judged alone', () => {
    fc.assert(
      fc.property(groups, (gs) => {
        const carriers = fired('no-internet-ssh', gs);
        const contributes = (i: number) => gs[i].some((p) => admits(p, 'tcp', 22) && p.pieces.length > 0);
        const alone = fired('no-internet-ssh', gs, false);
        const aloneModel = gs.map((ps, i) => (internet(ps.filter((p) => admits(p, 'tcp', 22))) ? `sg-${i}` : '')).filter(Boolean);
        return carriers.every((id) => contributes(Number(id.slice(3)))) && JSON.stringify(alone) === JSON.stringify(aloneModel);
      }),
      { numRuns: 300 },
    );
  });
});
