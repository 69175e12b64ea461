import { loadConfig, parseConfig, MAX_SUPPRESSION_DAYS } from '../src/config';
import { InputError } from '../src/errors';
import { ruleIds } from '../src/rules/engine/catalog';

/**
 * The config decides what is reported: a typo there must be a clear error naming the bad field, never a silent
 * no-op (an override for a rule that does not exist, a CIDR that parses as something else, a suppression forever).
 */
const NOW = new Date('2026-12-01T00:00:00Z');
const parse = (raw: unknown) => parseConfig(raw, 'config', NOW);
const problem = (raw: unknown): string => {
  try {
    parse(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};
const suppression = (over: Record<string, unknown> = {}) => ({ rule: 'no-internet-ssh', cluster: 'prod', reason: 'bastion migration', expires: '2027-01-31', ...over });

describe('config: rule ids come from the catalog', () => {
  it('accepts an override or a suppression for every rule in the catalog', () => {
    const rules = Object.fromEntries(ruleIds().map((id) => [id, { severity: 'low' }]));
    expect(Object.keys(parse({ rules, suppressions: ruleIds().map((rule) => suppression({ rule })) }).rules)).toEqual(ruleIds());
  });

  it('rejects an override for an unknown rule, naming the field', () => {
    expect(problem({ rules: { 'no-internet-shh': { enabled: false } } })).toBe('config: at rules.no-internet-shh: unknown rule id "no-internet-shh" (eks-drift rules lists them)');
  });

  it('rejects a suppression of an unknown rule, naming the field', () => {
    expect(problem({ suppressions: [suppression(), suppression({ rule: 'ssh' })] })).toBe('config: at suppressions[1].rule: unknown rule id "ssh" (eks-drift rules lists them)');
  });
});

describe('config: CIDRs are parsed as the rules parse them', () => {
  it.each(['10.20.0.0/16', '0.0.0.0/0', '203.0.113.7/32', '2001:db8::/32', '::/0', '2001:db8:0:0:0:0:0:1/128'])('accepts %s', (cidr) => {
    expect(parse({ allowedSshCidrs: [cidr], allowedPublicEndpointCidrs: [cidr] }).allowedSshCidrs).toEqual([cidr]);
  });

  it.each([
    ['999.1.1.1/99', 'not an IPv4 or IPv6 CIDR'],
    ['10.0.0.0/33', 'not an IPv4 or IPv6 CIDR'],
    ['2001:db8::/129', 'not an IPv4 or IPv6 CIDR'],
    ['2001:db8:::1/64', 'not an IPv4 or IPv6 CIDR'],
    ['10.0.0.1', 'no prefix length'],
    ['10.0.0.1/16', 'host bits set: the network is 10.0.0.0/16'],
    ['everywhere', 'no prefix length'],
  ])('rejects %s (%s), naming the field', (cidr, why) => {
    expect(problem({ allowedSshCidrs: ['10.0.0.0/8', cidr] })).toBe(`config: at allowedSshCidrs[1]: ${why}: "${cidr}" (a CIDR such as 10.0.0.0/16 or 2001:db8::/32)`);
  });

  it('checks the CIDRs of the environment overrides too', () => {
    expect(() => loadConfig(undefined, { EKS_DRIFT_ALLOWED_PUBLIC_ENDPOINT_CIDRS: '198.51.100.0/24, 300.0.0.0/8' })).toThrow('at allowedPublicEndpointCidrs[1]: not an IPv4 or IPv6 CIDR');
  });
});

describe('config: what is not a JSON object is a clear error', () => {
  it.each(['null', '"x"', '[]', '5'])('EKS_DRIFT_CONFIG=%s with an environment override', (text) => {
    let error: unknown;
    try {
      loadConfig(undefined, { EKS_DRIFT_CONFIG: text, EKS_DRIFT_REQUIRED_TAGS: 'owner' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^config: at \(root\): Expected object, received /);
  });
});

describe(`config: suppressions end within ${MAX_SUPPRESSION_DAYS} days`, () => {
  it('accepts an ISO date or date-time up to a year ahead, and an expired one (it simply no longer applies)', () => {
    for (const expires of ['2027-01-31', '2027-12-01', '2027-06-30T18:00:00Z', '2027-06-30T18:00:00+02:00', '2026-01-01']) {
      expect(parse({ suppressions: [suppression({ expires })] }).suppressions[0].expires).toBe(expires);
    }
  });

  it('rejects a suppression longer than a year, naming the field', () => {
    expect(problem({ suppressions: [suppression({ expires: '2999-01-01' })] })).toBe(
      `config: at suppressions[0].expires: 2999-01-01 is more than ${MAX_SUPPRESSION_DAYS} days ahead: a suppression must be renewed at least once a year`,
    );
  });

  it.each(['tomorrow', '2027', 'March 7, 2027', '2027-02-30', '2027-01-31T25:00:00Z'])('rejects %s: not an ISO date', (expires) => {
    expect(problem({ suppressions: [suppression({ expires })] })).toBe('config: at suppressions[0].expires: must be an ISO date such as 2027-01-31 or date-time such as 2027-01-31T18:00:00Z');
  });
});
