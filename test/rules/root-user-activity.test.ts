import { rootUserFinding } from '../../src/rules/engine/evaluate';
import { ACCOUNT, config } from './fixtures';

describe('root-user-activity', () => {
  const call = {
    account: ACCOUNT,
    region: 'us-east-1',
    eventID: 'evt-root-1',
    eventName: 'AuthorizeSecurityGroupIngress',
    eventSource: 'ec2.amazonaws.com',
    eventTime: '2026-02-01T10:00:00Z',
    sourceIPAddress: '198.51.100.9',
    userAgent: 'aws-cli/2.15',
  };

  it('raises a critical account-level finding keyed by the eventID', () => {
    const f = rootUserFinding(call, config());
    expect(f).toMatchObject({
      ruleId: 'root-user-activity',
      severity: 'critical',
      cluster: null,
      clusterArn: null,
      resourceType: 'AWS::CloudTrail::Event',
      resourceId: 'evt-root-1',
      guideline: 'Cloud Infrastructure Security',
    });
    expect(f!.message).toBe(`root user of account ${ACCOUNT} called AuthorizeSecurityGroupIngress (ec2.amazonaws.com) in us-east-1 at 2026-02-01T10:00:00Z from 198.51.100.9`);
    expect(f!.evidence).toMatchObject({ userIdentity: { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root` }, sourceIPAddress: '198.51.100.9' });
  });

  it('is silent when disabled and follows a severity override', () => {
    expect(rootUserFinding(call, config({ rules: { 'root-user-activity': { enabled: false } } }))).toBeUndefined();
    expect(rootUserFinding(call, config({ rules: { 'root-user-activity': { severity: 'high' } } }))!.severity).toBe('high');
  });
});
