import { asffId, productArn, toAsff } from '../../src/sinks/asff';
import { finding, sshOpen, ACCOUNT, REGION } from '../notify/fixtures';

/** The ASFF field rules of the Security Hub user guide and API reference, checked on every record we build. */
const REQUIRED = ['AwsAccountId', 'CreatedAt', 'Description', 'GeneratorId', 'Id', 'ProductArn', 'Resources', 'SchemaVersion', 'Severity', 'Title', 'Types', 'UpdatedAt'] as const;
const RESOURCE_TYPES = ['AwsEc2SecurityGroup', 'AwsEc2Subnet', 'AwsEc2NetworkAcl', 'AwsEc2LaunchTemplate', 'AwsEc2Instance', 'AwsEksCluster', 'AwsIamRole', 'AwsIamUser', 'AwsCloudTrailTrail', 'AwsAccount', 'AwsAutoScalingAutoScalingGroup', 'Other'];

function expectValidAsff(r: ReturnType<typeof toAsff>) {
  for (const k of REQUIRED) expect(r[k]).toBeDefined();
  expect(r.SchemaVersion).toBe('2018-10-08');
  expect(r.Id!.length).toBeLessThanOrEqual(512);
  expect(r.GeneratorId!.length).toBeLessThanOrEqual(512);
  expect(r.Title!.length).toBeLessThanOrEqual(256);
  expect(r.Description!.length).toBeLessThanOrEqual(1024);
  expect(r.Remediation!.Recommendation!.Text!.length).toBeLessThanOrEqual(512);
  expect(r.Remediation!.Recommendation!.Url).toMatch(/^https:\/\//);
  expect(r.CreatedAt).toBe(r.UpdatedAt);
  expect(r.FindingProviderFields).toEqual({ Severity: r.Severity, Types: r.Types });
  for (const t of r.Types!) expect(t).toMatch(/^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(\/[^/]+){0,2}$/);
  expect(Object.keys(r.ProductFields!).length).toBeLessThanOrEqual(50);
  for (const [k, v] of Object.entries(r.ProductFields!)) {
    expect(k.length).toBeLessThanOrEqual(128);
    expect(v.length).toBeLessThanOrEqual(2048);
  }
  for (const res of r.Resources!) {
    expect(RESOURCE_TYPES).toContain(res.Type);
    expect(res.Id).toBeTruthy();
    for (const v of Object.values(res.Details?.Other ?? {})) expect(v.length).toBeLessThan(1024);
  }
}

const AT = '2026-11-29T10:00:00.000Z';

describe('toAsff', () => {
  it('maps a finding to a custom-integration ASFF record: rule as generator, severity label, remediation text and console URL, account and region', () => {
    const r = toAsff(sshOpen, 'opened', AT);
    expectValidAsff(r);
    expect(r).toMatchObject({
      ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
      GeneratorId: 'no-internet-ssh',
      AwsAccountId: ACCOUNT,
      Region: REGION,
      Types: ['Software and Configuration Checks/AWS Security Best Practices/Network Reachability'],
      Severity: { Label: 'CRITICAL', Original: 'critical' },
      Title: sshOpen.message,
      Remediation: { Recommendation: { Text: sshOpen.remediation, Url: `https://${REGION}.console.aws.amazon.com/ec2/home?region=${REGION}#SecurityGroup:groupId=sg-0123` } },
      Resources: [
        { Type: 'AwsEc2SecurityGroup', Id: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123`, Partition: 'aws', Region: REGION },
        { Type: 'AwsEksCluster', Id: sshOpen.clusterArn, Partition: 'aws', Region: REGION },
      ],
    });
  });

  it.each([
    ['opened', 'ACTIVE', 'FAILED', 'NEW'],
    ['resolved', 'ARCHIVED', 'PASSED', 'RESOLVED'],
    ['suppressed', 'ACTIVE', 'FAILED', 'SUPPRESSED'],
  ] as const)('%s → RecordState %s, Compliance %s, Workflow %s', (change, record, compliance, workflow) => {
    expect(toAsff(sshOpen, change, AT)).toMatchObject({ RecordState: record, Compliance: { Status: compliance }, Workflow: { Status: workflow } });
  });

  it('keeps one Id per finding identity, whatever the message, evidence or severity; another resource is another Id', () => {
    const changed = { ...sshOpen, message: 'reworded', evidence: { x: 1 }, severity: 'high' as const };
    expect(asffId(changed)).toBe(asffId(sshOpen));
    expect(asffId({ ...sshOpen, resourceId: 'sg-0456' })).not.toBe(asffId(sshOpen));
    expect(asffId(sshOpen)).toMatch(new RegExp(`^eks-drift/${ACCOUNT}/${REGION}/no-internet-ssh/[0-9a-f]{32}$`));
  });

  it.each([
    [{ resourceType: 'AWS::EC2::Subnet', resourceId: 'subnet-1' }, 'AwsEc2Subnet', `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/subnet-1`],
    [{ resourceType: 'AWS::EC2::NetworkAcl', resourceId: 'acl-1' }, 'AwsEc2NetworkAcl', `arn:aws:ec2:${REGION}:${ACCOUNT}:network-acl/acl-1`],
    [{ resourceType: 'AWS::EC2::LaunchTemplate', resourceId: 'lt-1' }, 'AwsEc2LaunchTemplate', `arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/lt-1`],
    [{ resourceType: 'AWS::EKS::Cluster', resourceId: 'prod' }, 'AwsEksCluster', `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod`],
    [{ resourceType: 'AWS::IAM::Role', resourceId: `arn:aws:iam::${ACCOUNT}:role/admin` }, 'AwsIamRole', `arn:aws:iam::${ACCOUNT}:role/admin`],
    [{ resourceType: 'AWS::IAM::User', resourceId: `arn:aws:iam::${ACCOUNT}:user/bob` }, 'AwsIamUser', `arn:aws:iam::${ACCOUNT}:user/bob`],
    [{ resourceType: 'AWS::EKS::Nodegroup', resourceId: 'ng-1' }, 'Other', `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod/nodegroup/ng-1`],
    [{ resourceType: 'AWS::CloudTrail::Trail', resourceId: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/main`, cluster: null, clusterArn: null }, 'AwsCloudTrailTrail', `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/main`],
    [{ resourceType: 'AWS::::Account', resourceId: ACCOUNT, cluster: null, clusterArn: null }, 'AwsAccount', `AWS::::Account:${ACCOUNT}`],
    [{ resourceType: 'AWS::CloudTrail::Event', resourceId: 'e-1', cluster: null, clusterArn: null }, 'Other', 'AWS::CloudTrail::Event/e-1'],
  ])('%o is an %s resource with id %s', (over, type, id) => {
    const r = toAsff(finding(over), 'opened', AT);
    expectValidAsff(r);
    expect(r.Resources![0]).toMatchObject({ Type: type, Id: id });
  });

  it('cuts what is too long for ASFF, never the identity; China and GovCloud partitions', () => {
    const long = finding({ message: 'm'.repeat(5000), remediation: 'r'.repeat(5000), evidence: { big: 'e'.repeat(10_000) }, resourceType: 'AWS::IAM::Role', resourceId: `arn:aws:iam::${ACCOUNT}:role/${'p/'.repeat(250)}r` });
    expectValidAsff(toAsff(long, 'opened', AT));
    expect(productArn(ACCOUNT, 'cn-north-1')).toBe(`arn:aws-cn:securityhub:cn-north-1:${ACCOUNT}:product/${ACCOUNT}/default`);
    expect(toAsff(finding({ region: 'us-gov-west-1' }), 'opened', AT).Resources![0].Partition).toBe('aws-us-gov');
  });
});
