import { mockClient } from 'aws-sdk-client-mock';
import {
  EKSClient,
  DescribeAccessEntryCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribeClusterVersionsCommand,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { EC2Client, DescribeSecurityGroupsCommand, DescribeInstancesCommand, GetManagedPrefixListEntriesCommand } from '@aws-sdk/client-ec2';
import { CloudTrailClient, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand, LookupEventsCommand, TrailNotFoundException } from '@aws-sdk/client-cloudtrail';
import { SdkReader } from '../../src/inventory/sdkReader';
import { ReadError } from '../../src/inventory/reader';
import { buildClusterView } from '../../src/inventory/buildView';
import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { defaultConfig } from '../../src/config';
import { createClusterEvent } from './worlds';

/** What moto cannot serve (TOOLCHAIN.md) and injected faults: pagination loops, AccessDenied, throttling, not-found codes. */
const eks = mockClient(EKSClient);
const ec2 = mockClient(EC2Client);
const cloudtrail = mockClient(CloudTrailClient);

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: {} });
const reader = () => new SdkReader({ region: 'us-east-1', clientConfig: { maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } } });

beforeEach(() => {
  eks.reset();
  ec2.reset();
  cloudtrail.reset();
});

describe('SdkReader: EKS calls moto does not serve', () => {
  it('access entries: every page of ListAccessEntries, each described with its associated policies', async () => {
    eks
      .on(ListAccessEntriesCommand, { clusterName: 'prod' })
      .resolvesOnce({ accessEntries: ['arn:r1'], nextToken: 't1' })
      .resolvesOnce({ accessEntries: ['arn:r2', 'arn:gone'] });
    eks.on(DescribeAccessEntryCommand, { principalArn: 'arn:r1' }).resolves({ accessEntry: { principalArn: 'arn:r1', type: 'STANDARD' } });
    eks.on(DescribeAccessEntryCommand, { principalArn: 'arn:r2' }).resolves({ accessEntry: { principalArn: 'arn:r2' } });
    eks.on(DescribeAccessEntryCommand, { principalArn: 'arn:gone' }).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    eks
      .on(ListAssociatedAccessPoliciesCommand, { principalArn: 'arn:r1' })
      .resolvesOnce({ associatedAccessPolicies: [{ policyArn: 'p1' }], nextToken: 'n' })
      .resolvesOnce({ associatedAccessPolicies: [{ policyArn: 'p2' }] });
    eks.on(ListAssociatedAccessPoliciesCommand, { principalArn: 'arn:r2' }).resolves({ associatedAccessPolicies: [] });
    eks.on(ListAssociatedAccessPoliciesCommand, { principalArn: 'arn:gone' }).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));

    const entries = await reader().listAccessEntries('prod');
    expect(entries).toEqual([
      { principalArn: 'arn:r1', type: 'STANDARD', associatedAccessPolicies: [{ policyArn: 'p1' }, { policyArn: 'p2' }] },
      { principalArn: 'arn:r2', associatedAccessPolicies: [] },
    ]);
    expect(eks.commandCalls(ListAccessEntriesCommand)[1].args[0].input).toMatchObject({ nextToken: 't1' });
  });

  it('a missing add-on or cluster is undefined; AccessDenied is a ReadError naming the operation', async () => {
    eks.on(DescribeAddonCommand).rejects(new ResourceNotFoundException({ message: 'No addon', $metadata: {} }));
    expect(await reader().describeAddon('prod', 'vpc-cni')).toBeUndefined();
    eks.on(DescribeClusterCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform eks:DescribeCluster'));
    const err = await reader().describeCluster('prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadError);
    expect(err).toMatchObject({ operation: 'eks:DescribeCluster', code: 'AccessDeniedException' });
  });

  it('keeps the cluster fields moto drops (clusterSecurityGroupId, vpcId, accessConfig) as EKS returns them, without extra calls', async () => {
    eks.on(DescribeClusterCommand).resolves({
      cluster: {
        name: 'prod',
        resourcesVpcConfig: { subnetIds: ['subnet-1'], clusterSecurityGroupId: 'sg-c', vpcId: 'vpc-1' },
        accessConfig: { authenticationMode: 'API' },
      },
    });
    const c = await reader().describeCluster('prod');
    expect(c?.resourcesVpcConfig).toMatchObject({ clusterSecurityGroupId: 'sg-c', vpcId: 'vpc-1' });
    expect(c?.accessConfig?.authenticationMode).toBe('API');
    expect(ec2.calls()).toHaveLength(0);
  });

  it('throttling that outlasts the retries is a ReadError, never an empty answer', async () => {
    ec2.on(DescribeSecurityGroupsCommand).rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));
    await expect(reader().describeSecurityGroups({ groupIds: ['sg-1'] })).rejects.toMatchObject({ code: 'RequestLimitExceeded', operation: 'ec2:DescribeSecurityGroups' });
  });
});

describe('SdkReader: DescribeClusterVersions (moto does not serve it)', () => {
  const standard = { clusterVersion: '1.35', clusterType: 'eks', endOfStandardSupportDate: new Date('2027-03-27T00:00:00Z'), endOfExtendedSupportDate: new Date('2028-03-27T00:00:00Z'), versionStatus: 'STANDARD_SUPPORT' as const };
  // As read in early March 2026, while 1.32 was still in standard support.
  const v132 = { clusterVersion: '1.32', clusterType: 'eks', endOfStandardSupportDate: new Date('2026-03-23T00:00:00Z'), endOfExtendedSupportDate: new Date('2027-03-23T00:00:00Z'), versionStatus: 'STANDARD_SUPPORT' as const };

  it('reads every page, asking for every version (includeAll)', async () => {
    eks.on(DescribeClusterVersionsCommand).resolvesOnce({ clusterVersions: [standard], nextToken: 'n1' }).resolvesOnce({ clusterVersions: [v132] });
    expect(await reader().describeClusterVersions()).toEqual([standard, v132]);
    const [first, second] = eks.commandCalls(DescribeClusterVersionsCommand).map((c) => c.args[0].input);
    expect(first).toMatchObject({ includeAll: true });
    expect(second).toMatchObject({ includeAll: true, nextToken: 'n1' });
  });

  it('AccessDenied is a ReadError naming the operation, never an empty calendar', async () => {
    eks.on(DescribeClusterVersionsCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: eks:DescribeClusterVersions'));
    await expect(reader().describeClusterVersions()).rejects.toMatchObject({ operation: 'eks:DescribeClusterVersions', code: 'AccessDeniedException' });
  });

  it('through the view: the calendar decides at the evaluation\'s moment; denied, the configured minimum does and says why', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'prod', arn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod', version: '1.32', status: 'ACTIVE' } });
    eks.on(DescribeClusterVersionsCommand).resolves({ clusterVersions: [standard, v132] });
    const ids = { account: '111122223333', region: 'us-east-1' };
    const judge = async (now: Date) => {
      const view = (await buildClusterView(reader(), 'prod', new Set(['clusterVersions']), ids, { now }))!;
      return evaluateCluster(view, defaultConfig, ['kubernetes-version-supported']).findings;
    };
    expect(await judge(new Date('2026-03-22T00:00:00Z'))).toEqual([]);
    expect((await judge(new Date('2026-03-24T00:00:00Z')))[0]).toMatchObject({ severity: 'medium', evidence: { decidedBy: 'DescribeClusterVersions', support: 'extended' } });
    expect((await judge(new Date('2027-03-24T00:00:00Z')))[0]).toMatchObject({ severity: 'high', evidence: { support: 'ended' } });

    eks.on(DescribeClusterVersionsCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    const [denied] = await judge(new Date('2026-03-22T00:00:00Z'));
    expect(denied.evidence).toMatchObject({ decidedBy: 'config minimumKubernetesVersion', calendarUnavailable: expect.stringContaining('eks:DescribeClusterVersions failed: AccessDeniedException') });
  });
});

describe('SdkReader: EC2 not-found and pagination', () => {
  it('one unknown id in a batch: asks for each id alone and keeps those that exist', async () => {
    ec2.on(DescribeSecurityGroupsCommand).callsFake((input: { GroupIds?: string[] }) => {
      if (input.GroupIds?.includes('sg-gone')) throw awsError('InvalidGroup.NotFound', "The security group 'sg-gone' does not exist");
      return { SecurityGroups: (input.GroupIds ?? []).map((GroupId) => ({ GroupId })) };
    });
    expect((await reader().describeSecurityGroups({ groupIds: ['sg-1', 'sg-gone', 'sg-2'] })).map((g) => g.GroupId)).toEqual(['sg-1', 'sg-2']);
    expect(await reader().describeSecurityGroups({ groupIds: ['sg-gone'] })).toEqual([]);
  });

  it('follows NextToken to the last page and drops terminated instances', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: 'running' } }] }], NextToken: 'p2' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-2', State: { Name: 'terminated' } }] }], NextToken: 'p3' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-3', State: { Name: 'stopped' } }] }] });
    const out = await reader().describeInstances({ filters: [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/prod'] }] });
    expect(out.map((i) => i.InstanceId)).toEqual(['i-1', 'i-3']);
    // (the SDK paginator reuses one input object, so only the call count and the last token are observable)
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(3);
    expect(ec2.commandCalls(DescribeInstancesCommand)[2].args[0].input.NextToken).toBe('p3');
  });

  it('sends the launch-template-id instance filter as the aws:ec2launchtemplate:id tag filter EC2 understands', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await reader().describeInstances({ filters: [{ Name: 'launch-template-id', Values: ['lt-1'] }] });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters).toEqual([{ Name: 'tag:aws:ec2launchtemplate:id', Values: ['lt-1'] }]);
  });
});

describe('SdkReader: CloudTrail', () => {
  it('LookupEvents by EventName across pages, matched to the resource name', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [createClusterEvent('e1', 'other', '2026-01-02T00:00:00Z', 'arn:x')].map(withDate), NextToken: 'n1' })
      .resolvesOnce({ Events: [createClusterEvent('e2', 'prod', '2026-01-01T00:00:00Z', 'arn:y')].map(withDate) });
    const events = await reader().lookupEvents({ eventName: 'CreateCluster', resourceName: 'prod' });
    expect(events.map((e) => e.EventId)).toEqual(['e2']);
    const inputs = cloudtrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
    expect(inputs[0].LookupAttributes).toEqual([{ AttributeKey: 'EventName', AttributeValue: 'CreateCluster' }]);
    expect(inputs[1].NextToken).toBe('n1');
  });

  it('trails include shadow trails; status without SDK metadata; a deleted trail has no status', async () => {
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [{ Name: 't', TrailARN: 'arn:t' }] });
    cloudtrail.on(GetTrailStatusCommand, { Name: 'arn:t' }).resolves({ IsLogging: false, $metadata: { httpStatusCode: 200 } });
    cloudtrail.on(GetTrailStatusCommand, { Name: 'arn:gone' }).rejects(new TrailNotFoundException({ message: 'Unknown trail', $metadata: {} }));
    cloudtrail.on(GetEventSelectorsCommand).resolves({ TrailARN: 'arn:t', EventSelectors: [{ ReadWriteType: 'ReadOnly' }], $metadata: {} });
    const r = reader();
    expect(await r.describeTrails()).toEqual([{ Name: 't', TrailARN: 'arn:t' }]);
    expect(cloudtrail.commandCalls(DescribeTrailsCommand)[0].args[0].input).toEqual({ includeShadowTrails: true });
    expect(await r.getTrailStatus('arn:t')).toEqual({ IsLogging: false });
    expect(await r.getTrailStatus('arn:gone')).toBeUndefined();
    expect(await r.getEventSelectors('arn:t')).toEqual({ EventSelectors: [{ ReadWriteType: 'ReadOnly' }] });
  });
});

function withDate<T extends { EventTime: string }>(e: T) {
  return { ...e, EventTime: new Date(e.EventTime) };
}

describe('SdkReader: prefix list entries', () => {
  it('reads every page; a list EC2 does not know is undefined; AccessDenied is a ReadError (the rules reading it are not evaluated)', async () => {
    ec2
      .on(GetManagedPrefixListEntriesCommand, { PrefixListId: 'pl-1' })
      .resolvesOnce({ Entries: [{ Cidr: '0.0.0.0/1' }], NextToken: 'n' })
      .resolvesOnce({ Entries: [{ Cidr: '128.0.0.0/1' }] });
    expect(await reader().getManagedPrefixListEntries('pl-1')).toEqual([{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }]);
    ec2.on(GetManagedPrefixListEntriesCommand, { PrefixListId: 'pl-gone' }).rejects(awsError('InvalidPrefixListID.NotFound'));
    expect(await reader().getManagedPrefixListEntries('pl-gone')).toBeUndefined();
    ec2.on(GetManagedPrefixListEntriesCommand, { PrefixListId: 'pl-shared' }).rejects(awsError('UnauthorizedOperation'));
    await expect(reader().getManagedPrefixListEntries('pl-shared')).rejects.toThrow('ec2:GetManagedPrefixListEntries failed: UnauthorizedOperation');
  });
});
