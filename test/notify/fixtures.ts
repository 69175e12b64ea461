import type { Finding } from '../../src/findings/finding';
import type { NotificationTrigger } from '../../src/notify/message';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const PROD_ARN = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod`;

export function finding(over: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'no-internet-ssh',
    severity: 'critical',
    account: ACCOUNT,
    region: REGION,
    cluster: 'prod',
    clusterArn: PROD_ARN,
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId: 'sg-0123',
    message: 'sg-0123 allows SSH from 0.0.0.0/0',
    evidence: { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
    guideline: 'Control SSH Access to Nodes',
    remediation: 'Remove the 0.0.0.0/0 rule on port 22; use Session Manager instead of SSH.',
    ...over,
  };
}

export const sshOpen = finding();
export const endpointPublic = finding({
  ruleId: 'endpoint-not-public',
  severity: 'high',
  resourceType: 'AWS::EKS::Cluster',
  resourceId: 'prod',
  message: 'the API endpoint of prod is public to 0.0.0.0/0',
  evidence: { endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] },
  guideline: 'private Kubernetes API endpoint',
  remediation: 'Disable public access or restrict publicAccessCidrs.',
});
export const loggingOff = finding({
  ruleId: 'control-plane-logging',
  severity: 'medium',
  resourceType: 'AWS::EKS::Cluster',
  resourceId: 'prod',
  message: 'audit logs disabled',
  evidence: { disabled: ['audit'] },
  guideline: 'CloudTrail logging for audit and forensics',
  remediation: 'Enable api, audit and authenticator logs.',
});

export const eventTrigger: NotificationTrigger = {
  kind: 'event',
  eventId: '6f2d1c1e-0000-4000-8000-000000000001',
  eventName: 'AuthorizeSecurityGroupIngress',
  eventSource: 'ec2.amazonaws.com',
  eventTime: '2026-11-29T05:00:00Z',
  principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/dev-admin/alice`,
  principalType: 'AssumedRole',
  sourceIPAddress: '203.0.113.7',
  userAgent: 'aws-cli/2.15.0',
};

export const base = { account: ACCOUNT, region: REGION, cluster: 'prod', clusterArn: PROD_ARN, trigger: eventTrigger };
