import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors';
import { loadWorld, parseWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import { buildClusterView } from '../../src/inventory/buildView';
import { ACCOUNT, REGION, prodWorld, world } from './worlds';

const reader = (raw?: Record<string, unknown>) => new WorldReader(world(raw));
const ids = <T>(xs: T[], key: keyof T) => xs.map((x) => x[key]).sort();

describe('world file: validation at the boundary', () => {
  it('names the path of a bad field', () => {
    const raw = prodWorld() as { eks: { clusters: Record<string, unknown>[] } };
    raw.eks.clusters[0].resourcesVpcConfig = { subnetIds: 'subnet-a' };
    expect(() => parseWorld(raw, 'world.json')).toThrow(InputError);
    expect(() => parseWorld(raw, 'world.json')).toThrow('world.json: at eks.clusters[0].resourcesVpcConfig.subnetIds: Expected array, received string');
  });

  it('rejects ids that are not strings and sections that are not lists', () => {
    expect(() => parseWorld({ account: ACCOUNT, region: REGION, ec2: { securityGroups: [{ GroupId: 42 }] } }, 'w.json')).toThrow(
      'w.json: at ec2.securityGroups[0].GroupId: Expected string, received number',
    );
    expect(() => parseWorld({ account: ACCOUNT, region: REGION, eks: { nodegroups: {} } }, 'w.json')).toThrow('at eks.nodegroups: Expected array, received object');
  });

  it('rejects a node group that does not say which cluster it belongs to', () => {
    expect(() => parseWorld({ account: ACCOUNT, region: REGION, eks: { nodegroups: [{ nodegroupName: 'ng' }] } }, 'w.json')).toThrow('at eks.nodegroups[0].clusterName: Required');
  });

  it('rejects an unparsable date', () => {
    expect(() => parseWorld({ account: ACCOUNT, region: REGION, eks: { clusters: [{ name: 'c', createdAt: 'yesterday' }] } }, 'w.json')).toThrow(
      'at eks.clusters[0].createdAt: Invalid date: "yesterday"',
    );
  });

  it('keeps fields it does not know (real describe-* output passes through)', () => {
    const w = world({ account: ACCOUNT, region: REGION, eks: { clusters: [{ name: 'c', platformVersion: 'eks.7', kubernetesNetworkConfig: { ipFamily: 'ipv4' } }] } });
    expect(w.eks.clusters[0]).toMatchObject({ platformVersion: 'eks.7', kubernetesNetworkConfig: { ipFamily: 'ipv4' } });
  });

  it('turns ISO strings, epoch seconds and epoch milliseconds into Dates', () => {
    const w = world({
      account: ACCOUNT,
      region: REGION,
      eks: { clusters: [{ name: 'a', createdAt: '2026-03-01T10:00:00Z' }, { name: 'b', createdAt: 1772359200 }, { name: 'c', createdAt: 1772359200000 }] },
    });
    for (const c of w.eks.clusters) expect(c.createdAt).toEqual(new Date('2026-03-01T10:00:00Z'));
  });

  it('treats missing sections as no resources', async () => {
    const r = reader({ account: ACCOUNT, region: REGION });
    expect(await r.listClusters()).toEqual([]);
    expect(await r.describeSecurityGroups({ groupIds: ['sg-1'] })).toEqual([]);
    expect(await r.describeTrails()).toEqual([]);
    expect(await r.lookupEvents({ eventName: 'CreateCluster' })).toEqual([]);
  });

  it('takes account and region from the first cluster ARN when the file omits them', async () => {
    const r = reader({ eks: { clusters: [{ name: 'c', arn: 'arn:aws:eks:eu-west-1:444455556666:cluster/c' }] } });
    expect(await r.identity()).toEqual({ account: '444455556666', region: 'eu-west-1' });
    expect(() => parseWorld({}, 'empty.json')).toThrow('empty.json: at account: Required');
  });

  it('loadWorld reports unreadable files and invalid JSON with the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'world-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(() => loadWorld(bad)).toThrow(`${bad}: not valid JSON`);
    expect(() => loadWorld(join(dir, 'missing.json'))).toThrow('cannot read world file');
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(prodWorld()));
    expect(loadWorld(good).eks.clusters.map((c) => c.name)).toEqual(['prod', 'other']);
  });
});

describe('world file: IAM and Auto Scaling', () => {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const withRole = (doc: unknown) => ({ account: ACCOUNT, region: REGION, iam: { roles: [{ RoleName: 'nodes', Arn: `arn:aws:iam::${ACCOUNT}:role/nodes`, AssumeRolePolicyDocument: doc }] } });

  it('accepts a policy document as the AWS CLI prints it (an object), the SDK returns it (URL-encoded), or a JSON string', async () => {
    for (const doc of [trust, encodeURIComponent(JSON.stringify(trust)), JSON.stringify(trust)]) {
      const role = await reader(withRole(doc)).getRole('nodes');
      expect(typeof role?.AssumeRolePolicyDocument).toBe('string');
    }
  });

  it('names the path of a document that is none of these', () => {
    expect(() => parseWorld(withRole(42), 'w.json')).toThrow('w.json: at iam.roles[0].AssumeRolePolicyDocument: not a policy document: expected a policy document (object or string), got number');
    expect(() => parseWorld(withRole('%7Bbroken'), 'w.json')).toThrow(/at iam\.roles\[0\]\.AssumeRolePolicyDocument: not a policy document: not a JSON policy document/);
    const inline = { account: ACCOUNT, region: REGION, iam: { roles: [{ Arn: `arn:aws:iam::${ACCOUNT}:role/x`, inlinePolicies: [{ PolicyName: 'p', PolicyDocument: '{' }] }] } };
    expect(() => parseWorld(inline, 'w.json')).toThrow(/at iam\.roles\[0\]\.inlinePolicies\[0\]\.PolicyDocument: not a policy document/);
  });

  it('reads roles, inline policies, instance profiles, managed policy versions and Auto Scaling groups like IAM and Auto Scaling', async () => {
    const r = reader({
      account: ACCOUNT,
      region: REGION,
      iam: {
        roles: [
          {
            RoleName: 'nodes',
            Arn: `arn:aws:iam::${ACCOUNT}:role/nodes`,
            attachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy', PolicyName: 'AmazonEKSWorkerNodePolicy' }],
            inlinePolicies: [{ PolicyName: 'ssm', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'ssm:*', Resource: '*' }] } }],
          },
        ],
        instanceProfiles: [{ InstanceProfileName: 'nodes', Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/nodes`, Roles: [{ RoleName: 'nodes', Arn: `arn:aws:iam::${ACCOUNT}:role/nodes` }] }],
        policies: [{ Arn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy', DefaultVersionId: 'v2', PolicyVersionList: [{ VersionId: 'v2', IsDefaultVersion: true, Document: trust }] }],
      },
      autoscaling: { groups: [{ AutoScalingGroupName: 'workers', Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned' }] }, { AutoScalingGroupName: 'web' }] },
    });
    expect(await r.listRolePolicies('nodes')).toEqual(['ssm']);
    expect(await r.getRolePolicy('nodes', 'ssm')).toMatchObject({ RoleName: 'nodes', PolicyName: 'ssm', PolicyDocument: expect.stringContaining('ssm:*') });
    expect(await r.getRolePolicy('nodes', 'nope')).toBeUndefined();
    expect(await r.getRole('gone')).toBeUndefined();
    expect(await r.listAttachedRolePolicies('gone')).toEqual([]);
    expect((await r.getInstanceProfile('nodes'))?.Roles?.[0].Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/nodes`);
    expect((await r.getPolicy('arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy'))?.DefaultVersionId).toBe('v2');
    expect((await r.getPolicyVersion('arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy', 'v2'))?.IsDefaultVersion).toBe(true);
    expect((await r.describeAutoScalingGroups({ filters: [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/prod'] }] })).map((g) => g.AutoScalingGroupName)).toEqual(['workers']);
    expect((await r.describeAutoScalingGroups({ names: ['web', 'nope'] })).map((g) => g.AutoScalingGroupName)).toEqual(['web']);
  });

  it('refuses an Auto Scaling group without a name', () => {
    expect(() => parseWorld({ account: ACCOUNT, region: REGION, autoscaling: { groups: [{ MinSize: 1 }] } }, 'w.json')).toThrow('at autoscaling.groups[0].AutoScalingGroupName: Required');
  });
});

describe('WorldReader', () => {
  it('attaches node groups, access entries and add-ons to their cluster by clusterName', async () => {
    const r = reader();
    expect(await r.listNodegroups('prod')).toEqual(['ng-plain', 'ng-pinned', 'ng-default-lt', 'ng-bare-lt']);
    expect(await r.describeNodegroup('other', 'ng-plain')).toBeUndefined();
    expect((await r.listAccessEntries('prod')).map((e) => e.principalArn)).toEqual([`arn:aws:iam::${ACCOUNT}:role/admin`]);
    expect((await r.listAccessEntries('other'))[0].associatedAccessPolicies).toEqual([]);
    expect(await r.describeAddon('prod', 'vpc-cni')).toMatchObject({ addonName: 'vpc-cni' });
    expect(await r.describeAddon('other', 'vpc-cni')).toBeUndefined();
    expect(await r.describeCluster('gone')).toBeUndefined();
  });

  describe('EC2 filters', () => {
    const r = reader();
    it('vpc-id, group-id and ids', async () => {
      expect(ids(await r.describeSecurityGroups({ filters: [{ Name: 'group-id', Values: ['sg-cp', 'sg-nope'] }] }), 'GroupId')).toEqual(['sg-cp']);
      expect(ids(await r.describeSecurityGroups({ groupIds: ['sg-cp', 'sg-self', 'sg-nope'] }), 'GroupId')).toEqual(['sg-cp', 'sg-self']);
      expect(ids(await r.describeSubnets({ filters: [{ Name: 'vpc-id', Values: ['vpc-2'] }] }), 'SubnetId')).toEqual(['subnet-x']);
      expect(ids(await r.describeSubnets({ subnetIds: ['subnet-a'], filters: [{ Name: 'vpc-id', Values: ['vpc-2'] }] }), 'SubnetId')).toEqual([]);
    });

    it('route tables by association: subnet, table, main', async () => {
      expect(ids(await r.describeRouteTables({ filters: [{ Name: 'association.subnet-id', Values: ['subnet-a'] }] }), 'RouteTableId')).toEqual(['rtb-private']);
      expect(ids(await r.describeRouteTables({ filters: [{ Name: 'association.route-table-id', Values: ['rtb-main'] }] }), 'RouteTableId')).toEqual(['rtb-main']);
      expect(
        ids(await r.describeRouteTables({ filters: [{ Name: 'association.main', Values: ['true'] }, { Name: 'vpc-id', Values: ['vpc-1'] }] }), 'RouteTableId'),
      ).toEqual(['rtb-main']);
    });

    it('network ACLs by association', async () => {
      expect(ids(await r.describeNetworkAcls({ filters: [{ Name: 'association.subnet-id', Values: ['subnet-c'] }] }), 'NetworkAclId')).toEqual(['acl-default']);
      expect(ids(await r.describeNetworkAcls({ filters: [{ Name: 'association.network-acl-id', Values: ['acl-a'] }] }), 'NetworkAclId')).toEqual(['acl-a']);
    });

    it('instances: tags, tag keys, state, groups, subnets; never terminated ones', async () => {
      const q = async (Name: string, Values: string[]) => ids(await r.describeInstances({ filters: [{ Name, Values }] }), 'InstanceId');
      expect(await q('tag-key', ['kubernetes.io/cluster/prod'])).toEqual(['i-self']);
      expect(await q('tag:eks:cluster-name', ['prod'])).toEqual(['i-eks', 'i-managed']);
      expect(await q('tag:eks:cluster-name', ['pr*'])).toEqual(['i-eks', 'i-managed']);
      expect(await q('instance-state-name', ['stopped'])).toEqual(['i-eks']);
      expect(await q('instance.group-id', ['sg-cluster'])).toEqual(['i-managed']);
      expect(await q('subnet-id', ['subnet-c'])).toEqual(['i-eks', 'i-self', 'i-web']);
      expect(await q('network-interface.subnet-id', ['subnet-a'])).toEqual(['i-managed']);
      expect(await r.describeInstances({ instanceIds: ['i-gone'] })).toEqual([]);
    });

    it('throws on a filter it does not know instead of returning everything', async () => {
      await expect(r.describeSecurityGroups({ filters: [{ Name: 'egress.ip-permission.cidr', Values: ['0.0.0.0/0'] }] })).rejects.toThrow(
        'unsupported security group filter "egress.ip-permission.cidr"',
      );
    });
  });

  it('launch template versions: numbers, $Default, $Latest, by id or name', async () => {
    const r = reader();
    const v = async (q: Parameters<WorldReader['describeLaunchTemplateVersions']>[0]) => (await r.describeLaunchTemplateVersions(q)).map((x) => x.VersionNumber);
    expect(await v({ launchTemplateId: 'lt-1', versions: ['2'] })).toEqual([2]);
    expect(await v({ launchTemplateId: 'lt-1', versions: ['$Default'] })).toEqual([1]);
    expect(await v({ launchTemplateName: 'dflt', versions: ['$Latest', '2'] })).toEqual([2, 3]);
    expect(await v({ launchTemplateId: 'lt-404', versions: ['$Default'] })).toEqual([]);
  });

  it('lookupEvents by event name and resource name (Resources or requestParameters.name), newest first', async () => {
    const r = reader();
    expect((await r.lookupEvents({ eventName: 'CreateCluster', resourceName: 'prod' })).map((e) => e.EventId)).toEqual(['ev-ecs', 'ev-new', 'ev-old']);
    expect((await r.lookupEvents({ eventName: 'CreateCluster' })).length).toBe(4);
    expect(await r.lookupEvents({ eventName: 'DeleteCluster', resourceName: 'prod' })).toEqual([]);
    const events = await r.lookupEvents({ eventName: 'CreateCluster', resourceName: 'prod' });
    expect(events[0].EventTime).toEqual(new Date('2026-03-01T09:59:30Z'));
  });

  it('readKubernetes: the recorded objects; undefined when recorded as unreadable; a cluster not recorded at all is a read error, never "no objects"', async () => {
    const raw = prodWorld();
    (raw.kubernetes as Record<string, unknown>).other = null;
    (raw.kubernetes as Record<string, unknown>).empty = {};
    const r = reader(raw);
    const prod = (await r.describeCluster('prod'))!;
    expect((await r.readKubernetes(prod))?.awsAuth?.data?.mapRoles).toContain('system:masters');
    expect(await r.readKubernetes({ name: 'empty' })).toEqual({});
    expect(await r.readKubernetes({ name: 'other' })).toBeUndefined();
    await expect(r.readKubernetes({ name: 'elsewhere' })).rejects.toMatchObject({ code: 'NotRecorded', message: expect.stringContaining('records no Kubernetes objects for cluster elsewhere') });
  });

  it('a cluster the world does not record in "kubernetes" leaves the rules reading aws-auth not evaluated (a snapshot without that section hides nothing)', async () => {
    const raw = prodWorld();
    delete (raw.kubernetes as Record<string, unknown>).prod;
    const view = (await buildClusterView(reader(raw), 'prod', new Set(['kubernetes']), { account: ACCOUNT, region: REGION }))!;
    expect(view.unreadable).toEqual([{ part: 'kubernetes', reason: expect.stringContaining('records no Kubernetes objects for cluster prod') }]);
  });

  it('the version calendar: as recorded, with dates; `null` (unreadable) and absent (not recorded) are read errors, never "no version"', async () => {
    const calendar = [{ clusterVersion: '1.35', clusterType: 'eks', endOfStandardSupportDate: '2027-03-27T00:00:00+00:00', endOfExtendedSupportDate: 1837728000, versionStatus: 'STANDARD_SUPPORT' }];
    const withCalendar = (clusterVersions: unknown) => reader({ ...prodWorld(), eks: { ...(prodWorld().eks as object), clusterVersions } });
    expect(await withCalendar(calendar).describeClusterVersions()).toEqual([
      { ...calendar[0], endOfStandardSupportDate: new Date('2027-03-27T00:00:00Z'), endOfExtendedSupportDate: new Date('2028-03-27T00:00:00Z') },
    ]);
    await expect(withCalendar(null).describeClusterVersions()).rejects.toMatchObject({ code: 'Unreadable' });
    await expect(reader().describeClusterVersions()).rejects.toMatchObject({ code: 'NotRecorded', message: expect.stringContaining('records no eks.clusterVersions') });
    expect(() => parseWorld({ account: ACCOUNT, region: REGION, eks: { clusterVersions: [{ clusterVersion: '1.35', endOfStandardSupportDate: 'someday' }] } }, 'w.json')).toThrow(
      'at eks.clusterVersions[0].endOfStandardSupportDate: Invalid date: "someday"',
    );
  });

  it('recordedAt: when the account was recorded, the moment its views are judged at; a bad one is refused', async () => {
    const recorded = reader({ ...prodWorld(), recordedAt: '2026-11-28T12:00:00Z' });
    expect(recorded.recordedAt).toEqual(new Date('2026-11-28T12:00:00Z'));
    const view = (await buildClusterView(recorded, 'prod', new Set(), { account: ACCOUNT, region: REGION }, { now: new Date('2030-01-01T00:00:00Z') }))!;
    expect(view.asOf).toEqual(new Date('2026-11-28T12:00:00Z'));
    expect(() => parseWorld({ ...prodWorld(), recordedAt: 'last week' }, 'w.json')).toThrow('at recordedAt: Invalid date: "last week"');
  });

  it('trail status and event selectors by ARN, with dates', async () => {
    const r = reader();
    const [trail] = await r.describeTrails();
    expect((await r.getTrailStatus(trail.TrailARN!))?.StartLoggingTime).toEqual(new Date('2026-03-01T10:00:00Z'));
    expect(await r.getEventSelectors(trail.TrailARN!)).toMatchObject({ EventSelectors: [{ ReadWriteType: 'All' }] });
    expect(await r.getTrailStatus('arn:aws:cloudtrail:us-east-1:111122223333:trail/nope')).toBeUndefined();
  });
});
