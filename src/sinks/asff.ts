import { createHash } from 'node:crypto';
import type { AwsSecurityFinding, Resource, SeverityLabel, WorkflowStatus } from '@aws-sdk/client-securityhub';
import { partitionOf } from '../arn';
import { findingKey, type Finding, type Severity } from '../findings/finding';
import { consoleUrl } from '../notify/console';
import type { ChangeKind } from '../findings/store';

/*
 * A finding in the AWS Security Finding Format (ASFF), as a custom integration imports it with BatchImportFindings.
 * Field rules (Security Hub user guide, API reference): Id and GeneratorId ≤ 512 characters, Title ≤ 256,
 * Description ≤ 1024, Remediation.Recommendation.Text ≤ 512, ProductFields ≤ 50 pairs with values ≤ 2048; Severity
 * and Types go in FindingProviderFields (the top-level copies are what a new finding starts with); an update whose
 * UpdatedAt is not later than the stored one is ignored; Workflow is only taken from a new finding.
 */

export const SCHEMA_VERSION = '2018-10-08';
export const PROJECT_URL = 'https://github.com/eks-drift/eks-drift';

const SEVERITY_LABEL: Record<Severity, SeverityLabel> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFORMATIONAL' };

const BEST_PRACTICE = 'Software and Configuration Checks/AWS Security Best Practices';
const REACHABILITY = `${BEST_PRACTICE}/Network Reachability`;
/** ASFF Types taxonomy (namespace/category/classifier) per rule; the rest are configuration best practices. */
const TYPES: Record<string, string[]> = {
  'no-internet-ssh': [REACHABILITY],
  'no-internet-ingress': [REACHABILITY],
  'cluster-sg-restricted': [REACHABILITY],
  'nacl-blocks-ssh': [REACHABILITY],
  'nodes-in-private-subnets': [REACHABILITY],
  'nodes-no-public-ip': [REACHABILITY],
  'endpoint-not-public': [REACHABILITY],
  'pod-sg-isolation': [REACHABILITY],
  'ssh-egress-blocked': [REACHABILITY],
  'cloudtrail-enabled': [BEST_PRACTICE, 'TTPs/Defense Evasion'],
  'root-user-activity': ['Unusual Behaviors/User'],
};

/** The product ARN of the account's own custom integration: no partner registration needed. */
export function productArn(account: string, region: string): string {
  return `arn:${partitionOf(region)}:securityhub:${region}:${account}:product/${account}/default`;
}

/** Stable per finding identity, readable at a glance, bounded whatever the resource id (an IAM ARN can be long). */
export function asffId(f: Finding): string {
  return `eks-drift/${f.account}/${f.region}/${f.ruleId}/${createHash('sha256').update(findingKey(f)).digest('hex').slice(0, 32)}`;
}

/** Our resource types (CloudFormation style) as ASFF resource types, with the id ASFF expects for each (an ARN where the resource has one). */
function asffResource(f: Finding): Pick<Resource, 'Type' | 'Id'> {
  const ec2 = (kind: string) => `arn:${partitionOf(f.region)}:ec2:${f.region}:${f.account}:${kind}/${f.resourceId}`;
  switch (f.resourceType) {
    case 'AWS::EC2::SecurityGroup':
      return { Type: 'AwsEc2SecurityGroup', Id: ec2('security-group') };
    case 'AWS::EC2::Subnet':
      return { Type: 'AwsEc2Subnet', Id: ec2('subnet') };
    case 'AWS::EC2::NetworkAcl':
      return { Type: 'AwsEc2NetworkAcl', Id: ec2('network-acl') };
    case 'AWS::EC2::LaunchTemplate':
      return { Type: 'AwsEc2LaunchTemplate', Id: ec2('launch-template') };
    case 'AWS::EC2::Instance':
      return { Type: 'AwsEc2Instance', Id: ec2('instance') };
    case 'AWS::EKS::Cluster':
      return { Type: 'AwsEksCluster', Id: f.clusterArn ?? `arn:${partitionOf(f.region)}:eks:${f.region}:${f.account}:cluster/${f.resourceId}` };
    case 'AWS::IAM::Role':
      return { Type: 'AwsIamRole', Id: f.resourceId };
    case 'AWS::IAM::User':
      return { Type: 'AwsIamUser', Id: f.resourceId };
    case 'AWS::CloudTrail::Trail':
      return { Type: 'AwsCloudTrailTrail', Id: f.resourceId };
    case 'AWS::AutoScaling::AutoScalingGroup':
      return { Type: 'AwsAutoScalingAutoScalingGroup', Id: f.resourceId };
    case 'AWS::::Account':
      return { Type: 'AwsAccount', Id: `AWS::::Account:${f.account}` };
    default:
      // Node groups (no ASFF type, an ARN with an id we do not read), CloudTrail events.
      return { Type: 'Other', Id: f.cluster && f.resourceType === 'AWS::EKS::Nodegroup' ? `${f.clusterArn ?? f.cluster}/nodegroup/${f.resourceId}` : `${f.resourceType}/${f.resourceId}` };
  }
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 3)}...`);

/**
 * The workflow each change starts. An escalation starts none: the finding is re-imported with its new severity and
 * keeps the workflow its team gave it (NOTIFIED, say); a finding Security Hub does not hold yet starts as NEW.
 */
const WORKFLOW: Record<ChangeKind, WorkflowStatus | undefined> = { opened: 'NEW', escalated: undefined, resolved: 'RESOLVED', suppressed: 'SUPPRESSED' };

/**
 * The ASFF record of one lifecycle change of a finding, at `at` (ISO; the time eks-drift decided it, so that a late
 * redelivery of an older change is ignored by Security Hub instead of undoing a newer one):
 * opened → ACTIVE, FAILED, NEW; escalated → ACTIVE, FAILED, workflow unchanged; resolved → ARCHIVED, PASSED, RESOLVED;
 * suppressed → ACTIVE, FAILED, SUPPRESSED.
 */
export function toAsff(f: Finding, change: ChangeKind, at: string, extra: { cause?: string; previousSeverity?: Severity } = {}): AwsSecurityFinding {
  const workflow = WORKFLOW[change];
  const resource = asffResource(f);
  const partition = partitionOf(f.region);
  const resources: Resource[] = [{ ...resource, Partition: partition, Region: f.region, Details: { Other: { resourceType: f.resourceType, resourceId: cut(f.resourceId, 1000) } } }];
  if (f.clusterArn && resource.Type !== 'AwsEksCluster') resources.push({ Type: 'AwsEksCluster', Id: f.clusterArn, Partition: partition, Region: f.region });
  const severity = { Label: SEVERITY_LABEL[f.severity], Original: f.severity };
  const types = TYPES[f.ruleId] ?? [BEST_PRACTICE];
  return {
    SchemaVersion: SCHEMA_VERSION,
    Id: asffId(f),
    ProductArn: productArn(f.account, f.region),
    ProductName: 'eks-drift',
    CompanyName: 'eks-drift',
    GeneratorId: f.ruleId,
    AwsAccountId: f.account,
    Region: f.region,
    Types: types,
    CreatedAt: at,
    UpdatedAt: at,
    Severity: severity,
    FindingProviderFields: { Severity: severity, Types: types },
    Title: cut(f.message, 256),
    Description: cut(`${f.message}. Guideline: ${f.guideline}.${f.cluster ? ` Cluster ${f.cluster}` : ''} (account ${f.account}, ${f.region}).`, 1024),
    Remediation: { Recommendation: { Text: cut(f.remediation, 512), Url: consoleUrl(f) ?? `${PROJECT_URL}#rules` } },
    SourceUrl: consoleUrl(f),
    ProductFields: {
      'eks-drift/ruleId': f.ruleId,
      'eks-drift/change': change,
      'eks-drift/resourceType': f.resourceType,
      'eks-drift/resourceId': cut(f.resourceId, 2048),
      ...(f.cluster ? { 'eks-drift/cluster': f.cluster } : {}),
      ...(extra.cause ? { 'eks-drift/cause': extra.cause } : {}),
      ...(extra.previousSeverity ? { 'eks-drift/previousSeverity': extra.previousSeverity } : {}),
      'eks-drift/evidence': cut(JSON.stringify(f.evidence), 2048),
    },
    Resources: resources,
    Compliance: { Status: change === 'resolved' ? 'PASSED' : 'FAILED' },
    RecordState: change === 'resolved' ? 'ARCHIVED' : 'ACTIVE',
    ...(workflow ? { Workflow: { Status: workflow } } : {}),
  };
}
