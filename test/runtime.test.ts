import { mockClient } from 'aws-sdk-client-mock';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { identityOf } from '../src/runtime';
import { SdkReader } from '../src/inventory/sdkReader';
import { lambdaContext } from './support/lambdaContext';

describe('the Lambda reader knows its account from the invocation', () => {
  it('takes the account and region of the function ARN Lambda invoked', () => {
    expect(identityOf(lambdaContext('eks-drift-prod-securityGroupChanged'))).toEqual({ account: '123456789012', region: 'us-east-1' });
    expect(identityOf({ invokedFunctionArn: 'arn:aws-cn:lambda:cn-north-1:111122223333:function:eks-drift-prod-sweep:live' })).toEqual({ account: '111122223333', region: 'cn-north-1' });
    expect(identityOf({ invokedFunctionArn: 'not an arn' })).toBeUndefined();
    expect(identityOf(undefined)).toBeUndefined();
  });

  it('so a freshly started container asks STS nothing; without it, STS once', async () => {
    const sts = mockClient(STSClient);
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
    try {
      const known = new SdkReader({ region: 'us-east-1', identity: { account: '123456789012', region: 'us-east-1' } });
      expect(await known.identity()).toEqual({ account: '123456789012', region: 'us-east-1' });
      expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
      const asking = new SdkReader({ region: 'us-east-1', clientConfig: { credentials: { accessKeyId: 'x', secretAccessKey: 'y' } } });
      await asking.identity();
      await asking.identity();
      expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    } finally {
      sts.restore();
    }
  });
});
