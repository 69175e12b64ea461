import { WorldReader } from '../../src/inventory/worldReader';
import { parseWorld, type World } from '../../src/inventory/world';
import { AWS_POLICY_MAX_AGE_MS, isAwsManagedPolicy, withKeptAwsPolicies } from '../../src/inventory/awsManagedPolicies';
import { readRoleDetails } from '../../src/inventory/iamRoles';
import { MemoryFindingStore } from '../../src/findings/memoryStore';
import { countingCalls } from '../events/support';

/**
 * AWS managed policies are AWS's to publish: a kept check of one answers GetPolicy/GetPolicyVersion until it is
 * older than the caller allows. Customer managed policies, and what a role has attached, are read live every time.
 */
const ACCOUNT = '111122223333';
const SSM = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';
const CUSTOM = `arn:aws:iam::${ACCOUNT}:policy/node-extras`;
const doc = (...actions: string[]) => encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }));

function world(ssmDefault = 'v2'): World {
  return parseWorld(
    {
      account: ACCOUNT,
      region: 'us-east-1',
      iam: {
        roles: [{ RoleName: 'nodes', Arn: `arn:aws:iam::${ACCOUNT}:role/nodes`, attachedPolicies: [{ PolicyName: 'AmazonSSMManagedInstanceCore', PolicyArn: SSM }, { PolicyName: 'node-extras', PolicyArn: CUSTOM }] }],
        policies: [
          {
            PolicyName: 'AmazonSSMManagedInstanceCore',
            Arn: SSM,
            Path: '/',
            DefaultVersionId: ssmDefault,
            AttachmentCount: 7,
            PolicyVersionList: [
              { VersionId: 'v2', IsDefaultVersion: ssmDefault === 'v2', Document: doc('ssm:UpdateInstanceInformation', 'ssmmessages:*') },
              { VersionId: 'v3', IsDefaultVersion: ssmDefault === 'v3', Document: doc('ssm:UpdateInstanceInformation') },
            ],
          },
          { PolicyName: 'node-extras', Arn: CUSTOM, DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: doc('s3:GetObject') }] },
        ],
      },
    },
    'test',
  );
}

const at = (hours: number) => new Date(Date.UTC(2026, 10, 1, hours));

/** What reading the role's documents asked IAM, through a reader keeping checks in `store` as of `now`. */
async function readAt(w: World, store: MemoryFindingStore, now: Date, freshSince = new Date(now.getTime() - AWS_POLICY_MAX_AGE_MS)) {
  const { proxy, calls } = countingCalls(new WorldReader(w));
  const asked: string[] = [];
  const spying = new Proxy(proxy, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'getPolicy' && prop !== 'getPolicyVersion') return v;
      return (...a: string[]) => (asked.push(`${prop} ${a.join(' ')}`), (v as (...x: string[]) => unknown)(...a));
    },
  });
  const details = await readRoleDetails(withKeptAwsPolicies(spying, store.state, { freshSince, now: () => now }), `arn:aws:iam::${ACCOUNT}:role/nodes`, ACCOUNT, { documents: true });
  return { details, asked, calls };
}

describe('AWS managed policies kept in the store', () => {
  it('a kept check answers the next reader: the document is the same, IAM is not asked again', async () => {
    const store = new MemoryFindingStore();
    const first = await readAt(world(), store, at(0));
    expect(first.asked.sort()).toEqual([`getPolicy ${SSM}`, `getPolicy ${CUSTOM}`, `getPolicyVersion ${SSM} v2`, `getPolicyVersion ${CUSTOM} v1`].sort());
    const later = await readAt(world(), store, at(5));
    expect(later.asked.filter((a) => a.includes(SSM))).toEqual([]);
    expect(later.details.managedPolicies[SSM].version?.Document).toBe(first.details.managedPolicies[SSM].version?.Document);
    expect(later.details.managedPolicies[SSM].policy).toMatchObject({ Arn: SSM, DefaultVersionId: 'v2' });
  });

  it('a customer managed policy, and what the role has attached, are read live every time', async () => {
    const store = new MemoryFindingStore();
    await readAt(world(), store, at(0));
    const later = await readAt(world(), store, at(1));
    expect(later.asked.sort()).toEqual([`getPolicy ${CUSTOM}`, `getPolicyVersion ${CUSTOM} v1`]);
    expect(later.calls).toMatchObject({ getRole: 1, listAttachedRolePolicies: 1, listRolePolicies: 1 });
    expect(await store.state.awsPolicy(CUSTOM)).toBeUndefined();
  });

  it('a new default version AWS publishes is used once the kept check is older than the bound', async () => {
    const store = new MemoryFindingStore();
    await readAt(world('v2'), store, at(0));
    // AWS made v3 the default at hour 2. Within the bound the kept v2 still answers; past it, IAM is asked again.
    const within = await readAt(world('v3'), store, new Date(at(0).getTime() + AWS_POLICY_MAX_AGE_MS));
    expect(within.details.managedPolicies[SSM].version?.VersionId).toBe('v2');
    const past = await readAt(world('v3'), store, new Date(at(0).getTime() + AWS_POLICY_MAX_AGE_MS + 1));
    expect(past.asked.filter((a) => a.includes(SSM))).toEqual([`getPolicy ${SSM}`, `getPolicyVersion ${SSM} v3`]);
    expect(past.details.managedPolicies[SSM].version).toMatchObject({ VersionId: 'v3', Document: doc('ssm:UpdateInstanceInformation') });
    expect(await store.state.awsPolicy(SSM)).toMatchObject({ policy: { DefaultVersionId: 'v3' }, version: { VersionId: 'v3' } });
  });

  it('a check made again whose default did not move reuses the kept document (one GetPolicy) and is dated anew', async () => {
    const store = new MemoryFindingStore();
    await readAt(world(), store, at(0));
    const again = await readAt(world(), store, at(3), at(2));
    expect(again.asked.filter((a) => a.includes(SSM))).toEqual([`getPolicy ${SSM}`]);
    expect((await store.state.awsPolicy(SSM))?.checkedAt).toBe(at(3).toISOString());
  });

  it('keeps neither the account’s attachment count nor a policy IAM does not know', async () => {
    const store = new MemoryFindingStore();
    await readAt(world(), store, at(0));
    expect((await store.state.awsPolicy(SSM))?.policy).not.toHaveProperty('AttachmentCount');
    const gone = world();
    gone.iam.policies = gone.iam.policies.filter((p) => p.Arn !== SSM);
    const fresh = new MemoryFindingStore();
    expect((await readAt(gone, fresh, at(0))).details.managedPolicies[SSM]).toEqual({});
    expect(await fresh.state.awsPolicy(SSM)).toBeUndefined();
    expect((await readAt(gone, fresh, at(1))).asked).toContain(`getPolicy ${SSM}`);
  });

  it('knows an AWS managed policy by its ARN in every partition, and nothing else', () => {
    expect(['arn:aws:iam::aws:policy/AdministratorAccess', 'arn:aws-cn:iam::aws:policy/service-role/AmazonEC2RoleforSSM', 'arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess'].every(isAwsManagedPolicy)).toBe(true);
    expect([CUSTOM, 'arn:aws:iam::aws:policyx/AdministratorAccess', 'arn:aws:iam::aws:role/AdministratorAccess', 'arn:aws:iam::awsx:policy/AdministratorAccess', 'AmazonSSMManagedInstanceCore'].some(isAwsManagedPolicy)).toBe(false);
  });
});
