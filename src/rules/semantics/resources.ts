import type { SecurityGroup } from '@aws-sdk/client-ec2';

/** CloudFormation-style resource types used in findings. */
export const RESOURCE = {
  subnet: 'AWS::EC2::Subnet',
  launchTemplate: 'AWS::EC2::LaunchTemplate',
  securityGroup: 'AWS::EC2::SecurityGroup',
  networkAcl: 'AWS::EC2::NetworkAcl',
  instance: 'AWS::EC2::Instance',
  autoScalingGroup: 'AWS::AutoScaling::AutoScalingGroup',
  launchConfiguration: 'AWS::AutoScaling::LaunchConfiguration',
  cluster: 'AWS::EKS::Cluster',
  nodegroup: 'AWS::EKS::Nodegroup',
  iamRole: 'AWS::IAM::Role',
  iamUser: 'AWS::IAM::User',
  trail: 'AWS::CloudTrail::Trail',
  account: 'AWS::::Account',
  event: 'AWS::CloudTrail::Event',
} as const;

/** "sg-0123 (eks-cluster-sg-prod)" — id first so messages stay greppable. */
export function sgLabel(group: SecurityGroup): string {
  return group.GroupName ? `${group.GroupId} (${group.GroupName})` : String(group.GroupId);
}

export function list(items: readonly string[], max = 3): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
