'use strict';
/**
 * serverless.yml's `${file(./scripts/alert-subscribers.js)}`: the SNS endpoints allowed to subscribe to the alert
 * topics, as a plain list for the topic policies: the stack's own functions (every function named with the stack
 * prefix: the Slack notifier and any sink; creating a look-alike outside the stack is a self-protection alert), plus
 * the `alertSubscribers` parameter (comma-separated e-mail addresses, patterns like *@example.com, queue ARNs).
 */
module.exports = async ({ resolveVariable }) => {
  const stackName = await resolveVariable('self:custom.stackName');
  const listed = String((await resolveVariable('param:alertSubscribers')) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [{ 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${stackName}-*` }, ...listed];
};
