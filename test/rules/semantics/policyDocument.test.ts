import { evaluateActions, parsePolicyDocument, trustAllowsAnyPrincipal, type NamedDocument } from '../../../src/rules/semantics/policyDocument';

const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const named = (source: string, d: unknown): NamedDocument => ({ source, document: parsePolicyDocument(d) });
const SSM = ['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel'];

describe('policy documents in their three forms', () => {
  const d = doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } });
  it('URL-encoded (the SDK), a JSON string, and an object (the AWS CLI) parse the same', () => {
    const fromObject = parsePolicyDocument(d);
    expect(parsePolicyDocument(JSON.stringify(d))).toEqual(fromObject);
    expect(parsePolicyDocument(encodeURIComponent(JSON.stringify(d)))).toEqual(fromObject);
    expect(fromObject.statements[0]).toMatchObject({ effect: 'Allow', action: ['sts:AssumeRole'], principal: { Service: ['ec2.amazonaws.com'] } });
  });

  it('a single Statement object is a list of one', () => {
    expect(parsePolicyDocument({ Statement: { Effect: 'Deny', Action: '*', Resource: '*' } }).statements).toHaveLength(1);
  });

  it('says what is wrong with a bad document', () => {
    expect(() => parsePolicyDocument('%7Bnot json')).toThrow(/not a JSON policy document/);
    expect(() => parsePolicyDocument(42)).toThrow('expected a policy document (object or string), got number');
    expect(() => parsePolicyDocument(doc({ Effect: 'Maybe', Action: '*' }))).toThrow('Statement[0].Effect must be "Allow" or "Deny"');
    expect(() => parsePolicyDocument(doc({ Effect: 'Allow', Action: [1] }))).toThrow('Statement[0].Action must be a string or a list of strings');
  });
});

describe('evaluateActions (identity policies)', () => {
  const decisions = (...docs: NamedDocument[]) => evaluateActions(SSM, docs).map((v) => v.decision);

  it('wildcards: ssm:*, ssmmessages:Create*, *', () => {
    expect(decisions(named('p', doc({ Effect: 'Allow', Action: ['ssm:*', 'ssmmessages:Create*'], Resource: '*' })))).toEqual(['allowed', 'allowed']);
    expect(decisions(named('p', doc({ Effect: 'Allow', Action: '*', Resource: '*' })))).toEqual(['allowed', 'allowed']);
    expect(decisions(named('p', doc({ Effect: 'Allow', Action: 'SSM:updateinstanceinformation', Resource: '*' })))).toEqual(['allowed', 'not-allowed']);
  });

  it('NotAction allows everything it does not list', () => {
    expect(decisions(named('p', doc({ Effect: 'Allow', NotAction: 'ssmmessages:*', Resource: '*' })))).toEqual(['allowed', 'not-allowed']);
  });

  it('an explicit Deny wins; a conditional Deny or Allow makes it undecided', () => {
    const allow = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    expect(decisions(named('a', allow), named('d', doc({ Effect: 'Deny', Action: 'ssm:*', Resource: '*' })))).toEqual(['denied', 'allowed']);
    const v = evaluateActions(SSM, [named('a', allow), named('d', doc({ Effect: 'Deny', Action: 'ssm:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }))]);
    expect(v[0]).toMatchObject({ decision: 'undecided', undecidedBecause: [expect.stringContaining('d statement #0 may deny it')] });
    expect(evaluateActions(SSM, [named('c', doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:ec2:*:*:instance/*' }))])[0]).toMatchObject({
      decision: 'undecided',
      undecidedBecause: ['c statement #0 allows it only under Resource arn:aws:ec2:*:*:instance/*'],
    });
  });

  it('a permissions boundary must allow it too', () => {
    const allow = named('inline', doc({ Effect: 'Allow', Action: '*', Resource: '*' }));
    expect(evaluateActions(SSM, [allow], named('boundary', doc({ Effect: 'Allow', Action: 'ssm:*', Resource: '*' }))).map((v) => v.decision)).toEqual(['allowed', 'not-allowed']);
  });
});

describe('trustAllowsAnyPrincipal', () => {
  const trust = (...statements: unknown[]) => trustAllowsAnyPrincipal(parsePolicyDocument(doc(...statements)));

  it('Principal "*" and {"AWS": "*"} with no condition let anyone assume the role', () => {
    expect(trust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }).open).toBe(true);
    expect(trust({ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] }, Action: 'sts:*' }).open).toBe(true);
  });

  it('a named principal or a service is not "any principal"', () => {
    expect(trust({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' }).open).toBe(false);
    expect(trust({ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }).open).toBe(false);
  });

  it('a condition pinning the caller down restricts it; one on anything else does not', () => {
    expect(trust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } } })).toMatchObject({
      open: false,
      restricted: [{ by: ['StringEquals aws:PrincipalAccount 111122223333'] }],
    });
    expect(trust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } })).toMatchObject({
      open: true,
      openedBy: [{ note: 'these conditions do not restrict who the caller is' }],
    });
    // A wildcard account in an ARN matches a role anyone can create.
    expect(trust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/deployer' } } }).open).toBe(true);
    // IfExists on a key the request may lack passes when it is missing.
    expect(trust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEqualsIfExists: { 'sts:ExternalId': 'secret' } } }).open).toBe(true);
    expect(trust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'secret' } } }).open).toBe(false);
  });

  it('a Deny for everyone unless the caller is pinned down closes it', () => {
    const allow = { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' };
    expect(trust(allow, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } }).open).toBe(false);
    expect(trust(allow, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } }).open).toBe(true);
  });

  it('a Deny that also needs another condition, or covers only some of the allowed actions, does not close it', () => {
    const allow = { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' };
    const outsidersWithoutMfa = { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' }, Bool: { 'aws:MultiFactorAuthPresent': 'false' } };
    // Conditions are ANDed: an outsider who signs in with MFA is not denied.
    expect(trust(allow, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: outsidersWithoutMfa }).open).toBe(true);
    const pinned = { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } };
    const allowBoth = { Effect: 'Allow', Principal: '*', Action: ['sts:AssumeRole', 'sts:AssumeRoleWithSAML'] };
    expect(trust(allowBoth, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: pinned }).open).toBe(true);
    expect(trust(allowBoth, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole*', Condition: pinned }).open).toBe(false);
  });

  it('Allow with NotPrincipal lets in everyone else', () => {
    expect(trust({ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:user/x' }, Action: 'sts:AssumeRole' }).open).toBe(true);
  });
});
