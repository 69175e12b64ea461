import { addRange, cidrContains, cidrSetsOf, covers, describePermission, formatAddress, naclAdmits, normalizeProtocol, parseCidr, permissionAdmits } from '../../../src/rules/semantics/net';
import { cidrsVerdict } from '../../../src/rules/semantics/internet';
import { internetRoutes } from '../../../src/rules/semantics/routes';
import { allow, nacl, naclIn, naclOut, prefixList, route, routeTable } from '../fixtures';

describe('protocols and port ranges', () => {
  it.each([
    ['-1', 'all'],
    ['all', 'all'],
    ['6', 'tcp'],
    ['tcp', 'tcp'],
    ['TCP', 'tcp'],
    ['17', 'udp'],
    ['1', 'icmp'],
    ['58', 'icmpv6'],
    ['50', '50'],
  ])('protocol %s is %s', (p, n) => expect(normalizeProtocol(p)).toBe(n));

  it.each([
    ['tcp 22', allow('tcp', 22), true],
    ['tcp 0-65535', allow('tcp', [0, 65535]), true],
    ['tcp 20-25', allow('tcp', [20, 25]), true],
    ['tcp 23-80', allow('tcp', [23, 80]), false],
    ['tcp 21', allow('tcp', 21), false],
    ['"6" 22', allow('6', 22), true],
    ['all traffic (-1)', allow('-1', 'all'), true],
    ['udp 22', allow('udp', 22), false],
    ['icmp', allow('icmp', [-1, -1]), false],
  ])('%s admits TCP 22: %s', (_n, perm, expected) => expect(permissionAdmits(perm, 'tcp', 22)).toBe(expected));

  it('describes permissions for messages', () => {
    expect(describePermission(allow('-1', 'all'))).toBe('all traffic');
    expect(describePermission(allow('6', [20, 25]))).toBe('tcp 20-25');
    expect(describePermission(allow('tcp', 443))).toBe('tcp 443');
    expect(describePermission(allow('tcp', [0, 65535]))).toBe('tcp all ports');
  });
});

describe('what counts as the internet', () => {
  const policy = { ipv4: 16, ipv6: 32 };
  it.each([
    [['0.0.0.0/0'], 'every public IPv4 address'],
    [['0.0.0.0/1', '128.0.0.0/1'], 'every public IPv4 address'],
    [['::/0'], 'every public IPv6 address'],
    [['2000::/3'], 'every public IPv6 address'],
    [['0.0.0.0/0', '::/0'], 'every public IPv4 address and every public IPv6 address'],
    [['52.0.0.0/15'], 'public range 52.0.0.0-52.1.255.255, wider than a /16'],
    [['52.0.0.0/16', '52.1.0.0/16'], 'public range 52.0.0.0-52.1.255.255, wider than a /16'],
    [['9.0.0.0/8', '11.0.0.0/8'], 'public range 9.0.0.0-9.255.255.255, wider than a /16'],
  ])('%j is the internet: %s', (cidrs, why) => expect(cidrsVerdict(cidrs, policy)).toBe(why));

  it.each([
    [['52.0.0.0/16']],
    [['52.0.0.0/16', '52.2.0.0/16']],
    [['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8']],
    [['fc00::/7', 'fe80::/10', 'ff00::/8', '2001:db8::/32']],
    [['8000::/1']],
    [['not-a-cidr']],
  ])('%j is not the internet', (cidrs) => expect(cidrsVerdict(cidrs, policy)).toBeUndefined());

  it('with the width test off (prefix 0) only covering every public address counts', () => {
    expect(cidrsVerdict(['0.0.0.0/1'], { ipv4: 0, ipv6: 0 })).toBeUndefined();
    expect(cidrsVerdict(['0.0.0.0/1', '128.0.0.0/1'], { ipv4: 0, ipv6: 0 })).toBe('every public IPv4 address');
    // Every public address without the private ranges is still everything that matters.
    const allButPrivate = ['0.0.0.0/5', '8.0.0.0/7', '11.0.0.0/8', '12.0.0.0/6', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/2', '128.0.0.0/1'];
    expect(cidrsVerdict(allButPrivate, { ipv4: 0, ipv6: 0 })).toBe('every public IPv4 address');
  });
});

describe('address sets', () => {
  it('merge overlapping and adjacent ranges', () => {
    expect(addRange([[0n, 4n], [10n, 12n]], 5n, 9n)).toEqual([[0n, 12n]]);
    expect(addRange([[0n, 4n]], 6n, 9n)).toEqual([[0n, 4n], [6n, 9n]]);
    expect(cidrSetsOf(['0.0.0.0/1', '128.0.0.0/1'])[4]).toEqual([[0n, (1n << 32n) - 1n]]);
  });
  it('cover a range only when nothing is missing', () => {
    expect(covers([[0n, 4n], [6n, 9n]], 0n, 9n)).toBe(false);
    expect(covers([[0n, 9n]], 2n, 5n)).toBe(true);
  });
});

describe('CIDR arithmetic', () => {
  it('parses IPv4 and IPv6 and normalises host bits', () => {
    expect(parseCidr('10.20.3.4/16')).toMatchObject({ family: 4, prefix: 16, start: BigInt(0x0a140000) });
    expect(parseCidr('2001:db8::/32')).toMatchObject({ family: 6, prefix: 32 });
    expect(parseCidr('::ffff:10.0.0.1/128')).toMatchObject({ family: 6, prefix: 128 });
    expect(parseCidr('300.0.0.0/8')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('nonsense')).toBeUndefined();
  });
  it('contains', () => {
    expect(cidrContains('10.20.0.0/16', '10.20.5.0/24')).toBe(true);
    expect(cidrContains('10.20.0.0/16', '10.20.0.0/16')).toBe(true);
    expect(cidrContains('10.20.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrContains('10.20.0.0/16', '10.21.0.1/32')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:1::/48')).toBe(true);
    expect(cidrContains('0.0.0.0/0', '::/0')).toBe(false);
  });
  it('formats addresses', () => {
    expect(formatAddress(4, BigInt(0x0a140001))).toBe('10.20.0.1');
    expect(formatAddress(6, 0n)).toBe('::');
    expect(formatAddress(6, parseCidr('2001:db8::1')!.start)).toBe('2001:db8::1');
  });
});

describe('network ACL evaluation (first match in rule-number order)', () => {
  const ssh = (acl: ReturnType<typeof nacl>, allowed: string[] = []) => naclAdmits(acl, 'tcp', 22, allowed);

  it('the default deny (32767) alone lets nothing in', () => {
    expect(ssh(nacl('acl-1')).admitted).toBe(false);
  });
  it('an ALLOW all from 0.0.0.0/0 lets SSH in', () => {
    const v = ssh(nacl('acl-1', naclIn(100, 'allow', '-1', 'all', '0.0.0.0/0')));
    expect(v).toMatchObject({ admitted: true, entry: { RuleNumber: 100 }, exampleSource: '0.0.0.0' });
  });
  it('an earlier DENY 22 shadows a later ALLOW all', () => {
    const acl = nacl('acl-1', naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'));
    expect(ssh(acl).admitted).toBe(false);
  });
  it('an earlier ALLOW beats a later DENY (entries listed out of order)', () => {
    const acl = nacl('acl-1', naclIn(200, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(100, 'allow', '6', [0, 65535], '0.0.0.0/0'));
    expect(ssh(acl)).toMatchObject({ admitted: true, entry: { RuleNumber: 100 } });
  });
  it('a DENY of only part of the space leaves the rest exposed', () => {
    const acl = nacl('acl-1', naclIn(100, 'deny', '6', [22, 22], '10.0.0.0/8'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'));
    expect(ssh(acl)).toMatchObject({ admitted: true, entry: { RuleNumber: 200 }, exampleSource: '0.0.0.0' });
  });
  it('IPv4 denies do not cover IPv6: ALLOW all from ::/0 lets SSH in', () => {
    const acl = nacl('acl-1', naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'), naclIn(201, 'allow', '-1', 'all', '::/0'));
    expect(ssh(acl)).toMatchObject({ admitted: true, entry: { RuleNumber: 201 }, exampleSource: '::' });
  });
  it('a port range not covering 22 does not match; UDP does not match', () => {
    const acl = nacl('acl-1', naclIn(100, 'allow', '6', [23, 80], '0.0.0.0/0'), naclIn(110, 'allow', '17', [22, 22], '0.0.0.0/0'));
    expect(ssh(acl).admitted).toBe(false);
  });
  it('egress entries are ignored', () => {
    expect(ssh(nacl('acl-1', naclOut(100, 'allow', '0.0.0.0/0'))).admitted).toBe(false);
  });
  it('ALLOW from the bastion CIDR only is fine; a wider ALLOW is not', () => {
    const bastionOnly = nacl('acl-1', naclIn(90, 'allow', '6', [22, 22], '10.20.0.0/16'), naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'));
    expect(ssh(bastionOnly, ['10.20.0.0/16']).admitted).toBe(false);
    expect(ssh(bastionOnly, []).admitted).toBe(true);
    const wider = nacl('acl-1', naclIn(90, 'allow', '6', [22, 22], '10.0.0.0/8'), naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'));
    expect(ssh(wider, ['10.20.0.0/16'])).toMatchObject({ admitted: true, entry: { RuleNumber: 90 }, exampleSource: '10.0.0.0' });
  });
  it('accepts protocol "6" and "tcp" and string rule actions in any case', () => {
    const acl = nacl('acl-1', { ...naclIn(100, 'allow', 'tcp', [22, 22], '0.0.0.0/0'), RuleAction: 'ALLOW' as 'allow' });
    expect(ssh(acl).admitted).toBe(true);
  });
});

describe('routes to an internet gateway (longest prefix match)', () => {
  const policy = { ipv4: 16, ipv6: 32 };
  const open = (...routes: ReturnType<typeof route>[]) => internetRoutes(routeTable('rtb-1', ...routes), [], policy)?.routes.map((r) => r.destination);
  it.each([
    ['0.0.0.0/0 → igw', [route('0.0.0.0/0', 'igw-1')], ['0.0.0.0/0']],
    ['::/0 → igw', [route('::/0', 'igw-1')], ['::/0']],
    ['0.0.0.0/1 + 128.0.0.0/1 → igw', [route('0.0.0.0/1', 'igw-1'), route('128.0.0.0/1', 'igw-1')], ['0.0.0.0/1', '128.0.0.0/1']],
    ['a public /15 → igw', [route('52.0.0.0/15', 'igw-1')], ['52.0.0.0/15']],
    ['0.0.0.0/0 → nat', [route('0.0.0.0/0', 'nat-1')], undefined],
    ['0.0.0.0/0 → vgw', [route('0.0.0.0/0', 'vgw-1')], undefined],
    ['::/0 → egress-only igw', [route('::/0', 'eigw-1')], undefined],
    ['blackhole igw route', [route('0.0.0.0/0', 'igw-1', 'blackhole')], undefined],
    ['a narrow route to igw', [route('203.0.113.0/24', 'igw-1')], undefined],
    ['igw default shadowed by NAT halves', [route('0.0.0.0/0', 'igw-1'), route('0.0.0.0/1', 'nat-1'), route('128.0.0.0/1', 'nat-1')], undefined],
    ['igw default with one NAT half', [route('0.0.0.0/0', 'igw-1'), route('0.0.0.0/1', 'nat-1')], ['0.0.0.0/0']],
  ])('%s', (_n, routes, expected) => expect(open(...routes)).toEqual(expected));
  it('local routes never count', () => expect(open()).toBeUndefined());
  it('a prefix-list destination counts by its entries; an unreadable one is not evaluated', () => {
    const table = { ...routeTable('rtb-1'), Routes: [{ DestinationPrefixListId: 'pl-1', GatewayId: 'igw-1', State: 'active' as const }] };
    expect(internetRoutes(table, [prefixList('pl-1', 'all', ['0.0.0.0/1', '128.0.0.0/1'])], policy)?.verdict).toBe('every public IPv4 address');
    expect(internetRoutes(table, [prefixList('pl-1', 'aws', ['52.94.0.0/22'])], policy)).toBeUndefined();
    expect(() => internetRoutes(table, [{ prefixListId: 'pl-1', entries: [], unreadable: 'AccessDenied' }], policy)).toThrow(/prefix list pl-1 referenced by route table rtb-1 could not be read: AccessDenied/);
  });
});
