import type { Finding } from '../findings/finding';

function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return `${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `console.amazonaws-us-gov.com`;
  return `${region}.console.aws.amazon.com`;
}

const enc = encodeURIComponent;

/** The region becomes the link's host: anything but a region name (us-east-1, cn-north-1, us-gov-west-1…) gets no link. */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** A link to the resource's page in the AWS console of the finding's region, or undefined when there is none. */
export function consoleUrl(f: Pick<Finding, 'resourceType' | 'resourceId' | 'region' | 'cluster'>): string | undefined {
  const r = f.region;
  if (!REGION_NAME.test(r)) return undefined;
  const base = `https://${consoleHost(r)}`;
  const id = f.resourceId;
  switch (f.resourceType) {
    case 'AWS::EC2::SecurityGroup':
      return `${base}/ec2/home?region=${r}#SecurityGroup:groupId=${enc(id)}`;
    case 'AWS::EC2::Subnet':
      return `${base}/vpcconsole/home?region=${r}#SubnetDetails:subnetId=${enc(id)}`;
    case 'AWS::EC2::NetworkAcl':
      return `${base}/vpcconsole/home?region=${r}#NetworkAclDetails:networkAclId=${enc(id)}`;
    case 'AWS::EC2::LaunchTemplate':
      return `${base}/ec2/home?region=${r}#LaunchTemplateDetails:launchTemplateId=${enc(id)}`;
    case 'AWS::EC2::Instance':
      return `${base}/ec2/home?region=${r}#InstanceDetails:instanceId=${enc(id)}`;
    case 'AWS::AutoScaling::AutoScalingGroup':
      return `${base}/ec2/home?region=${r}#AutoScalingGroupDetails:id=${enc(id)};view=details`;
    case 'AWS::EKS::Cluster':
      return `${base}/eks/home?region=${r}#/clusters/${enc(f.cluster ?? id)}`;
    case 'AWS::EKS::Nodegroup':
      return f.cluster ? `${base}/eks/home?region=${r}#/clusters/${enc(f.cluster)}/nodegroups/${enc(id)}` : undefined;
    case 'AWS::IAM::Role':
    case 'AWS::IAM::User': {
      const name = id.split('/').pop() ?? id;
      const kind = f.resourceType === 'AWS::IAM::Role' ? 'roles' : 'users';
      return `https://${r.startsWith('cn-') ? 'console.amazonaws.cn' : r.startsWith('us-gov-') ? 'console.amazonaws-us-gov.com' : 'console.aws.amazon.com'}/iam/home#/${kind}/details/${enc(name)}`;
    }
    case 'AWS::CloudTrail::Trail':
    case 'AWS::::Account':
      return `${base}/cloudtrailv2/home?region=${r}#/trails`;
    case 'AWS::CloudTrail::Event':
      return `${base}/cloudtrailv2/home?region=${r}#/events/${enc(id)}`;
    default:
      return undefined;
  }
}
