import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from './moto';

describeWithMoto('moto harness', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => moto?.stop());

  it('serves STS on 127.0.0.1 with the emulator account', async () => {
    const sts = new STSClient(motoClientConfig(moto.endpoint));
    const id = await sts.send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe('123456789012');
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
