import { buildClusterView } from '../../src/inventory/buildView';
import type { ViewPart } from '../../src/inventory/view';
import { WorldReader } from '../../src/inventory/worldReader';
import { parseConfig } from '../../src/config';
import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { IDS, instrument, prodWorld, world } from './worlds';

/**
 * The view reflects what is actually attached, and says what it could not read: an attacker who swaps groups on a
 * node's network interface, strips its cluster tags, pins an unreadable launch template version or hides the internet
 * behind a prefix list must not get a silent pass.
 */
const ALL: ViewPart[] = ['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator', 'creatorRole', 'nodeRoles', 'eksLaunchTemplates'];
type Raw = ReturnType<typeof prodWorld> & {
  eks: { nodegroups: Record<string, unknown>[] };
  ec2: Record<string, Record<string, unknown>[]>;
  autoscaling?: { groups: Record<string, unknown>[]; launchConfigurations?: Record<string, unknown>[] };
};
const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
const sshWorld = (GroupId: string, cidr = '0.0.0.0/0') => ({ GroupId, VpcId: 'vpc-1', GroupName: GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: cidr }] }] });

async function evaluate(raw: Raw, faults = {}, ruleIds?: string[]) {
  const r = instrument(new WorldReader(world(raw)), faults);
  const v = (await buildClusterView(r.reader, 'prod', new Set(ALL), IDS))!;
  return { v, result: evaluateCluster(v, parseConfig({}), ruleIds), ...r };
}

/** prod's managed node group ng-plain runs in Auto Scaling group eks-ng-plain; i-managed is one of its nodes. */
function withManagedNode(node: Record<string, unknown>): Raw {
  const raw = prodWorld() as Raw;
  raw.eks.nodegroups[0].resources = { remoteAccessSecurityGroup: 'sg-remote', autoScalingGroups: [{ name: 'eks-ng-plain' }] };
  raw.ec2.instances = raw.ec2.instances.filter((i) => i.InstanceId !== 'i-managed');
  raw.ec2.instances.push({ InstanceId: 'i-managed', SubnetId: 'subnet-a', State: { Name: 'running' }, ...node });
  raw.ec2.securityGroups.push(sshWorld('sg-open'));
  return raw;
}

describe('the groups actually on the nodes', () => {
  it("a managed node whose network interface now carries another group is judged on that group (ModifyNetworkInterfaceAttribute)", async () => {
    const raw = withManagedNode({
      Tags: tags({ 'eks:cluster-name': 'prod', 'eks:nodegroup-name': 'ng-plain', 'aws:autoscaling:groupName': 'eks-ng-plain' }),
      SecurityGroups: [{ GroupId: 'sg-cluster' }, { GroupId: 'sg-open' }],
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-a', Groups: [{ GroupId: 'sg-cluster' }, { GroupId: 'sg-open' }] }],
    });
    const { v, result } = await evaluate(raw, {}, ['no-internet-ssh']);
    expect(v.attachments).toContainEqual({ on: ['instance i-managed (eni-1)'], groupIds: ['sg-cluster', 'sg-open'] });
    expect(result.findings.map((f) => [f.resourceId, f.evidence.usedBy])).toEqual([['sg-open', ['i-managed']]]);
  });

  it('a managed node stripped of its cluster tags is still found through its Auto Scaling group (aws: tags cannot be changed)', async () => {
    const raw = withManagedNode({
      Tags: tags({ 'aws:autoscaling:groupName': 'eks-ng-plain' }),
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-a', Groups: [{ GroupId: 'sg-open' }] }],
    });
    const { result, calls } = await evaluate(raw, {}, ['no-internet-ssh']);
    expect(result.findings.map((f) => f.resourceId)).toEqual(['sg-open']);
    expect(calls.filter((c) => c.method === 'describeInstances').map((c) => c.args[0])).toContainEqual({
      filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: ['eks-ng-plain'] }],
    });
  });

  it('a self-managed node claiming a managed node group by tag alone stays self-managed', async () => {
    const raw = withManagedNode({ Tags: tags({ 'kubernetes.io/cluster/prod': 'owned', 'eks:nodegroup-name': 'ng-plain' }), KeyName: 'ops', SecurityGroups: [{ GroupId: 'sg-cluster' }] });
    const { v } = await evaluate(raw);
    expect(v.selfManagedInstances.map((i) => i.InstanceId)).toContain('i-managed');
  });
});

/** prod's self-managed Auto Scaling group asg-self (tagged for prod), with the given members, template and extra tags. */
function withSelfManagedGroup(raw: Raw, members: string[], extra: Record<string, unknown> = {}): Raw {
  raw.autoscaling = {
    groups: [
      {
        AutoScalingGroupName: 'asg-self',
        VPCZoneIdentifier: 'subnet-a',
        LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '1' },
        Instances: members.map((InstanceId) => ({ InstanceId, LifecycleState: 'InService' })),
        Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned', PropagateAtLaunch: false }],
        ...extra,
      },
    ],
  };
  return raw;
}

describe('self-managed groups and their members', () => {
  it('an untagged member of a self-managed group tagged for the cluster is a node: a group swapped onto it is judged', async () => {
    const raw = withSelfManagedGroup(prodWorld() as Raw, ['i-member']);
    raw.ec2.securityGroups.push(sshWorld('sg-open'));
    raw.ec2.instances.push({
      InstanceId: 'i-member',
      SubnetId: 'subnet-a',
      State: { Name: 'running' },
      Tags: tags({ 'aws:autoscaling:groupName': 'asg-self' }),
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-m', SubnetId: 'subnet-a', Groups: [{ GroupId: 'sg-lt1' }, { GroupId: 'sg-open' }] }],
    });
    const { v, result } = await evaluate(raw, {}, ['no-internet-ssh']);
    expect(v.selfManagedGroups.find((g) => g.group.AutoScalingGroupName === 'asg-self')?.instances.map((i) => i.InstanceId)).toEqual(['i-member']);
    expect(v.attachments).toContainEqual({ on: ['instance i-member (eni-m)'], groupIds: ['sg-lt1', 'sg-open'] });
    expect(result.findings.map((f) => [f.resourceId, f.evidence.usedBy])).toEqual([['sg-open', ['i-member']]]);
  });

  it('members a group lists that its tags already found cost no extra read; one stripped of its tags is read by aws:autoscaling:groupName', async () => {
    const member = { InstanceId: 'i-member', SubnetId: 'subnet-a', State: { Name: 'running' }, SecurityGroups: [{ GroupId: 'sg-lt1' }] };
    const tagged = withSelfManagedGroup(prodWorld() as Raw, ['i-member']);
    tagged.ec2.instances.push({ ...member, Tags: tags({ 'kubernetes.io/cluster/prod': 'owned', 'aws:autoscaling:groupName': 'asg-self' }) });
    const quiet = await evaluate(tagged, {}, ['no-internet-ssh']);
    expect(quiet.calls.filter((c) => c.method === 'describeInstances').map((c) => JSON.stringify(c.args[0]))).not.toContainEqual(expect.stringContaining('aws:autoscaling:groupName'));

    const stripped = withSelfManagedGroup(prodWorld() as Raw, ['i-member']);
    stripped.ec2.instances.push({ ...member, Tags: tags({ 'aws:autoscaling:groupName': 'asg-self' }) });
    const read = await evaluate(stripped, {}, ['no-internet-ssh']);
    expect(read.calls.filter((c) => c.method === 'describeInstances').map((c) => c.args[0])).toContainEqual({ filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: ['asg-self'] }] });
    expect(read.v.selfManagedInstances.map((i) => i.InstanceId)).toContain('i-member');
  });

  it('a group claiming a managed node group by its eks:nodegroup-name tag stays self-managed: its key is reported on it', async () => {
    const raw = prodWorld() as Raw;
    raw.eks.nodegroups[0].resources = { remoteAccessSecurityGroup: 'sg-remote', autoScalingGroups: [{ name: 'eks-ng-plain' }] };
    withSelfManagedGroup(raw, [], { Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned' }, { Key: 'eks:nodegroup-name', Value: 'ng-plain' }] });
    raw.ec2.launchTemplateVersions.find((v) => v.LaunchTemplateId === 'lt-1' && v.VersionNumber === 1)!.LaunchTemplateData = { SecurityGroupIds: ['sg-lt1'], KeyName: 'backdoor' };
    const { v, result } = await evaluate(raw, {}, ['nodegroup-no-ssh-key']);
    expect(v.selfManagedGroups.map((g) => g.group.AutoScalingGroupName)).toEqual(['asg-self']);
    expect(result.findings.map((f) => [f.resourceType, f.resourceId])).toContainEqual(['AWS::AutoScaling::AutoScalingGroup', 'asg-self']);
  });
});

describe('referenced but unreadable: never a silent pass', () => {
  it('a node group pinning a launch template version that cannot be read leaves the rules that read it not evaluated', async () => {
    const raw = prodWorld() as Raw;
    raw.eks.nodegroups[1].launchTemplate = { id: 'lt-1', name: 'pinned', version: '7' };
    const { result, v } = await evaluate(raw);
    expect(v.nodegroups.find((n) => n.nodegroup.nodegroupName === 'ng-pinned')?.launchTemplateProblem).toBe('launch template lt-1 version 7 of node group ng-pinned was not found');
    const notEvaluated = Object.fromEntries(result.notEvaluated.filter((n) => n.reason.includes('lt-1 version 7')).map((n) => [n.ruleId, n.reason]));
    expect(Object.keys(notEvaluated).sort()).toEqual(['no-internet-ingress', 'no-internet-ssh', 'nodegroup-no-ssh-key', 'nodes-no-public-ip']);
    expect(notEvaluated['nodegroup-no-ssh-key']).toContain('launch template lt-1 version 7 of node group ng-pinned was not found');
    expect(result.evaluatedRuleIds).toEqual(expect.arrayContaining(['nodes-in-private-subnets', 'nacl-blocks-ssh', 'cluster-sg-restricted', 'cluster-tagged']));
  });

  it('a self-managed group launching from a template version or a launch configuration that cannot be read: the rules reading it are not evaluated', async () => {
    const pinned = withSelfManagedGroup(prodWorld() as Raw, [], { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '9' } });
    const { v, result } = await evaluate(pinned, {}, ['nodegroup-no-ssh-key', 'nodes-no-public-ip', 'no-internet-ssh', 'nodes-in-private-subnets']);
    expect(v.selfManagedGroups[0].launchTemplateProblem).toBe('launch template lt-1 version 9 of Auto Scaling group asg-self was not found');
    expect(result.notEvaluated.map((n) => n.ruleId).sort()).toEqual(['no-internet-ssh', 'nodegroup-no-ssh-key', 'nodes-no-public-ip']);
    expect(result.notEvaluated.every((n) => n.reason.includes('lt-1 version 9 of Auto Scaling group asg-self'))).toBe(true);

    const legacy = withSelfManagedGroup(prodWorld() as Raw, [], { LaunchTemplate: undefined, LaunchConfigurationName: 'lc-gone' });
    const gone = await evaluate(legacy, {}, ['nodegroup-no-ssh-key']);
    expect(gone.result.notEvaluated).toEqual([expect.objectContaining({ ruleId: 'nodegroup-no-ssh-key', reason: expect.stringContaining('launch configuration lc-gone of Auto Scaling group asg-self was not found') })]);
  });

  it('a launch template naming its security groups by name (SecurityGroups) leaves the groups of its nodes unknown, not empty', async () => {
    const raw = prodWorld() as Raw;
    const v2 = raw.ec2.launchTemplateVersions.find((v) => v.LaunchTemplateId === 'lt-1' && v.VersionNumber === 2)!;
    v2.LaunchTemplateData = { SecurityGroups: ['wide-open'] };
    const { result } = await evaluate(raw, {}, ['no-internet-ssh', 'nodegroup-no-ssh-key']);
    expect(result.notEvaluated).toEqual([expect.objectContaining({ ruleId: 'no-internet-ssh', reason: expect.stringMatching(/node group ng-pinned .*by name/) })]);
    expect(result.evaluatedRuleIds).toEqual(['nodegroup-no-ssh-key']);
  });

  it('a security group a node uses that no longer exists is named in the evidence of the findings it shares a node with', async () => {
    const raw = withManagedNode({
      Tags: tags({ 'aws:autoscaling:groupName': 'eks-ng-plain' }),
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-a', Groups: [{ GroupId: 'sg-open' }, { GroupId: 'sg-deleted' }] }],
    });
    const { v, result } = await evaluate(raw, {}, ['no-internet-ssh']);
    expect(v.missing).toContainEqual({ kind: 'security group', id: 'sg-deleted', referencedBy: ['i-managed'] });
    expect(result.findings[0].evidence.missing).toEqual([{ kind: 'security group', id: 'sg-deleted', referencedBy: ['i-managed'] }]);
  });

  it('a prefix list referenced by a group is read with its entries; unreadable, the rules judging it are not evaluated', async () => {
    const raw = prodWorld() as Raw;
    raw.ec2.securityGroups.find((g) => g.GroupId === 'sg-self')!.IpPermissions = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: 'pl-halves' }] }];
    raw.ec2.managedPrefixLists = [
      { PrefixListId: 'pl-halves', PrefixListName: 'partners', AddressFamily: 'IPv4', OwnerId: IDS.account, Entries: [{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }] },
    ];
    const ok = await evaluate(raw, {}, ['no-internet-ssh']);
    expect(ok.v.prefixLists).toEqual([expect.objectContaining({ prefixListId: 'pl-halves', entries: [{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }] })]);
    expect(ok.result.findings.map((f) => f.resourceId)).toEqual(['sg-self']);
    const denied = await evaluate(raw, { getManagedPrefixListEntries: 'UnauthorizedOperation' }, ['no-internet-ssh', 'cluster-sg-restricted']);
    expect(denied.result.notEvaluated).toEqual([expect.objectContaining({ ruleId: 'no-internet-ssh', reason: expect.stringContaining('prefix list pl-halves referenced by security group sg-self could not be read') })]);
    expect(denied.result.evaluatedRuleIds).toEqual(['cluster-sg-restricted']);
  });

  it('a prefix list that does not exist (or is no longer shared) is not evaluated either', async () => {
    const raw = prodWorld() as Raw;
    raw.ec2.securityGroups.find((g) => g.GroupId === 'sg-self')!.IpPermissions = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: 'pl-gone' }] }];
    const { result } = await evaluate(raw, {}, ['no-internet-ssh']);
    expect(result.notEvaluated[0].reason).toMatch(/prefix list pl-gone .* does not exist/);
  });

  it('a route through a prefix list is read in the network part', async () => {
    const raw = prodWorld() as Raw;
    raw.ec2.routeTables.find((t) => t.RouteTableId === 'rtb-private')!.Routes = [{ DestinationPrefixListId: 'pl-halves', GatewayId: 'igw-1' }];
    raw.ec2.managedPrefixLists = [{ PrefixListId: 'pl-halves', PrefixListName: 'partners', AddressFamily: 'IPv4', Entries: [{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }] }];
    const { result } = await evaluate(raw, {}, ['nodes-in-private-subnets']);
    // subnet-b and subnet-c were public already (the main table's 0.0.0.0/0); subnet-a is public through the list.
    expect(result.findings.map((f) => f.resourceId).sort()).toEqual(['subnet-a', 'subnet-b', 'subnet-c']);
  });
});
