import type { SNSEvent } from 'aws-lambda';
import type { Logger } from '../log';
import { LambdaLogger } from '../lambdaLogger';

/**
 * The Lambda handler of a findings-topic subscriber (Slack, Security Hub, the organisation bus): Powertools logging
 * and metrics around it, and the subscriber built from the environment at the first invocation of a container and
 * reused by the next ones. A subscriber that throws fails the invocation, so SNS retries and the on-failure
 * destination keep the notification.
 */
export function snsSubscriberHandler<R>(build: (env: NodeJS.ProcessEnv, log: Logger) => (event: SNSEvent) => Promise<R>) {
  const log = new LambdaLogger();
  let run: ((event: SNSEvent) => Promise<R>) | undefined;
  return log.handler(async (event: SNSEvent) => {
    run ??= build(process.env, log);
    return run(event);
  });
}
