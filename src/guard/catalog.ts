/**
 * Self-protection: the CloudTrail calls that can silence the detector when made on its own resources. The guard
 * EventBridge rules in serverless.yml match exactly these (test/guard/selfProtection.test.ts checks both ways), and
 * each match is a critical `detector-tampered` alert naming the call, the resource and what it silences.
 */

type Params = Record<string, unknown> | null;

export interface GuardedCall {
  eventSource: string;
  /** The CloudTrail eventName (Lambda's carry their API version: DeleteFunction20150331). */
  eventName: string;
  resourceType: string;
  /** The request parameter naming the detector resource the call changed. */
  field: string;
  /** What the call does to the detector, for the on-call person reading the alert. */
  effect: (p: Params) => string;
}

/** The alert's rule id. Not in the rule catalog on purpose: no config can disable or suppress it. */
export const TAMPER_RULE_ID = 'detector-tampered';
export const TAMPER_GUIDELINE = 'Cloud Infrastructure Security (the detector itself)';
export const TAMPER_REMEDIATION =
  'Ask whoever made the call; if nobody meant it, treat the credentials as compromised, then redeploy the detector (serverless deploy) to restore it. README "Self-protection" says which path reported this and what else to check.';

const text = (p: Params, key: string): string | undefined => (typeof p?.[key] === 'string' || typeof p?.[key] === 'number' ? String(p[key]) : undefined);
const fixed = (s: string) => () => s;

const RULES = 'events.amazonaws.com';
const LAMBDA = 'lambda.amazonaws.com';
const SNS = 'sns.amazonaws.com';

export const GUARDED_CALLS: readonly GuardedCall[] = [
  // EventBridge rules: the detector's only input
  { eventSource: RULES, eventName: 'DisableRule', resourceType: 'AWS::Events::Rule', field: 'name', effect: fixed('the rule no longer delivers the calls it watches') },
  { eventSource: RULES, eventName: 'DeleteRule', resourceType: 'AWS::Events::Rule', field: 'name', effect: fixed('the rule is gone: the calls it watched reach nothing') },
  { eventSource: RULES, eventName: 'PutRule', resourceType: 'AWS::Events::Rule', field: 'name', effect: fixed('the rule was rewritten: its pattern or state may no longer match the calls it watches') },
  { eventSource: RULES, eventName: 'RemoveTargets', resourceType: 'AWS::Events::Rule', field: 'rule', effect: fixed('the rule no longer invokes the detector') },
  { eventSource: RULES, eventName: 'PutTargets', resourceType: 'AWS::Events::Rule', field: 'rule', effect: fixed('the rule may now deliver somewhere else than the detector') },
  // Lambda functions
  {
    eventSource: LAMBDA,
    eventName: 'CreateFunction20150331',
    resourceType: 'AWS::Lambda::Function',
    field: 'functionName',
    effect: fixed('a function named like the detector\'s was created outside the stack: it may subscribe to the alert topics'),
  },
  { eventSource: LAMBDA, eventName: 'DeleteFunction20150331', resourceType: 'AWS::Lambda::Function', field: 'functionName', effect: fixed('the function is gone: its events are not evaluated') },
  { eventSource: LAMBDA, eventName: 'UpdateFunctionCode20150331v2', resourceType: 'AWS::Lambda::Function', field: 'functionName', effect: fixed('the function runs code the stack did not deploy') },
  {
    eventSource: LAMBDA,
    eventName: 'UpdateFunctionConfiguration20150331v2',
    resourceType: 'AWS::Lambda::Function',
    field: 'functionName',
    effect: fixed('the function\'s role, environment, handler or layers changed outside the stack'),
  },
  {
    eventSource: LAMBDA,
    eventName: 'PutFunctionConcurrency20171031',
    resourceType: 'AWS::Lambda::Function',
    field: 'functionName',
    effect: (p) => {
      const n = text(p, 'reservedConcurrentExecutions');
      return n === '0' ? 'reserved concurrency set to 0: every invocation is throttled' : `reserved concurrency set to ${n ?? 'a new value'}: invocations beyond it are throttled`;
    },
  },
  { eventSource: LAMBDA, eventName: 'RemovePermission20150331v2', resourceType: 'AWS::Lambda::Function', field: 'functionName', effect: fixed('EventBridge or SNS may no longer invoke the function') },
  // SNS: where the alerts go
  { eventSource: SNS, eventName: 'DeleteTopic', resourceType: 'AWS::SNS::Topic', field: 'topicArn', effect: fixed('the alerts have nowhere to go') },
  {
    eventSource: SNS,
    eventName: 'SetTopicAttributes',
    resourceType: 'AWS::SNS::Topic',
    field: 'topicArn',
    effect: (p) => `the topic's ${text(p, 'attributeName') ?? 'settings'} changed (policy: who may publish or subscribe; KmsMasterKeyId: whether publishing still works)`,
  },
  { eventSource: SNS, eventName: 'RemovePermission', resourceType: 'AWS::SNS::Topic', field: 'topicArn', effect: (p) => `statement ${text(p, 'label') ?? '?'} was removed from the topic policy` },
  { eventSource: SNS, eventName: 'Unsubscribe', resourceType: 'AWS::SNS::Subscription', field: 'subscriptionArn', effect: fixed('a subscriber no longer receives the alerts') },
  {
    eventSource: SNS,
    eventName: 'SetSubscriptionAttributes',
    resourceType: 'AWS::SNS::Subscription',
    field: 'subscriptionArn',
    effect: (p) => `the subscription's ${text(p, 'attributeName') ?? 'settings'} changed: alerts may be filtered out or delivered elsewhere`,
  },
  // CloudWatch Logs: the EKS audit log feed
  {
    eventSource: 'logs.amazonaws.com',
    eventName: 'DeleteSubscriptionFilter',
    resourceType: 'AWS::Logs::SubscriptionFilter',
    field: 'logGroupName',
    effect: (p) => `subscription filter ${text(p, 'filterName') ?? '?'} was deleted: in-cluster writes in this audit log reach nobody`,
  },
  // CloudFormation: the stack itself
  { eventSource: 'cloudformation.amazonaws.com', eventName: 'DeleteStack', resourceType: 'AWS::CloudFormation::Stack', field: 'stackName', effect: fixed('the detector is being removed') },
  { eventSource: 'cloudformation.amazonaws.com', eventName: 'UpdateStack', resourceType: 'AWS::CloudFormation::Stack', field: 'stackName', effect: fixed('the detector\'s stack changed (expected right after your own deploy)') },
  {
    eventSource: 'cloudformation.amazonaws.com',
    eventName: 'ExecuteChangeSet',
    resourceType: 'AWS::CloudFormation::Stack',
    field: 'stackName',
    effect: fixed('a change set was applied to the detector\'s stack (expected right after your own deploy)'),
  },
  // KMS: the key of the topic, table and dead-letter queue
  { eventSource: 'kms.amazonaws.com', eventName: 'DisableKey', resourceType: 'AWS::KMS::Key', field: 'keyId', effect: fixed('the alerts key is disabled: the topic, table and dead-letter queue stop working') },
  {
    eventSource: 'kms.amazonaws.com',
    eventName: 'ScheduleKeyDeletion',
    resourceType: 'AWS::KMS::Key',
    field: 'keyId',
    effect: (p) => `the alerts key will be deleted in ${text(p, 'pendingWindowInDays') ?? 'a few'} days: everything encrypted with it becomes unreadable (CancelKeyDeletion undoes it)`,
  },
  { eventSource: 'kms.amazonaws.com', eventName: 'PutKeyPolicy', resourceType: 'AWS::KMS::Key', field: 'keyId', effect: fixed('who may use or manage the alerts key changed') },
  // IAM: the detector's roles (IAM records reach EventBridge in us-east-1 only)
  ...['PutRolePolicy', 'DeleteRolePolicy', 'AttachRolePolicy', 'DetachRolePolicy', 'PutRolePermissionsBoundary', 'UpdateAssumeRolePolicy'].map(
    (eventName): GuardedCall => ({
      eventSource: 'iam.amazonaws.com',
      eventName,
      resourceType: 'AWS::IAM::Role',
      field: 'roleName',
      effect: fixed('a detector role\'s permissions changed outside the stack: reads may fail, or the role may do more than it should'),
    }),
  ),
  // SSM: the Slack webhook URL
  { eventSource: 'ssm.amazonaws.com', eventName: 'PutParameter', resourceType: 'AWS::SSM::Parameter', field: 'name', effect: fixed('the Slack webhook URL changed (expected when you set it yourself): Slack alerts may go to another workspace') },
  { eventSource: 'ssm.amazonaws.com', eventName: 'DeleteParameter', resourceType: 'AWS::SSM::Parameter', field: 'name', effect: fixed('the Slack webhook URL is gone: Slack alerts fail') },
];

export function guardedCall(eventSource: string, eventName: string): GuardedCall | undefined {
  return GUARDED_CALLS.find((c) => c.eventSource === eventSource && c.eventName === eventName);
}
