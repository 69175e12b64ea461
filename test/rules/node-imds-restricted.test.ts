import type { Instance, LaunchTemplateInstanceMetadataOptions } from '@aws-sdk/client-ec2';
import { buildClusterView } from '../../src/inventory/buildView';
import { WorldReader } from '../../src/inventory/worldReader';
import { evaluateCluster, neededParts } from '../../src/rules/engine/evaluate';
import { instrument, world } from '../inventory/worlds';
import { check, clusterView, config, eksLaunchTemplate, IMDS_LOCKED, launchTemplate, nodegroup, selfManagedGroup, selfManagedInstance, ACCOUNT, REGION } from './fixtures';

const RULE = 'node-imds-restricted';
const HOP_2 = { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' } as const;
const IMDSV1 = { HttpTokens: 'optional', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' } as const;
const NO_IMDS = { HttpTokens: 'optional', HttpPutResponseHopLimit: 2, HttpEndpoint: 'disabled' } as const;

/** A running node's own settings, as DescribeInstances returns them. */
const live = (o: LaunchTemplateInstanceMetadataOptions) => ({ MetadataOptions: { State: 'applied' as const, ...o } as Instance['MetadataOptions'] });

const notEvaluated = (view: ReturnType<typeof clusterView>) => evaluateCluster(view, config(), [RULE]).notEvaluated.map((n) => n.reason);

describe('node-imds-restricted', () => {
  const run = (...ngs: ReturnType<typeof nodegroup>[]) => check(RULE, clusterView({ nodegroups: ngs }));

  describe('a node group with a launch template of its own', () => {
    it('requires tokens but keeps hop limit 2: the token reaches pods — hop limit 1 is compliant', () => {
      const [f] = run(nodegroup('ng-app', {}, launchTemplate({ MetadataOptions: HOP_2 }, 'lt-app', 4)));
      expect(f).toMatchObject({ ruleId: RULE, severity: 'high', resourceType: 'AWS::EC2::LaunchTemplate', resourceId: 'lt-app' });
      expect(f.message).toBe("launch template lt-app (lt-app-name) version 4 lets pods on nodes of ng-app take the node role's credentials (HttpPutResponseHopLimit 2)");
      expect(f.evidence).toMatchObject({ usedBy: ['ng-app'], launches: [{ launchTemplateId: 'lt-app', versionNumber: 4, MetadataOptions: HOP_2, gaps: [{ field: 'HttpPutResponseHopLimit', value: 2, exposure: 'hop limit' }] }] });
      expect(run(nodegroup('ng-app', {}, launchTemplate({ MetadataOptions: IMDS_LOCKED }, 'lt-app', 4)))).toEqual([]);
    });

    it('HttpTokens optional is IMDSv1 whatever the hop limit — no metadata service at all is compliant', () => {
      const [f] = run(nodegroup('ng-app', {}, launchTemplate({ MetadataOptions: IMDSV1 }, 'lt-app')));
      expect(f.evidence).toMatchObject({ launches: [{ gaps: [{ field: 'HttpTokens', value: 'optional', exposure: 'IMDSv1' }] }] });
      expect(run(nodegroup('ng-app', {}, launchTemplate({ MetadataOptions: NO_IMDS }, 'lt-app')))).toEqual([]);
    });

    it('settings the template leaves unset are not pinned: the AMI or the account default decides, and that is said', () => {
      const [f] = run(nodegroup('ng-app', {}, launchTemplate({ InstanceType: 'm6i.large' }, 'lt-app')));
      expect(f.message).toContain('(HttpTokens not set, HttpPutResponseHopLimit not set)');
      const [tokens, hop] = (f.evidence.launches as { gaps: { why: string; value: unknown }[] }[])[0].gaps;
      expect(tokens).toMatchObject({ value: null, why: expect.stringContaining("EC2's own default is optional") });
      expect(hop).toMatchObject({ value: null, why: expect.stringContaining('ImdsSupport v2.0') });
      // Only the hop limit unset: tokens are pinned, the hop limit still depends on the AMI.
      const [onlyHop] = run(nodegroup('ng-app', {}, launchTemplate({ MetadataOptions: { HttpTokens: 'required' } }, 'lt-app')));
      expect(onlyHop.message).toContain('(HttpPutResponseHopLimit not set)');
    });

    it('one finding per template, naming every node group that launches from it', () => {
      const lt = launchTemplate({ MetadataOptions: HOP_2 }, 'lt-shared', 2);
      const fs = run(nodegroup('ng-a', {}, lt), nodegroup('ng-b', {}, lt));
      expect(fs.map((f) => [f.resourceId, f.evidence.usedBy])).toEqual([['lt-shared', ['ng-a', 'ng-b']]]);
    });

    it('a pinned version that cannot be found is not evaluated, never a pass', () => {
      const ng = { ...nodegroup('ng-app', { launchTemplate: { id: 'lt-app', version: '7' } }), launchTemplateProblem: 'launch template lt-app version 7 of node group ng-app was not found' };
      expect(notEvaluated(clusterView({ nodegroups: [ng] }))).toEqual(['launch template lt-app version 7 of node group ng-app was not found']);
    });
  });

  describe('a managed node group without a template of its own runs the one EKS created for it', () => {
    it('is reported on the node group when EKS\'s template keeps hop limit 2 — not when it is locked down', () => {
      const [f] = run({ ...nodegroup('ng-default'), eksLaunchTemplate: eksLaunchTemplate('ng-default', HOP_2, 3) });
      expect(f).toMatchObject({ resourceType: 'AWS::EKS::Nodegroup', resourceId: 'ng-default' });
      expect(f.message).toBe("node group ng-default runs the launch template lt-eks-ng-default version 3 (created by EKS): pods on its nodes can take the node role's credentials (HttpPutResponseHopLimit 2)");
      expect(f.evidence).toMatchObject({ launches: [{ nodegroup: 'ng-default', createdByEks: true, launchTemplateId: 'lt-eks-ng-default', versionNumber: 3, autoScalingGroups: ['eks-ng-default'] }] });
      expect(run(nodegroup('ng-default'))).toEqual([]);
    });

    it('is not evaluated when EKS\'s template cannot be told (or was not read)', () => {
      const unreadable = { ...nodegroup('ng-default'), eksLaunchTemplate: { autoScalingGroups: [], versions: [], problem: 'Auto Scaling group eks-ng-default of node group ng-default was not found' } };
      expect(notEvaluated(clusterView({ nodegroups: [unreadable] }))).toEqual(['Auto Scaling group eks-ng-default of node group ng-default was not found']);
      const { eksLaunchTemplate: _unread, ...notRead } = nodegroup('ng-default');
      expect(notEvaluated(clusterView({ nodegroups: [notRead] }))).toEqual(['the launch template EKS created for node group ng-default was not read']);
    });
  });

  describe('self-managed nodes', () => {
    const self = (o: Parameters<typeof clusterView>[0]) => check(RULE, clusterView({ nodegroups: [], ...o }));

    it('a mixed-instances group is judged on each template it may launch from', () => {
      const group = selfManagedGroup('asg-mixed', { templates: [launchTemplate({ MetadataOptions: IMDS_LOCKED }, 'lt-x86'), launchTemplate({ MetadataOptions: IMDSV1 }, 'lt-arm')] });
      expect(self({ selfManagedGroups: [group] }).map((f) => [f.resourceId, f.evidence.usedBy])).toEqual([['lt-arm', ['asg-mixed']]]);
    });

    it('a launch configuration carries metadata options too (resourceId its name)', () => {
      const config = { LaunchConfigurationName: 'lc-legacy', ImageId: 'ami-1', InstanceType: 'm5.large', CreatedTime: new Date(), MetadataOptions: { HttpTokens: 'optional' as const } };
      const [f] = self({ selfManagedGroups: [selfManagedGroup('asg-legacy', { config })] });
      expect(f).toMatchObject({ resourceType: 'AWS::AutoScaling::LaunchConfiguration', resourceId: 'lc-legacy' });
    });

    it('an instance started on its own (RunInstances, no template) is judged on its own settings', () => {
      const [f] = self({ selfManagedInstances: [selfManagedInstance('i-debug', live(HOP_2))] });
      expect(f).toMatchObject({ resourceType: 'AWS::EC2::Instance', resourceId: 'i-debug', message: "node i-debug (self-managed, started on its own) lets pods take the node role's credentials (HttpPutResponseHopLimit 2)" });
      expect(self({ selfManagedInstances: [selfManagedInstance('i-debug', live(IMDS_LOCKED))] })).toEqual([]);
    });

    it('a node whose settings are not recorded is not evaluated (DescribeInstances always returns them)', () => {
      expect(notEvaluated(clusterView({ nodegroups: [], selfManagedInstances: [selfManagedInstance('i-debug')] }))).toEqual([
        'instance i-debug carries no MetadataOptions (DescribeInstances always returns them; a world file must record them)',
      ]);
    });
  });

  describe('a node changed after launch (ModifyInstanceMetadataOptions)', () => {
    it('a node weaker than its locked-down template is reported on the instance', () => {
      const changed = selfManagedInstance('i-0abc', { ...live(IMDSV1), Tags: [{ Key: 'aws:autoscaling:groupName', Value: 'ng-app' }] });
      const ng = { ...nodegroup('ng-app', {}, launchTemplate({ MetadataOptions: IMDS_LOCKED }, 'lt-app', 2)), instances: [changed] };
      const [f] = run(ng);
      expect(f).toMatchObject({ resourceType: 'AWS::EC2::Instance', resourceId: 'i-0abc' });
      expect(f.message).toBe("node i-0abc of node group ng-app lets pods take the node role's credentials (HttpTokens optional): weaker than the launch template lt-app (lt-app-name) version 2 it launches from");
      expect(f.evidence).toMatchObject({ MetadataOptions: { HttpTokens: 'optional', HttpPutResponseHopLimit: 1, State: 'applied' }, weakerThan: [{ launchTemplateId: 'lt-app', versionNumber: 2, MetadataOptions: IMDS_LOCKED }] });
    });

    it('a node only as weak as its template is that template\'s finding, not one more per node', () => {
      const node = selfManagedInstance('i-0abc', live(HOP_2));
      const ng = { ...nodegroup('ng-app', {}, launchTemplate({ MetadataOptions: HOP_2 }, 'lt-app')), instances: [node] };
      expect(run(ng).map((f) => f.resourceId)).toEqual(['lt-app']);
      // Weaker in another way than the template (IMDSv1 reopened on top of hop limit 2): reported too.
      const worse = { ...ng, instances: [selfManagedInstance('i-0abc', live({ ...HOP_2, HttpTokens: 'optional' }))] };
      expect(run(worse).map((f) => f.resourceId)).toEqual(['lt-app', 'i-0abc']);
    });

    it('a node of a managed node group is compared with the template EKS created for it', () => {
      const node = selfManagedInstance('i-0abc', live(IMDSV1));
      expect(run({ ...nodegroup('ng-default'), instances: [node] }).map((f) => f.resourceId)).toEqual(['i-0abc']);
    });

    it('a member of a mixed-instances group is compared with the template it was launched from (aws:ec2launchtemplate:id)', () => {
      const member = selfManagedInstance('i-arm', { ...live(IMDSV1), group: 'asg-mixed' });
      member.Tags!.push({ Key: 'aws:ec2launchtemplate:id', Value: 'lt-x86' });
      const group = selfManagedGroup('asg-mixed', { templates: [launchTemplate({ MetadataOptions: IMDS_LOCKED }, 'lt-x86'), launchTemplate({ MetadataOptions: IMDSV1 }, 'lt-arm')], instances: [member] });
      const view = clusterView({ nodegroups: [], selfManagedGroups: [group], selfManagedInstances: [member] });
      expect(check(RULE, view).map((f) => f.resourceId)).toEqual(['lt-arm', 'i-arm']);
      // Launched from lt-arm, it is only as weak as that template's finding says.
      member.Tags = member.Tags!.map((t) => (t.Key === 'aws:ec2launchtemplate:id' ? { ...t, Value: 'lt-arm' } : t));
      expect(check(RULE, view).map((f) => f.resourceId)).toEqual(['lt-arm']);
    });
  });
});

// ---- what the nodes launch from, read from a recorded account (world reader → view builder → rule) --------------

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
const k8sTag = { Key: 'kubernetes.io/cluster/demo', Value: 'owned', PropagateAtLaunch: true };
const version = (id: string, VersionNumber: number, MetadataOptions: object | undefined, DefaultVersion = false) => ({
  LaunchTemplateId: id,
  LaunchTemplateName: `${id}-name`,
  VersionNumber,
  DefaultVersion,
  LaunchTemplateData: MetadataOptions ? { MetadataOptions } : {},
});

/**
 * Cluster `demo`: node group ng-default (no template of its own; its Auto Scaling group eks-ng-default launches EKS's
 * lt-eks version 1), node group ng-pinned (lt-app pinned at version 1: IMDSv1; its default, version 2, is locked down),
 * and a self-managed Auto Scaling group `asg-self` launching from `spec`, over lt-self: version 1 locked down and
 * default, version 2 (the latest) with hop limit 2; lt-arm version 1 with IMDSv1.
 */
function account(spec: Record<string, unknown>, more: { eksGroup?: Record<string, unknown> | null; node?: Record<string, unknown> } = {}) {
  const eksGroup = more.eksGroup === undefined ? { AutoScalingGroupName: 'eks-ng-default', LaunchTemplate: { LaunchTemplateId: 'lt-eks', Version: '1' }, Tags: [k8sTag, { Key: 'eks:nodegroup-name', Value: 'ng-default' }] } : more.eksGroup;
  return {
    account: ACCOUNT,
    region: REGION,
    eks: {
      clusters: [{ name: 'demo', arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/demo`, resourcesVpcConfig: { clusterSecurityGroupId: 'sg-cluster' } }],
      nodegroups: [
        { clusterName: 'demo', nodegroupName: 'ng-default', resources: { autoScalingGroups: [{ name: 'eks-ng-default' }] } },
        { clusterName: 'demo', nodegroupName: 'ng-pinned', launchTemplate: { id: 'lt-app', version: '1' }, resources: { autoScalingGroups: [{ name: 'eks-ng-pinned' }] } },
      ],
    },
    ec2: {
      launchTemplateVersions: [
        version('lt-eks', 1, IMDS_LOCKED, true),
        version('lt-app', 1, IMDSV1),
        version('lt-app', 2, IMDS_LOCKED, true),
        version('lt-self', 1, IMDS_LOCKED, true),
        version('lt-self', 2, HOP_2),
        version('lt-arm', 1, IMDSV1, true),
      ],
      instances: [
        {
          InstanceId: 'i-default',
          State: { Name: 'running' },
          MetadataOptions: { State: 'applied', ...IMDS_LOCKED },
          Tags: tags({ 'kubernetes.io/cluster/demo': 'owned', 'aws:autoscaling:groupName': 'eks-ng-default', 'aws:ec2launchtemplate:id': 'lt-eks', 'aws:ec2launchtemplate:version': '1' }),
          ...more.node,
        },
      ],
    },
    autoscaling: { groups: [...(eksGroup ? [eksGroup] : []), { AutoScalingGroupName: 'asg-self', Tags: [k8sTag], ...spec }] },
    kubernetes: { demo: {} },
  };
}

async function scan(raw: Record<string, unknown>, ruleIds = [RULE]) {
  const r = instrument(new WorldReader(world(raw)));
  const view = (await buildClusterView(r.reader, 'demo', neededParts(ruleIds), { account: ACCOUNT, region: REGION }))!;
  const result = evaluateCluster(view, config(), ruleIds);
  return { result, view, ids: result.findings.map((f) => f.resourceId), calls: r.calls };
}

describe('node-imds-restricted, read from a recorded account', () => {
  it('a node group pinning an old version runs that version, not the template\'s default', async () => {
    const { ids, result } = await scan(account({ LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '$Default' } }));
    expect(ids).toEqual(['lt-app']);
    expect(result.findings[0].evidence).toMatchObject({ usedBy: ['ng-pinned'], launches: [{ versionNumber: 1, MetadataOptions: IMDSV1 }] });
  });

  it('an Auto Scaling group on $Default runs the default version, on $Latest the newest one', async () => {
    expect((await scan(account({ LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '$Default' } }))).ids).not.toContain('lt-self');
    const latest = await scan(account({ LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '$Latest' } }));
    expect(latest.ids).toContain('lt-self');
    expect(latest.result.findings.find((f) => f.resourceId === 'lt-self')?.evidence).toMatchObject({ usedBy: ['asg-self'], launches: [{ versionNumber: 2, MetadataOptions: HOP_2 }] });
  });

  it("a mixed-instances policy's template and its overrides' templates are all read and judged", async () => {
    const mixed = { MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-self', Version: '$Default' }, Overrides: [{ InstanceType: 'm7g.large', LaunchTemplateSpecification: { LaunchTemplateId: 'lt-arm' } }] } } };
    const { ids, calls } = await scan(account(mixed));
    expect(ids.sort()).toEqual(['lt-app', 'lt-arm']);
    const read = calls.filter((c) => c.method === 'describeLaunchTemplateVersions').map((c) => (c.args[0] as { launchTemplateId: string }).launchTemplateId);
    expect(read.sort()).toEqual(['lt-app', 'lt-arm', 'lt-eks', 'lt-self']);
  });

  it("the template EKS created for a node group is read through its Auto Scaling group, in the same batch, once per template", async () => {
    const { view, calls } = await scan(account({ LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '1' } }));
    expect(view.nodegroups.find((n) => n.nodegroup.nodegroupName === 'ng-default')?.eksLaunchTemplate).toMatchObject({ versions: [{ LaunchTemplateId: 'lt-eks', VersionNumber: 1 }] });
    expect(calls.filter((c) => c.method === 'describeLaunchTemplateVersions')).toHaveLength(3);
    // Not asked for when no rule reading it is evaluated: other events pay nothing for it.
    const other = await scan(account({ LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '1' } }), ['nodegroup-no-ssh-key']);
    expect(other.calls.filter((c) => c.method === 'describeLaunchTemplateVersions')).toHaveLength(2);
    expect(other.view.nodegroups.every((n) => n.eksLaunchTemplate === undefined)).toBe(true);
  });

  it('an Auto Scaling group stripped of its cluster tags is read by the name its node group gives (an attacker cannot hide it)', async () => {
    const stripped = { AutoScalingGroupName: 'eks-ng-default', LaunchTemplate: { LaunchTemplateId: 'lt-eks', Version: '1' } };
    const { ids, result, calls } = await scan(account({ LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '1' } }, { eksGroup: stripped, node: { MetadataOptions: { State: 'applied', ...IMDSV1 } } }));
    expect(result.notEvaluated).toEqual([]);
    expect(ids).toEqual(['lt-app', 'i-default']);
    expect(calls.filter((c) => c.method === 'describeAutoScalingGroups').map((c) => c.args[0])).toContainEqual({ names: ['eks-ng-default'] });
  });

  it("EKS's template that cannot be read leaves the rule not evaluated, naming why", async () => {
    const spec = { LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '1' } };
    expect((await scan(account(spec, { eksGroup: null }))).result.notEvaluated.map((n) => n.reason)).toEqual(['Auto Scaling group eks-ng-default of node group ng-default was not found']);
    const gone = { AutoScalingGroupName: 'eks-ng-default', LaunchTemplate: { LaunchTemplateId: 'lt-eks', Version: '9' }, Tags: [k8sTag] };
    expect((await scan(account(spec, { eksGroup: gone }))).result.notEvaluated.map((n) => n.reason)).toEqual([
      'launch template lt-eks version 9 of Auto Scaling group eks-ng-default (node group ng-default) was not found',
    ]);
  });

  it('a node changed after launch is reported on the instance, its template staying compliant', async () => {
    const { ids, result } = await scan(account({ LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '1' } }, { node: { MetadataOptions: { State: 'applied', ...IMDSV1 } } }));
    expect(ids).toEqual(['lt-app', 'i-default']);
    expect(result.findings[1].evidence).toMatchObject({ owner: 'node group ng-default', launchedFrom: { launchTemplateId: 'lt-eks', version: '1' }, autoScalingGroup: 'eks-ng-default' });
  });
});
