import { buildNotifications, notificationBytes, parseNotificationMessage, subjectFor, toAsciiLine, JSON_SEPARATOR, MESSAGE_MAX_BYTES } from '../../src/notify/message';
import { consoleUrl } from '../../src/notify/console';
import { buildDigest } from '../../src/notify/digest';
import { base, endpointPublic, finding, loggingOff, sshOpen, ACCOUNT, PROD_ARN, REGION } from './fixtures';

describe('buildNotifications', () => {
  it('publishes nothing when nothing changed', () => {
    expect(buildNotifications({ ...base, changes: { opened: [], resolved: [] } })).toEqual([]);
  });

  it('a suppression travels in a message of its own, marked as such, so filters on "change" can drop it', () => {
    const [alert, suppression, ...rest] = buildNotifications({ ...base, changes: { opened: [endpointPublic], resolved: [], suppressed: [sshOpen] } });
    expect(rest).toEqual([]);
    expect(parseNotificationMessage(alert.Message).changes.map((c) => c.change)).toEqual(['opened']);
    expect(suppression.MessageAttributes.change.StringValue).toBe('["suppressed"]');
    expect(suppression.Subject).toBe('[SUPPRESSED] prod: sg-0123 allows SSH from 0.0.0.0/0 (no-internet-ssh)');
    expect(suppression.Message).toContain('eks-drift: 1 suppressed on cluster prod');
    expect(parseNotificationMessage(suppression.Message).changes).toEqual([{ change: 'suppressed', cause: 'event', finding: sshOpen }]);
  });

  it('one message per (event, cluster): subject names severity, cluster, what and the rule', () => {
    const [n, ...rest] = buildNotifications({ ...base, changes: { opened: [sshOpen], resolved: [] } });
    expect(rest).toEqual([]);
    expect(n.Subject).toBe('[CRITICAL] prod: sg-0123 allows SSH from 0.0.0.0/0 (no-internet-ssh)');
  });

  it('the body says what changed, where, who, and how to fix it, then the JSON after the separator', () => {
    const [n] = buildNotifications({ ...base, changes: { opened: [sshOpen], resolved: [loggingOff] } });
    const [text, json] = n.Message.split(`\n${JSON_SEPARATOR}\n`);
    expect(text).toContain('1 opened, 1 resolved on cluster prod');
    expect(text).toContain(`Account: ${ACCOUNT}   Region: ${REGION}`);
    expect(text).toContain('Who: arn:aws:sts::111122223333:assumed-role/dev-admin/alice (AssumedRole)');
    expect(text).toContain('Source IP: 203.0.113.7');
    expect(text).toContain('CloudTrail eventID: 6f2d1c1e-0000-4000-8000-000000000001');
    expect(text).toContain('at 2026-11-29T05:00:00Z');
    expect(text).toContain('OPENED [CRITICAL] no-internet-ssh: sg-0123 allows SSH from 0.0.0.0/0');
    expect(text).toContain('Remediation: Remove the 0.0.0.0/0 rule on port 22');
    expect(text).toContain('Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0123');
    expect(text).toContain('Evidence: {"protocol":"tcp","fromPort":22,"toPort":22,"cidr":"0.0.0.0/0"}');
    expect(text).toContain('RESOLVED [MEDIUM] control-plane-logging: audit logs disabled');
    expect(JSON.parse(json)).toEqual({
      account: ACCOUNT,
      region: REGION,
      cluster: 'prod',
      clusterArn: base.clusterArn,
      cause: 'event',
      trigger: base.trigger,
      changes: [
        { change: 'opened', cause: 'event', finding: sshOpen },
        { change: 'resolved', cause: 'event', finding: loggingOff },
      ],
    });
    expect(parseNotificationMessage(n.Message).changes).toHaveLength(2);
  });

  it('a sweep says so instead of naming a principal', () => {
    const [n] = buildNotifications({ ...base, trigger: { kind: 'sweep', sweepId: 'sweep:2026-11-29T05:00:00.000Z', time: '2026-11-29T05:00:00.000Z' }, changes: { opened: [], resolved: [sshOpen] } });
    expect(n.Message).toContain('Found by the scheduled sweep sweep:2026-11-29T05:00:00.000Z');
    expect(n.Subject).toBe('[RESOLVED] prod: sg-0123 allows SSH from 0.0.0.0/0 (no-internet-ssh)');
  });

  it('attributes: the highest severity, every rule id and change kind (String.Array), the cluster', () => {
    const [n] = buildNotifications({ ...base, changes: { opened: [loggingOff, endpointPublic], resolved: [sshOpen] } });
    expect(n.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      ruleId: { DataType: 'String.Array', StringValue: '["control-plane-logging","endpoint-not-public","no-internet-ssh"]' },
      change: { DataType: 'String.Array', StringValue: '["opened","resolved"]' },
      cause: { DataType: 'String', StringValue: 'event' },
      cluster: { DataType: 'String', StringValue: 'prod' },
      account: { DataType: 'String', StringValue: ACCOUNT },
      region: { DataType: 'String', StringValue: REGION },
    });
    // Opened before resolved, most severe first: the headline is the most urgent thing.
    expect(n.Subject).toBe('[HIGH] prod: the API endpoint of prod is public to 0.0.0.0/0 (endpoint-not-public) and 2 more');
  });

  it('an escalation says ESCALATED, the new severity and the one it had, in the subject, the text, the JSON and the attributes', () => {
    const [n, ...rest] = buildNotifications({ ...base, changes: { opened: [loggingOff], escalated: [{ finding: endpointPublic, previousSeverity: 'medium' }], resolved: [] } });
    expect(rest).toEqual([]);
    // The escalation to high leads the medium opening: worst first among alerts.
    expect(n.Subject).toBe('ESCALATED [HIGH] prod: the API endpoint of prod is... (was MEDIUM) (endpoint-not-public) and 1 more');
    expect(n.Message).toContain('eks-drift: 1 opened, 1 escalated on cluster prod');
    expect(n.Message).toContain('ESCALATED [HIGH] endpoint-not-public: the API endpoint of prod is public to 0.0.0.0/0 (was MEDIUM)\n  Resource:');
    expect(n.Message).toContain(`  Remediation: ${endpointPublic.remediation}`);
    expect(n.MessageAttributes.change.StringValue).toBe('["escalated","opened"]');
    expect(n.MessageAttributes.severity.StringValue).toBe('high');
    expect(parseNotificationMessage(n.Message).changes).toEqual([
      { change: 'escalated', cause: 'event', previousSeverity: 'medium', finding: endpointPublic },
      { change: 'opened', cause: 'event', finding: loggingOff },
    ]);
  });

  it('the subject keeps "(was …)" however long the message', () => {
    const long = { ...endpointPublic, message: 'x'.repeat(300) };
    const [n] = buildNotifications({ ...base, changes: { opened: [], escalated: [{ finding: long, previousSeverity: 'low' }], resolved: [] } });
    expect(n.Subject.length).toBeLessThan(100);
    expect(n.Subject).toMatch(/^ESCALATED \[HIGH\] prod: x+\.\.\. \(was LOW\) \(endpoint-not-public\)$/);
  });

  it('account-level alerts name the account and carry no cluster attribute', () => {
    const trail = finding({ ruleId: 'cloudtrail-enabled', severity: 'high', cluster: null, clusterArn: null, resourceType: 'AWS::CloudTrail::Trail', resourceId: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/main', message: 'trail main is not logging' });
    const [n] = buildNotifications({ ...base, cluster: null, clusterArn: null, changes: { opened: [trail], resolved: [] } });
    expect(n.Subject).toBe('[HIGH] account 111122223333: trail main is not logging (cloudtrail-enabled)');
    expect(n.MessageAttributes.cluster).toBeUndefined();
    expect(n.Message).toContain('on account-level checks');
  });
});

describe('subject', () => {
  it('stays under 100 ASCII characters without line breaks, keeping the rule id and the count', () => {
    const long = finding({ message: `sg-0123 “prod-nodes” → allows SSH — from 0.0.0.0/0 and ::/0\non ports ${'22,'.repeat(60)}`, ruleId: 'no-internet-ssh' });
    const s = subjectFor('prod-clüster', [{ change: 'opened', cause: 'event', finding: long }, { change: 'opened', cause: 'event', finding: sshOpen }]);
    expect(s.length).toBeLessThan(100);
    expect(s).toMatch(/^[\x20-\x7e]+$/);
    expect(s).toMatch(/^\[CRITICAL\] prod-cluster: sg-0123 "prod-nodes" -> allows SSH - from.*\.\.\. \(no-internet-ssh\) and 1 more$/);
  });

  it('toAsciiLine replaces what SNS refuses', () => {
    expect(toAsciiLine('a\r\nb\tc ✓ d')).toBe('a b c ? d');
  });
});

describe('size limit', () => {
  const many = Array.from({ length: 400 }, (_, k) =>
    finding({ resourceId: `sg-${String(k).padStart(4, '0')}`, message: `sg-${k} allows SSH from 0.0.0.0/0`, evidence: { rules: Array.from({ length: 20 }, (_, j) => ({ cidr: `10.${k % 250}.${j}.0/24`, port: 22 })) } }),
  );

  it('splits into parts under 256 KB and never drops a finding', () => {
    const ns = buildNotifications({ ...base, changes: { opened: many, resolved: [] } });
    expect(ns.length).toBeGreaterThan(1);
    for (const n of ns) expect(notificationBytes(n)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    const carried = ns.flatMap((n) => parseNotificationMessage(n.Message).changes.map((c) => c.finding.resourceId));
    expect(carried.sort()).toEqual(many.map((f) => f.resourceId).sort());
    expect(ns[0].Subject).toMatch(/\(1\/\d+\)$/);
    expect(parseNotificationMessage(ns[1].Message).part).toEqual({ index: 2, of: ns.length });
  });

  it('cuts the evidence of a single finding too big for a message, keeping the finding', () => {
    const huge = finding({ evidence: { blob: 'x'.repeat(400_000) } });
    const ns = buildNotifications({ ...base, changes: { opened: [huge], resolved: [] } });
    expect(ns).toHaveLength(1);
    expect(notificationBytes(ns[0])).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    expect(parseNotificationMessage(ns[0].Message).changes[0].finding.evidence).toMatchObject({ truncated: true, originalLength: 400_011 });
  });
});

describe('parseNotificationMessage', () => {
  it('refuses a message that is not ours, saying why', () => {
    expect(() => parseNotificationMessage('hello')).toThrow(/no "---- JSON ----" line/);
    expect(() => parseNotificationMessage(`x\n${JSON_SEPARATOR}\n{"changes": 1}`)).toThrow(/not an eks-drift notification/);
  });

  it('refuses an escalation that does not say from what severity, and a previous severity on any other change', () => {
    const [n] = buildNotifications({ ...base, changes: { opened: [], escalated: [{ finding: endpointPublic, previousSeverity: 'medium' }], resolved: [] } });
    expect(() => parseNotificationMessage(n.Message.replace('"previousSeverity": "medium",', ''))).toThrow(/changes\.0\.previousSeverity/);
    expect(() => parseNotificationMessage(n.Message.replace('"change": "escalated"', '"change": "opened"'))).toThrow(/changes\.0\.previousSeverity/);
  });
});

describe('consoleUrl', () => {
  it.each([
    ['AWS::EKS::Cluster', 'prod', 'https://eu-west-1.console.aws.amazon.com/eks/home?region=eu-west-1#/clusters/prod'],
    ['AWS::EKS::Nodegroup', 'ng-1', 'https://eu-west-1.console.aws.amazon.com/eks/home?region=eu-west-1#/clusters/prod/nodegroups/ng-1'],
    ['AWS::EC2::Subnet', 'subnet-1', 'https://eu-west-1.console.aws.amazon.com/vpcconsole/home?region=eu-west-1#SubnetDetails:subnetId=subnet-1'],
    ['AWS::EC2::NetworkAcl', 'acl-1', 'https://eu-west-1.console.aws.amazon.com/vpcconsole/home?region=eu-west-1#NetworkAclDetails:networkAclId=acl-1'],
    ['AWS::IAM::Role', 'arn:aws:iam::111122223333:role/admins', 'https://console.aws.amazon.com/iam/home#/roles/details/admins'],
    ['AWS::AutoScaling::AutoScalingGroup', 'prod-self-managed', 'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#AutoScalingGroupDetails:id=prod-self-managed;view=details'],
  ])('%s', (resourceType, resourceId, url) => {
    expect(consoleUrl({ resourceType, resourceId, region: REGION, cluster: 'prod' })).toBe(url);
  });
});

describe('cause', () => {
  it('a sweep-cause alert names no one; the cause attribute lets a filter policy page only on calls', () => {
    const sweepTrigger = { kind: 'sweep' as const, sweepId: 'sweep:1', time: '2026-11-29T06:00:00.000Z' };
    const [n] = buildNotifications({ ...base, trigger: sweepTrigger, changes: { opened: [sshOpen], resolved: [] } });
    expect(n.MessageAttributes.cause).toEqual({ DataType: 'String', StringValue: 'sweep' });
    expect(n.Message).toContain('Cause: sweep');
    expect(n.Message).not.toContain('Who:');
  });

  it('reads messages from before causes existed: their trigger says what they meant', () => {
    const [n] = buildNotifications({ ...base, changes: { opened: [sshOpen], resolved: [] } });
    const old = JSON.parse(n.Message.split(`\n${JSON_SEPARATOR}\n`)[1]);
    delete old.cause;
    for (const c of old.changes) delete c.cause;
    const parsed = parseNotificationMessage(`text\n${JSON_SEPARATOR}\n${JSON.stringify(old)}`);
    expect(parsed.cause).toBe('event');
    expect(parsed.changes[0].cause).toBe('event');
  });
});

describe('the first-check digest', () => {
  const trigger = { kind: 'sweep' as const, sweepId: 'sweep:deploy', time: '2026-11-29T06:00:00.000Z' };
  const severities = ['critical', 'high', 'medium', 'low', 'info'] as const;
  const findings = (n: number, messageLength = 80) =>
    Array.from({ length: n }, (_, k) =>
      finding({
        cluster: `cluster-${k % 37}`,
        clusterArn: `${PROD_ARN}-${k % 37}`,
        ruleId: `rule-${k % 11}`,
        severity: severities[k % 5],
        resourceId: `sg-${k}`,
        message: `sg-${k} ${'x'.repeat(messageLength)}`,
        evidence: { rules: Array.from({ length: 10 }, (_, j) => ({ cidr: `10.${k % 250}.${j}.0/24`, port: 22 })) },
      }),
    );
  const digestOf = (fs: ReturnType<typeof findings>, baseline = true) => buildDigest({ account: ACCOUNT, region: REGION, trigger, baseline, changes: fs.map((f) => ({ change: 'opened', cause: 'first-check', finding: f })) })!;

  it('is nothing when nothing is first-check', () => {
    expect(buildDigest({ account: ACCOUNT, region: REGION, trigger, baseline: true, changes: [] })).toBeUndefined();
  });

  it('counts per severity and rule, lists every item worst first when they fit, blames no one', () => {
    const n = digestOf(findings(40));
    expect(n.Subject).toBe('[CRITICAL] eks-drift baseline: 40 finding(s) already present in 111122223333 eu-west-1');
    const p = parseNotificationMessage(n.Message);
    expect(p).toMatchObject({ cause: 'first-check', cluster: null, digest: { baseline: true, total: 40, omitted: 0, clusters: 37, bySeverity: { critical: 8, high: 8, medium: 8, low: 8, info: 8 } } });
    expect(p.changes.map((c) => c.finding.severity)).toEqual([...p.changes.map((c) => c.finding.severity)].sort((a, b) => severities.indexOf(a) - severities.indexOf(b)));
    expect(n.MessageAttributes).toMatchObject({ cause: { StringValue: 'first-check' }, severity: { StringValue: 'critical' } });
    expect(n.MessageAttributes.cluster).toBeUndefined();
    expect(n.Message).toContain('By severity: 8 critical, 8 high, 8 medium, 8 low, 8 info');
    expect(n.Message).not.toContain('Who:');
  });

  it('stays ONE message under the SNS limits for 5,000 findings: the worst listed, the rest counted', () => {
    const n = digestOf(findings(5000, 400), false);
    expect(notificationBytes(n)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    expect(n.Subject.length).toBeLessThan(100);
    expect(n.Subject).toMatch(/^\[CRITICAL\] eks-drift first check: 5000 finding\(s\)/);
    const p = parseNotificationMessage(n.Message);
    expect(p.changes.length).toBeGreaterThan(50);
    expect(p.digest!.omitted).toBe(5000 - p.changes.length);
    expect(p.changes.every((c) => c.finding.severity === 'critical')).toBe(true);
    expect(p.digest!.byRule.reduce((sum, r) => sum + r.count, 0)).toBe(5000);
  });
});
