import { evaluateAccount } from '../../src/rules/engine/evaluate';
import { ACCOUNT, accountView, checkAccount, config, ids, trail } from './fixtures';

const ARN = (name: string) => `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/${name}`;
const mgmt = (readOnly?: string, extra: { Field: string; Equals?: string[]; NotEquals?: string[] }[] = []) => ({
  AdvancedEventSelectors: [
    {
      Name: 'management',
      FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, ...(readOnly ? [{ Field: 'readOnly', Equals: [readOnly] }] : []), ...extra],
    },
  ],
});

describe('cloudtrail-enabled', () => {
  it('is compliant with a logging multi-region trail using default selectors', () => {
    expect(checkAccount(accountView([trail('org-audit')]))).toEqual([]);
  });

  it('fires on a stopped multi-region trail (resourceId = trail ARN, cluster null)', () => {
    const [f] = checkAccount(accountView([trail('org-audit', { logging: false })]));
    expect(f).toMatchObject({
      ruleId: 'cloudtrail-enabled',
      severity: 'high',
      cluster: null,
      clusterArn: null,
      account: ACCOUNT,
      region: 'us-east-1',
      resourceType: 'AWS::CloudTrail::Trail',
      resourceId: ARN('org-audit'),
    });
    expect(f.evidence).toMatchObject({ IsLogging: false, problems: ['logging is stopped (IsLogging false)'] });
  });

  it('still reports a stopped trail when another trail covers the account', () => {
    expect(ids(checkAccount(accountView([trail('org-audit'), trail('old', { logging: false })])))).toEqual([ARN('old')]);
  });

  it.each([
    ['IncludeManagementEvents false', { EventSelectors: [{ ReadWriteType: 'All' as const, IncludeManagementEvents: false }] }, true],
    ['ReadWriteType ReadOnly', { EventSelectors: [{ ReadWriteType: 'ReadOnly' as const, IncludeManagementEvents: true }] }, true],
    ['ReadWriteType WriteOnly', { EventSelectors: [{ ReadWriteType: 'WriteOnly' as const, IncludeManagementEvents: true }] }, false],
    ['advanced: management, all', mgmt(), false],
    ['advanced: management readOnly=false', mgmt('false'), false],
    ['advanced: management readOnly=true only', mgmt('true'), true],
    ['advanced: data events only', { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }] }, true],
    ['advanced: management excluding ec2', mgmt(undefined, [{ Field: 'eventSource', NotEquals: ['ec2.amazonaws.com'] }]), true],
  ])('selectors %s → blinded: %s', (_n, selectors, blinded) => {
    const fs = checkAccount(accountView([trail('org-audit', { selectors })]));
    expect(ids(fs)).toEqual(blinded ? [ARN('org-audit')] : []);
  });

  it('fires on the account (resourceId = account id) when there is no trail, or only single-region ones', () => {
    const [f] = checkAccount(accountView([]));
    expect(f).toMatchObject({ resourceType: 'AWS::::Account', resourceId: ACCOUNT, cluster: null });
    expect(ids(checkAccount(accountView([trail('local', { multiRegion: false })])))).toEqual([ACCOUNT]);
  });

  it('is not evaluated when trails could not be read, or when the verdict hinges on an unknown status', () => {
    const denied = evaluateAccount(accountView([], [{ part: 'trails', reason: 'AccessDenied' }]), config());
    expect(denied).toMatchObject({ findings: [], evaluatedRuleIds: [], notEvaluated: [{ ruleId: 'cloudtrail-enabled', cluster: null }] });
    const unknown = evaluateAccount(accountView([trail('org-audit', { logging: null })]), config());
    expect(unknown.notEvaluated[0].reason).toMatch(/status not read/);
    expect(checkAccount(accountView([trail('org-audit', { logging: null }), trail('second')]))).toEqual([]);
  });
});
