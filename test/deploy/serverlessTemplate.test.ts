import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventBridgePatterns } from '../../src/events/patterns';
import { matchesPattern } from '../../src/events/matcher';
import { CATALOG } from '../../src/events/catalog';
import { classifyEvent } from '../../src/events/classify';
import { FINDINGS_TABLE_DEFINITION } from '../../src/findings/dynamoStore';
import { CFN_LINT, cfnLint, decideConditions, packageTemplate, resolveIntrinsics, type Deployment, type PackagedTemplate, type Resource } from '../support/packagedTemplate';
import { denyingStatement, type PolicyStatement } from '../support/policy';

/** What is deployed is what the event catalog says: these tests read the template `serverless package` writes. */
let template: PackagedTemplate;
let resources: Record<string, Resource>;

beforeAll(() => {
  template = packageTemplate('test', 'eu-west-1');
  resources = template.resources;
}, 150_000);

afterAll(() => template?.remove());

const ofType = (t: string) => template.ofType(t);

const actionsOf = (s: PolicyStatement) => ([] as string[]).concat(s.Action);

/** EventBridge rule → the Lambda it targets (logical id of the function, e.g. SecurityGroupChangedLambdaFunction). */
function rulesByHandler(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, r] of ofType('AWS::Events::Rule')) {
    if (!r.Properties.EventPattern) continue; // the sweep's schedule
    if (id.startsWith('Guard')) continue; // self-protection: test/guard/selfProtection.test.ts
    const target = (r.Properties.Targets as { Arn: { 'Fn::GetAtt': [string, string] } }[])[0].Arn['Fn::GetAtt'][0];
    const name = target.replace(/LambdaFunction$/, '');
    out[name.charAt(0).toLowerCase() + name.slice(1)] = r.Properties.EventPattern as Record<string, unknown>;
  }
  return out;
}

describe('serverless package (CloudFormation template)', () => {
  it('has one EventBridge rule per trigger family, with exactly the catalog patterns', () => {
    expect(rulesByHandler()).toEqual(eventBridgePatterns());
  });

  it('excludes failed calls in every pattern', () => {
    for (const pattern of Object.values(rulesByHandler())) {
      expect((pattern.detail as Record<string, unknown>).errorCode).toEqual([{ exists: false }]);
    }
  });

  it('routes every sample event to exactly its family handler, and failed or malformed samples nowhere', () => {
    const patterns = rulesByHandler();
    const dir = join(__dirname, '../../events');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const raw = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const matched = Object.entries(patterns).filter(([, p]) => matchesPattern(p, raw)).map(([h]) => h);
      const c = classifyEvent(raw);
      const failed = c.status !== 'invalid' && typeof (c.record as { errorCode?: string }).errorCode === 'string';
      if (c.status === 'watched') expect({ file, matched }).toEqual({ file, matched: [c.entry.handler] });
      else if (failed || c.status === 'invalid') expect({ file, matched }).toEqual({ file, matched: [] });
    }
  });

  it('routes every catalog eventName', () => {
    const patterns = rulesByHandler();
    for (const entry of CATALOG) {
      const probe = { source: entry.eventSource.replace('.amazonaws.com', '').replace(/^/, 'aws.'), 'detail-type': 'AWS API Call via CloudTrail', detail: { eventSource: entry.eventSource, eventName: entry.eventName } };
      const matched = Object.entries(patterns).filter(([, p]) => matchesPattern(p, probe)).map(([h]) => h);
      expect({ event: entry.eventName, matched }).toEqual({ event: entry.eventName, matched: [entry.handler] });
    }
  });

  it('runs every function on nodejs22.x from its own bundle', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.map(([id]) => id).sort()).toEqual(
      ['AuditLog', 'AuditSubscriber', 'ClusterChanged', 'DeployBaseline', 'Guard', 'IamChanged', 'NetworkChanged', 'NodesChanged', 'OrgBusSink', 'SecurityGroupChanged', 'SecurityHubSink', 'SlackNotifier', 'Sweep', 'TrailChanged'].map(
        (n) => `${n}LambdaFunction`,
      ),
    );
    for (const [, f] of fns) expect(f.Properties.Runtime).toBe('nodejs22.x');
  });

  it('declares the findings topic, the table with the store key schema, and a scheduled sweep', () => {
    expect(ofType('AWS::SNS::Topic').map(([id]) => id).sort()).toEqual(['FindingsTopic', 'GuardTopic']);
    const [[, table]] = ofType('AWS::DynamoDB::Table');
    expect(table.Properties.KeySchema).toEqual(FINDINGS_TABLE_DEFINITION.KeySchema);
    expect(table.Properties.AttributeDefinitions).toEqual(FINDINGS_TABLE_DEFINITION.AttributeDefinitions);
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    const schedules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    const target = (r: Resource) => (r.Properties.Targets as { Arn: { 'Fn::GetAtt': [string] } }[])[0].Arn['Fn::GetAtt'][0];
    expect(schedules.map(([, r]) => target(r)).sort()).toEqual(['AuditSubscriberLambdaFunction', 'SweepLambdaFunction']);
  });

  it('keeps the findings state and the dead letters through `serverless remove` and a replacement', () => {
    for (const [id, type] of [['FindingsTable', 'AWS::DynamoDB::Table'], ['DeadLetterQueue', 'AWS::SQS::Queue']]) {
      expect({ id, ...resources[id] }).toMatchObject({ id, Type: type, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    // Named after the functions: a retained log group would make the next deploy fail on its name.
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(0);
    for (const [, g] of logGroups) expect(g).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('subscribes Slack to the findings with a severity filter policy (default: high and critical), and to every self-protection alert', () => {
    const subs = Object.fromEntries(ofType('AWS::SNS::Subscription').filter(([id]) => id.startsWith('SlackNotifier')).map(([, r]) => [(r.Properties.TopicArn as { Ref: string }).Ref, r.Properties]));
    expect(Object.keys(subs).sort()).toEqual(['FindingsTopic', 'GuardTopic']);
    expect(subs.FindingsTopic.FilterPolicy).toEqual({ severity: ['high', 'critical'], change: ['opened', 'escalated', 'resolved'] });
    expect(subs.GuardTopic.FilterPolicy).toBeUndefined();
  });

  it('gives the detector read-only access plus its own topic, table and queue: no wildcard actions, no writes elsewhere', () => {
    const statements = statementsOf('DetectorRole');
    const actions = statements.flatMap(actionsOf);
    for (const a of actions) expect(a).not.toMatch(/\*/);
    const writes = actions.filter((a) => !/^(ec2|eks|cloudtrail|iam|autoscaling):(Describe|List|Get|Lookup)/.test(a));
    expect(writes.sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sns:Publish', 'sqs:SendMessage'].sort(),
    );
    for (const s of statements) {
      const a = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (a.some((x) => /^(sns|dynamodb|sqs):/.test(x))) expect(s.Resource).not.toBe('*');
    }
  });

  it('reads IAM only for this account\'s roles, instance profiles and policies (and AWS managed policies)', () => {
    const iam = statementsOf('DetectorRole').filter((s) => actionsOf(s).some((a) => a.startsWith('iam:')));
    expect(iam.flatMap(actionsOf).sort()).toEqual(
      [
        'iam:GetAccountAuthorizationDetails',
        'iam:GetInstanceProfile',
        'iam:GetPolicy',
        'iam:GetPolicyVersion',
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListAttachedRolePolicies',
        'iam:ListInstanceProfilesForRole',
        'iam:ListRolePolicies',
      ].sort(),
    );
    const resourcesOf = (sid: string) => JSON.stringify(iam.find((s) => s.Sid === sid)?.Resource);
    expect(resourcesOf('ReadIamRoles')).toContain(':role/*');
    expect(resourcesOf('ReadIamInstanceProfiles')).toContain(':instance-profile/*');
    expect(resourcesOf('ReadIamPolicies')).toContain('${AWS::AccountId}:policy/*');
    expect(resourcesOf('ReadIamPolicies')).toContain('iam::aws:policy/*');
    // The sweep's one read of every role and customer managed policy takes no resource restriction (IAM supports
    // none for it): alone in its statement, so no other IAM read is ever widened to '*'.
    const wide = iam.filter((s) => s.Resource === '*');
    expect(wide.map((s) => [s.Sid, actionsOf(s)])).toEqual([['ReadIamAccountWide', ['iam:GetAccountAuthorizationDetails']]]);
  });

  it('lets the detector read the Kubernetes version calendar, and no other role (a read with no resource to name, alone in its statement)', () => {
    const holders = ['DetectorRole', 'SlackNotifierRole', 'GuardRole', 'SecurityHubSinkRole', 'OrgBusSinkRole', 'BaselineRole', 'AuditSubscriberRole'].filter((role) =>
      statementsOf(role).some((s) => actionsOf(s).includes('eks:DescribeClusterVersions')),
    );
    expect(holders).toEqual(['DetectorRole']);
    const [statement] = statementsOf('DetectorRole').filter((s) => actionsOf(s).includes('eks:DescribeClusterVersions'));
    expect(statement).toMatchObject({ Sid: 'ReadEksVersions', Effect: 'Allow', Resource: '*' });
    expect(actionsOf(statement)).toEqual(['eks:DescribeClusterVersions']);
  });

  it('lets the detector expand prefix lists (security group sources, route destinations), and read nothing it does not use', () => {
    const detector = JSON.stringify(statementsOf('DetectorRole'));
    expect(detector).toContain('ec2:DescribeManagedPrefixLists');
    expect(detector).toContain('ec2:GetManagedPrefixListEntries');
    expect(detector).not.toContain('ec2:DescribeNetworkInterfaces');
  });

  it('reads node metadata options with the node reads it has: not the account defaults nor the AMIs (an unpinned setting is a finding anyway)', () => {
    const actions = statementsOf('DetectorRole').flatMap(actionsOf);
    for (const a of ['ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeLaunchConfigurations']) expect(actions).toContain(a);
    for (const a of ['ec2:GetInstanceMetadataDefaults', 'ec2:DescribeImages', 'ec2:DescribeImageAttribute']) expect(actions).not.toContain(a);
  });

  it('every role writes only to the stack\'s own topic, table and queue (the ARNs resolve to those resources)', () => {
    for (const roleId of ['DetectorRole', 'SlackNotifierRole', 'GuardRole', 'SecurityHubSinkRole', 'OrgBusSinkRole', 'BaselineRole', 'AuditSubscriberRole']) {
      for (const s of statementsOf(roleId)) {
        const own = [...new Set(([] as string[]).concat(s.Action).map((a) => OWN_RESOURCE[a.split(':')[0]]).filter(Boolean))];
        if (own.length) expect({ roleId, sid: s.Sid, resource: resolve(s.Resource) }).toEqual({ roleId, sid: s.Sid, resource: resolve(own[0]) });
      }
    }
  });

  it('every role writes logs only to the log groups of the functions that run with it', () => {
    const functionsByRole = new Map<string, string[]>();
    for (const [, f] of ofType('AWS::Lambda::Function')) {
      const role = (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      functionsByRole.set(role, [...(functionsByRole.get(role) ?? []), f.Properties.FunctionName as string]);
    }
    expect(functionsByRole.get('DetectorRole')).toHaveLength(8);
    for (const [roleId, functions] of functionsByRole) {
      const logs = statementsOf(roleId).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:') && !/SubscriptionFilter/.test(a)));
      expect({ roleId, actions: logs.flatMap(actionsOf).sort() }).toEqual({ roleId, actions: ['logs:CreateLogStream', 'logs:PutLogEvents'] });
      const groups = ([] as unknown[]).concat(resolve(logs[0].Resource)).sort();
      expect({ roleId, groups }).toEqual({ roleId, groups: functions.map((n) => arn('logs', `log-group:/aws/lambda/${n}:*`)).sort() });
    }
  });

  it('the guard function can log, publish to the findings topic and dead-letter: nothing else', () => {
    expect(statementsOf('GuardRole').map((s) => [s.Sid, s.Action])).toEqual([
      ['Logs', ['logs:CreateLogStream', 'logs:PutLogEvents']],
      ['PublishTamperAlerts', 'sns:Publish'],
      ['DeadLetters', 'sqs:SendMessage'],
    ]);
  });

  it('sets the asynchronous invocation of every function explicitly: retries, maximum event age, the dead-letter queue on failure', () => {
    const configs = Object.fromEntries(ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => [(r.Properties.FunctionName as { Ref: string }).Ref, r.Properties]));
    const expected: Record<string, [number, number]> = {
      SecurityGroupChangedLambdaFunction: [2, 21600],
      NetworkChangedLambdaFunction: [2, 21600],
      ClusterChangedLambdaFunction: [2, 21600],
      TrailChangedLambdaFunction: [2, 21600],
      NodesChangedLambdaFunction: [2, 21600],
      IamChangedLambdaFunction: [2, 21600],
      SweepLambdaFunction: [1, 3600],
      SlackNotifierLambdaFunction: [2, 3600],
      DeployBaselineLambdaFunction: [2, 3600],
      GuardLambdaFunction: [2, 21600],
      SecurityHubSinkLambdaFunction: [2, 3600],
      OrgBusSinkLambdaFunction: [2, 3600],
      AuditLogLambdaFunction: [2, 21600],
      AuditSubscriberLambdaFunction: [1, 1800],
    };
    expect(Object.keys(configs).sort()).toEqual(ofType('AWS::Lambda::Function').map(([id]) => id).sort());
    for (const [fn, [retries, age]] of Object.entries(expected)) {
      expect({ fn, ...configs[fn] }).toMatchObject({
        fn,
        MaximumRetryAttempts: retries,
        MaximumEventAgeInSeconds: age,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
      });
    }
  });

  it('runs a baseline sweep after every deploy: a custom resource whose function may only start the sweep', () => {
    const [[, baseline], ...others] = ofType('Custom::EksDriftBaseline');
    expect(others).toEqual([]);
    expect(baseline.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': ['DeployBaselineLambdaFunction', 'Arn'] });
    expect(baseline.Properties.Deployment).toEqual(expect.any(String)); // changes on every deploy: every deploy sweeps
    expect((baseline as unknown as { DependsOn: string[] }).DependsOn).toEqual(expect.arrayContaining(['SweepLambdaFunction', 'FindingsTable', 'FindingsTopic']));
    const fn = resources.DeployBaselineLambdaFunction;
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.SWEEP_FUNCTION).toBe('eks-drift-test-sweep');
    const statements = statementsOf('BaselineRole');
    const actions = statements.flatMap(actionsOf);
    expect(actions.sort()).toEqual(['lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
    expect(resolve(statements.find((s) => s.Action === 'lambda:InvokeFunction')!.Resource)).toBe(arn('lambda', 'function:eks-drift-test-sweep'));
  });

  describe('EKS audit log', () => {
    it('runs the audit-log function with the detector role (its asynchronous invocation: see "every function" above)', () => {
      expect(resources.AuditLogLambdaFunction.Properties.Role).toEqual({ 'Fn::GetAtt': ['DetectorRole', 'Arn'] });
    });

    it('lets CloudWatch Logs of this account invoke it from EKS control-plane log groups only (default: every cluster)', () => {
      const perms = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'logs.amazonaws.com');
      expect(perms.map(([, p]) => p.Properties)).toEqual([
        {
          FunctionName: { 'Fn::GetAtt': ['AuditLogLambdaFunction', 'Arn'] },
          Action: 'lambda:InvokeFunction',
          Principal: 'logs.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
          SourceArn: { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/eks/*/cluster:*' },
        },
      ]);
    });

    it('lets only the subscriber put subscription filters, on EKS control-plane log groups, and read clusters', () => {
      const statements = statementsOf('AuditSubscriberRole');
      expect(statements.flatMap(actionsOf).sort()).toEqual(
        ['eks:DescribeCluster', 'eks:ListClusters', 'logs:CreateLogStream', 'logs:DescribeSubscriptionFilters', 'logs:PutLogEvents', 'logs:PutSubscriptionFilter', 'sqs:SendMessage'].sort(),
      );
      const subscribe = statements.find((s) => actionsOf(s).includes('logs:PutSubscriptionFilter'))!;
      expect(JSON.stringify(subscribe.Resource)).toMatch(/log-group:\/aws\/eks\/\*\/cluster"/);
      expect(JSON.stringify(subscribe.Resource)).not.toMatch(/log-group:\*/);
      for (const role of ['DetectorRole', 'SlackNotifierRole']) expect(JSON.stringify(resources[role])).not.toContain('SubscriptionFilter');
      const subscriber = resources.AuditSubscriberLambdaFunction as Resource;
      expect((subscriber.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        AUDIT_LOG_CLUSTERS: '*',
        AUDIT_SUBSCRIPTION_FILTER_NAME: 'eks-drift-test-audit',
        AUDIT_LOG_FUNCTION_ARN: { 'Fn::GetAtt': ['AuditLogLambdaFunction', 'Arn'] },
      });
    });

    it('puts the functions that read the Kubernetes API in the VPC only when subnets are given, with the ENI permissions only then', () => {
      // Stack parameters (defaults: the --param values), so each account of a StackSet can name its own subnets.
      expect(template.parameters.VpcSubnetIds).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
      expect(template.parameters.VpcSecurityGroupIds).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
      expect(template.conditions.KubernetesReadersInVpc).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'VpcSubnetIds' }] }, ''] }] });
      const vpcOf = (id: string, c: Record<string, boolean>) => (decideConditions(resources[id], c) as Resource).Properties.VpcConfig;
      for (const id of ['AuditLogLambdaFunction', 'ClusterChangedLambdaFunction', 'SweepLambdaFunction']) {
        expect(vpcOf(id, OUTSIDE_VPC)).toBeUndefined();
        expect(vpcOf(id, IN_VPC)).toEqual({ SubnetIds: { Ref: 'VpcSubnetIds' }, SecurityGroupIds: { Ref: 'VpcSecurityGroupIds' } });
      }
      for (const id of ['SecurityGroupChangedLambdaFunction', 'NetworkChangedLambdaFunction', 'TrailChangedLambdaFunction', 'SlackNotifierLambdaFunction']) {
        expect(vpcOf(id, IN_VPC)).toBeUndefined();
      }
      const eni = (c: Record<string, boolean>) => statementsOf('DetectorRole', c).flatMap(actionsOf).filter((a) => /NetworkInterface|PrivateIpAddresses/.test(a));
      expect(eni(OUTSIDE_VPC)).toEqual([]);
      expect(eni(IN_VPC).sort()).toEqual(
        ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:UnassignPrivateIpAddresses'].sort(),
      );
      for (const s of statementsOf('DetectorRole', IN_VPC).filter((x) => actionsOf(x).some((a) => /Create|Delete|Assign/.test(a) && a.startsWith('ec2:')))) {
        expect(JSON.stringify(s.Resource)).toContain(':${AWS::AccountId}:network-interface/*');
      }
    });
  });

  it('lets only the Slack notifier read the webhook parameter', () => {
    const slack = JSON.stringify(resources.SlackNotifierRole);
    expect(slack).toContain('ssm:GetParameter');
    expect(JSON.stringify(resources.DetectorRole)).not.toContain('ssm:');
  });

  describe('optional sinks', () => {
    const SINKS = { SecurityHubSink: 'SecurityHubSink', OrgBusSink: 'OrgBusSink' };

    it('are off unless their stack parameter is set (defaults: the --param values)', () => {
      expect(template.parameters.SecurityHub.Default).toBe('false');
      expect(template.parameters.OrgEventBusArn.Default).toBe('');
      expect(template.conditions).toMatchObject({
        SecurityHubSink: { 'Fn::Equals': [{ Ref: 'SecurityHub' }, 'true'] },
        OrgBusSink: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrgEventBusArn' }, ''] }] },
      });
    });

    it('deploy every resource of a sink (function, version, log group, invoke config, subscription, permission, role) only under its condition', () => {
      for (const [prefix, condition] of Object.entries(SINKS)) {
        const own = Object.entries(resources).filter(([id]) => id.startsWith(prefix));
        expect(own.map(([, r]) => r.Type).sort()).toEqual(
          ['AWS::IAM::Role', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::Function', 'AWS::Lambda::Permission', 'AWS::Lambda::Version', 'AWS::Logs::LogGroup', 'AWS::SNS::Subscription'].sort(),
        );
        for (const [id, r] of own) expect({ id, condition: r.Condition }).toEqual({ id, condition });
      }
    });

    it('subscribe to every notification of the findings topic, suppressions included (no filter policy)', () => {
      for (const prefix of Object.keys(SINKS)) {
        const [[, sub]] = ofType('AWS::SNS::Subscription').filter(([id]) => id.startsWith(prefix));
        expect(sub.Properties).toMatchObject({ TopicArn: { Ref: 'FindingsTopic' }, Protocol: 'lambda' });
        expect(sub.Properties.FilterPolicy).toBeUndefined();
      }
    });

    it('Security Hub: BatchImportFindings on the own product ARN of the account only; BatchUpdateFindings only to set NEW or SUPPRESSED', () => {
      const st = statementsOf('SecurityHubSinkRole');
      expect(st.flatMap((s) => s.Action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings', 'sqs:SendMessage']);
      expect(st.find((s) => s.Action === 'securityhub:BatchImportFindings')!.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default',
      });
      expect(st.find((s) => s.Action === 'securityhub:BatchUpdateFindings')).toMatchObject({
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default' },
        Condition: { StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': ['NEW', 'SUPPRESSED'] } },
      });
    });

    it('organisation bus: events:PutEvents on exactly the bus of the parameter', () => {
      const st = statementsOf('OrgBusSinkRole');
      expect(st.flatMap((s) => s.Action).sort()).toEqual(['events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
      expect(st.find((s) => s.Action === 'events:PutEvents')!.Resource).toEqual({ Ref: 'OrgEventBusArn' });
      expect((resources.OrgBusSinkLambdaFunction.Properties.Environment as { Variables: Record<string, unknown> }).Variables.ORG_EVENT_BUS_ARN).toEqual({ Ref: 'OrgEventBusArn' });
    });
  });
});

describe('alert integrity: the KMS key, who may publish and who may subscribe', () => {
  const admin = 'arn:aws:iam::111122223333:role/Admin';

  it('encrypts the findings topic, the table and the dead-letter queue with the alerts key (the guard topic, on purpose, with nothing)', () => {
    expect(resources.FindingsTopic.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlertsKey' });
    expect(resources.FindingsTable.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { Ref: 'AlertsKey' } });
    expect(resources.DeadLetterQueue.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlertsKey' });
    expect(resources.DeadLetterQueue.Properties.SqsManagedSseEnabled).toBeUndefined();
    expect(resources.GuardTopic.Properties.KmsMasterKeyId).toBeUndefined();
    expect(resources.AlertsKey.Properties.EnableKeyRotation).toBe(true);
  });

  it('key policy: the account administers the key but cannot use it; each role uses it only through the services it writes with (the detector: SNS, SQS, DynamoDB; the guard: SNS, SQS; the rest only to dead-letter into SQS)', () => {
    const statements = resolve((resources.AlertsKey.Properties.KeyPolicy as { Statement: unknown }).Statement) as PolicyStatement[];
    const crypto = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/;
    const users = statements.filter((s) => s.Effect === 'Allow' && ([] as string[]).concat(s.Action).some((a) => crypto.test(a) || a === 'kms:*'));
    expect(users.map((s) => s.Principal)).toEqual([
      { AWS: DEPLOYMENT.attributes['DetectorRole.Arn'] },
      { AWS: DEPLOYMENT.attributes['GuardRole.Arn'] },
      { Service: 'events.amazonaws.com' },
      { AWS: DEPLOYMENT.attributes['SlackNotifierRole.Arn'] },
      { AWS: DEPLOYMENT.attributes['BaselineRole.Arn'] },
      { AWS: DEPLOYMENT.attributes['AuditSubscriberRole.Arn'] },
      { AWS: DEPLOYMENT.attributes['SecurityHubSinkRole.Arn'] },
      { AWS: DEPLOYMENT.attributes['OrgBusSinkRole.Arn'] },
    ]);
    const viaSqs = { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } };
    expect(users.map((s) => s.Condition)).toEqual([
      { StringEquals: { 'kms:ViaService': ['sns.eu-west-1.amazonaws.com', 'sqs.eu-west-1.amazonaws.com', 'dynamodb.eu-west-1.amazonaws.com'] } },
      { StringEquals: { 'kms:ViaService': ['sns.eu-west-1.amazonaws.com', 'sqs.eu-west-1.amazonaws.com'] } },
      viaSqs,
      viaSqs,
      viaSqs,
      viaSqs,
      viaSqs,
      viaSqs,
    ]);
    const root = statements.filter((s) => JSON.stringify(s.Principal).includes(':root'));
    expect(root).toHaveLength(1);
    expect(([] as string[]).concat(root[0].Action).filter((a) => crypto.test(a) || a === 'kms:*')).toEqual([]);
  });

  it('nobody but the detector and guard roles can publish to the findings topic: not an admin, not the account root, not a service', () => {
    const policy = topicPolicy('FindingsTopicPolicy');
    for (const principal of [DEPLOYMENT.attributes['DetectorRole.Arn'], DEPLOYMENT.attributes['GuardRole.Arn']]) {
      expect(denyingStatement(policy, 'sns:Publish', { 'aws:PrincipalArn': principal })).toBeUndefined();
    }
    for (const principal of [admin, 'arn:aws:iam::111122223333:root', DEPLOYMENT.attributes['SlackNotifierRole.Arn']]) {
      expect(denyingStatement(policy, 'sns:Publish', { 'aws:PrincipalArn': principal })?.Sid).toBe('OnlyTheDetectorPublishes');
    }
    expect(denyingStatement(policy, 'sns:Publish', { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111122223333:rule/forger' })?.Sid).toBe('OnlyTheDetectorPublishes');
  });

  it('only the direct guard rules can publish to the guard topic', () => {
    const policy = topicPolicy('GuardTopicPolicy');
    for (const rule of ['GuardResourcesDirectRule', 'GuardStackDirectRule']) {
      expect(denyingStatement(policy, 'sns:Publish', { 'aws:SourceArn': DEPLOYMENT.attributes[`${rule}.Arn`] })).toBeUndefined();
    }
    expect(denyingStatement(policy, 'sns:Publish', { 'aws:PrincipalArn': admin })?.Sid).toBe('NobodyElsePublishes');
    expect(denyingStatement(policy, 'sns:Publish', { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111122223333:rule/forger' })?.Sid).toBe('NobodyElsePublishes');
    expect(policy.find((s) => s.Effect === 'Allow')).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' });
  });

  it('by default only the stack\'s own functions may subscribe to either topic: an admin cannot add an endpoint of theirs', () => {
    for (const id of ['FindingsTopicPolicy', 'GuardTopicPolicy']) {
      const policy = topicPolicy(id);
      expect(denyingStatement(policy, 'sns:Subscribe', { 'aws:PrincipalArn': admin, 'sns:Endpoint': DEPLOYMENT.attributes['SlackNotifierLambdaFunction.Arn'] })).toBeUndefined();
      for (const endpoint of ['attacker@example.net', 'https://collector.example.net/sns', 'arn:aws:sqs:eu-west-1:444455556666:exfil', arn('lambda', 'function:payments-reader')]) {
        expect(denyingStatement(policy, 'sns:Subscribe', { 'aws:PrincipalArn': admin, 'sns:Endpoint': endpoint })?.Sid).toBe('OnlyListedEndpointsSubscribe');
      }
    }
  });

  it('every subscription the stack creates is one its topic policy allows (or the deploy would fail)', () => {
    for (const [, sub] of ofType('AWS::SNS::Subscription')) {
      const topic = (sub.Properties.TopicArn as { Ref: string }).Ref;
      const policy = topicPolicy(topic === 'FindingsTopic' ? 'FindingsTopicPolicy' : 'GuardTopicPolicy');
      expect(denyingStatement(policy, 'sns:Subscribe', { 'sns:Endpoint': resolve(sub.Properties.Endpoint) as string })).toBeUndefined();
    }
  });

  it('alertSubscribers adds e-mail addresses, patterns and ARNs to the allowed endpoints (scripts/alert-subscribers.js)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const endpoints = require('../../scripts/alert-subscribers.js') as (ctx: { resolveVariable: (v: string) => Promise<string> }) => Promise<unknown[]>;
    const resolveWith = (subscribers: string) => async (v: string) => (v === 'self:custom.stackName' ? 'eks-drift-test' : subscribers);
    const ownFunctions = { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:eks-drift-test-*' };
    await expect(endpoints({ resolveVariable: resolveWith(' oncall@example.com, *@secops.example.com ,') })).resolves.toEqual([ownFunctions, 'oncall@example.com', '*@secops.example.com']);
    await expect(endpoints({ resolveVariable: resolveWith('') })).resolves.toEqual([ownFunctions]);
  });
});

describe('cfn-lint', () => {
  (CFN_LINT ? it : it.skip)('finds no error and no warning in the packaged template', () => {
    const r = cfnLint(template.path);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});

/** Physical values for the template's references, as CloudFormation would give them in eu-west-1. */
const KEY_ID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const arn = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:111122223333:${resource}`;
const DEPLOYMENT: Deployment = {
  account: '111122223333',
  region: 'eu-west-1',
  partition: 'aws',
  refs: {
    FindingsTopic: arn('sns', 'eks-drift-test-findings'),
    GuardTopic: arn('sns', 'eks-drift-test-guard'),
    AlertsKey: KEY_ID,
    FindingsTable: 'eks-drift-test-findings',
    DeadLetterQueue: 'https://sqs.eu-west-1.amazonaws.com/111122223333/eks-drift-test-dlq',
  },
  attributes: {
    'AlertsKey.Arn': arn('kms', `key/${KEY_ID}`),
    'FindingsTable.Arn': arn('dynamodb', 'table/eks-drift-test-findings'),
    'DeadLetterQueue.Arn': arn('sqs', 'eks-drift-test-dlq'),
    'DetectorRole.Arn': 'arn:aws:iam::111122223333:role/eks-drift-test-DetectorRole-1AB2CD3EF4GH',
    'SlackNotifierRole.Arn': 'arn:aws:iam::111122223333:role/eks-drift-test-SlackNotifierRole-5IJ6KL7MN8OP',
    'GuardRole.Arn': 'arn:aws:iam::111122223333:role/eks-drift-test-GuardRole-9QR0ST1UV2WX',
    'SlackNotifierLambdaFunction.Arn': arn('lambda', 'function:eks-drift-test-slackNotifier'),
    'GuardLambdaFunction.Arn': arn('lambda', 'function:eks-drift-test-guard'),
    'GuardResourcesDirectRule.Arn': arn('events', 'rule/eks-drift-test-guard-resources-direct'),
    'GuardStackDirectRule.Arn': arn('events', 'rule/eks-drift-test-guard-stack-direct'),
    'BaselineRole.Arn': 'arn:aws:iam::111122223333:role/eks-drift-test-BaselineRole-1OP2QR3ST4UV',
    'AuditSubscriberRole.Arn': 'arn:aws:iam::111122223333:role/eks-drift-test-AuditSubscriberRole-2WX3YZ4AB5CD',
    'SecurityHubSinkRole.Arn': 'arn:aws:iam::111122223333:role/eks-drift-test-SecurityHubSinkRole-3YZ4AB5CD6EF',
    'OrgBusSinkRole.Arn': 'arn:aws:iam::111122223333:role/eks-drift-test-OrgBusSinkRole-7GH8IJ9KL0MN',
    'SecurityHubSinkLambdaFunction.Arn': arn('lambda', 'function:eks-drift-test-securityHubSink'),
    'OrgBusSinkLambdaFunction.Arn': arn('lambda', 'function:eks-drift-test-orgBusSink'),
  },
  // Both optional sinks deployed: the policies must hold with every resource the template can create.
  conditions: { SecurityHubSink: true, OrgBusSink: true, KubernetesReadersInVpc: false },
};
const OUTSIDE_VPC = DEPLOYMENT.conditions!;
const IN_VPC = { ...OUTSIDE_VPC, KubernetesReadersInVpc: true };
const resolve = (node: unknown) => resolveIntrinsics(node, DEPLOYMENT);

/** What the actions of each service may write to: the stack's own resource of that kind. */
const OWN_RESOURCE: Record<string, unknown> = { sns: { Ref: 'FindingsTopic' }, dynamodb: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] }, sqs: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } };

/** A role's statements as a deployment with `conditions` has them (Fn::If decided, references left as written). */
function statementsOf(roleId: string, conditions = OUTSIDE_VPC): (PolicyStatement & { Sid: string })[] {
  const role = decideConditions(resources[roleId], conditions) as Resource;
  return (role.Properties.Policies as { PolicyDocument: { Statement: (PolicyStatement & { Sid: string })[] } }[])[0].PolicyDocument.Statement;
}

function topicPolicy(id: string): PolicyStatement[] {
  return resolve((resources[id].Properties.PolicyDocument as { Statement: unknown }).Statement) as PolicyStatement[];
}
