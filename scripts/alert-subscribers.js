'use strict';
/**
 * serverless.yml's `${file(./scripts/alert-subscribers.js)}`: the SNS endpoints allowed to subscribe to the alert
 * topics, as a plain list for the topic policies: the stack's Slack notifier, plus the `alertSubscribers` parameter
 * (comma-separated e-mail addresses, patterns like *@example.com, queue or function ARNs).
 */
module.exports = async ({ resolveVariable }) => {
  const listed = String((await resolveVariable('param:alertSubscribers')) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [{ 'Fn::GetAtt': ['SlackNotifierLambdaFunction', 'Arn'] }, ...listed];
};
