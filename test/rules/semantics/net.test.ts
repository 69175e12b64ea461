import {
  cidrContains,
  describePermission,
  formatAddress,
  internetGatewayDefaultRoutes,
  internetSources,
  isInternetCidr,
  naclAdmits,
  normalizeProtocol,
  parseCidr,
  permissionAdmits,
} from '../../../src/rules/semantics/net';
import { allow, nacl, naclIn, naclOut, route, routeTable } from '../fixtures';

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

describe('internet sources of a permission', () => {
  it('reads IPv4 0.0.0.0/0 and IPv6 ::/0', () => {
    expect(internetSources(allow('tcp', 22, '0.0.0.0/0', '::/0', '10.0.0.0/8'))).toEqual(['0.0.0.0/0', '::/0']);
  });
  it('ignores security group references and prefix lists', () => {
    expect(internetSources(allow('tcp', 22, 'sg-0123', 'pl-0123'))).toEqual([]);
  });
  it('treats a narrower public CIDR as not the internet', () => {
    expect(internetSources(allow('tcp', 22, '203.0.113.7/32', '2001:db8::/32'))).toEqual([]);
    expect(isInternetCidr('0.0.0.0/1')).toBe(false);
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

describe('internet gateway default routes', () => {
  it.each([
    ['0.0.0.0/0 → igw', [route('0.0.0.0/0', 'igw-1')], 1],
    ['::/0 → igw', [route('::/0', 'igw-1')], 1],
    ['0.0.0.0/0 → nat', [route('0.0.0.0/0', 'nat-1')], 0],
    ['0.0.0.0/0 → vgw', [route('0.0.0.0/0', 'vgw-1')], 0],
    ['::/0 → egress-only igw', [route('::/0', 'eigw-1')], 0],
    ['blackhole igw route', [route('0.0.0.0/0', 'igw-1', 'blackhole')], 0],
    ['non-default route to igw', [route('203.0.113.0/24', 'igw-1')], 0],
  ])('%s', (_n, routes, n) => expect(internetGatewayDefaultRoutes(routeTable('rtb-1', ...routes))).toHaveLength(n));
  it('local routes never count', () => expect(internetGatewayDefaultRoutes(routeTable('rtb-1'))).toHaveLength(0));
});
