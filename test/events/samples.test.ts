import { CATALOG, type Family, type ResourceRefs } from '../../src/events/catalog';
import { classifyEvent } from '../../src/events/classify';
import { matchesPattern } from '../../src/events/matcher';
import { eventBridgePatterns } from '../../src/events/patterns';
import { createClusterIndexCache, resolveAffectedClusters } from '../../src/events/resolve';
import { demoReader, loadSample, sampleFiles } from './support';

/**
 * Every sample in events/ with what it must mean: its classification, the resources it names, and the clusters
 * of the demo world (examples/demo-world.json) it resolves to.
 */
type Watched = { status: 'watched'; family: Family; refs: Partial<ResourceRefs>; clusters: string[]; reason?: RegExp; rootUser?: boolean };
type Expect = Watched | { status: 'ignored'; reason: RegExp } | { status: 'invalid'; reason: RegExp };

const sg = (family: Family, id: string, clusters: string[], more: Partial<Watched> = {}): Watched => ({ status: 'watched', family, refs: { securityGroupIds: [id] }, clusters, ...more });
const w = (family: Family, refs: Partial<ResourceRefs>, clusters: string[], more: Partial<Watched> = {}): Watched => ({ status: 'watched', family, refs, clusters, ...more });
const TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit';
const ACCOUNT_ONLY = /account-level change/;

const EXPECTED: Record<string, Expect> = {
  // security groups
  'ec2-AuthorizeSecurityGroupIngress-ssh-world.json': sg('securityGroup', 'sg-0aa1111111111111a', ['prod']),
  'ec2-AuthorizeSecurityGroupIngress-ipv6-world.json': sg('securityGroup', 'sg-0aa4444444444444a', ['prod']),
  'ec2-AuthorizeSecurityGroupIngress-all-traffic.json': sg('securityGroup', 'sg-0aa3333333333333a', ['prod']),
  'ec2-AuthorizeSecurityGroupIngress-port-range-all.json': sg('securityGroup', 'sg-0bb1111111111111b', ['payments']),
  'ec2-AuthorizeSecurityGroupIngress-shorthand-cidrip.json': sg('securityGroup', 'sg-0aa1111111111111a', ['prod']),
  'ec2-AuthorizeSecurityGroupIngress-root-user.json': sg('securityGroup', 'sg-0bb1111111111111b', ['payments'], { rootUser: true }),
  'ec2-AuthorizeSecurityGroupIngress-unrelated-sg.json': sg('securityGroup', 'sg-0cc1111111111111c', [], { reason: /^sg-0cc1111111111111c is not used by any EKS cluster$/ }),
  'ec2-AuthorizeSecurityGroupIngress-remote-access-service-linked-role.json': sg('securityGroup', 'sg-0aa2222222222222a', ['prod']),
  'ec2-AuthorizeSecurityGroupIngress-failed-duplicate.json': { status: 'ignored', reason: /^failed call \(Client\.InvalidPermission\.Duplicate\)$/ },
  'ec2-RevokeSecurityGroupIngress-ssh-world.json': sg('securityGroup', 'sg-0aa1111111111111a', ['prod']),
  'ec2-ModifySecurityGroupRules-https-world.json': sg('securityGroup', 'sg-0aa4444444444444a', ['prod']),
  // security groups swapped on a node (its Auto Scaling group names the cluster), prefix lists the groups use
  'ec2-ModifyInstanceAttribute-groupSet-node.json': w('securityGroup', { instanceIds: ['i-0aa1111111111111a'] }, ['prod']),
  'ec2-ModifyInstanceAttribute-instance-type-unrelated.json': w('securityGroup', { instanceIds: [] }, [], {
    reason: /^ModifyInstanceAttribute changed instanceType, not the security groups$/,
  }),
  'ec2-ModifyNetworkInterfaceAttribute-groupSet-node-eni.json': w('securityGroup', { networkInterfaces: [{ id: 'eni-0aa1111111111111a', groupIds: ['sg-0cc1111111111111c'] }] }, ['prod']),
  'ec2-ModifyManagedPrefixList-add-entry.json': w('securityGroup', { prefixListIds: ['pl-0aa1111111111111a'] }, ['prod']),
  'ec2-RestoreManagedPrefixListVersion.json': w('securityGroup', { prefixListIds: ['pl-0aa1111111111111a'] }, ['prod']),
  // network ACLs, routes, subnets, launch templates
  'ec2-CreateNetworkAclEntry-ssh-allow.json': w('network', { networkAclIds: ['acl-0aa1111111111111a'] }, ['prod']),
  'ec2-ReplaceNetworkAclEntry-ssh-allow.json': w('network', { networkAclIds: ['acl-0bb1111111111111b'] }, ['payments']),
  'ec2-DeleteNetworkAclEntry-ssh-deny.json': w('network', { networkAclIds: ['acl-0aa1111111111111a'] }, ['prod']),
  'ec2-ReplaceNetworkAclAssociation.json': w('network', { networkAclIds: ['acl-0aa1111111111111a'] }, ['prod']),
  'ec2-CreateRoute-igw-main-table.json': w('network', { routeTableIds: ['rtb-0aa2222222222222a'] }, ['prod']),
  'ec2-ReplaceRoute-nat-to-igw.json': w('network', { routeTableIds: ['rtb-0bb1111111111111b'] }, ['payments']),
  'ec2-DeleteRoute-default.json': w('network', { routeTableIds: ['rtb-0aa1111111111111a'] }, ['prod']),
  'ec2-AssociateRouteTable-public-table.json': w('network', { routeTableIds: [], subnetIds: ['subnet-0aa2222222222222a'] }, ['prod']),
  'ec2-ReplaceRouteTableAssociation.json': w('network', { routeTableIds: ['rtb-0aa1111111111111a'] }, ['prod']),
  'ec2-ModifySubnetAttribute-map-public-ip.json': w('network', { subnetIds: ['subnet-0bb2222222222222b'] }, ['payments']),
  'ec2-CreateLaunchTemplateVersion-ssh-key-public-ip.json': w('network', { launchTemplateIds: ['lt-0aa1111111111111a'] }, ['prod']),
  'ec2-ModifyLaunchTemplate-default-version.json': w('network', { launchTemplateIds: ['lt-0aa1111111111111a'] }, ['prod']),
  'appmesh-CreateRoute-unwatched.json': { status: 'ignored', reason: /^unwatched call appmesh\.amazonaws\.com CreateRoute$/ },
  // EKS
  'eks-CreateCluster.json': w('clusterConfig', { clusterNames: ['payments'] }, ['payments']),
  'eks-UpdateClusterConfig-public-endpoint.json': w('clusterConfig', { clusterNames: ['prod'] }, ['prod']),
  'eks-UpdateClusterConfig-disable-audit-logging.json': w('clusterConfig', { clusterNames: ['payments'] }, ['payments']),
  'eks-UpdateClusterVersion.json': w('clusterConfig', { clusterNames: ['prod'] }, ['prod']),
  'eks-DeleteCluster-legacy.json': w('clusterConfig', { clusterNames: ['legacy'] }, ['legacy']),
  'eks-CreateNodegroup-ssh-no-source-sg.json': w('nodegroup', { clusterNames: ['prod'], nodegroups: [{ cluster: 'prod', nodegroup: 'prod-ng-ssh' }] }, ['prod']),
  // Labels, taints and scaling: read by no rule, so not watched.
  'eks-UpdateNodegroupConfig.json': { status: 'ignored', reason: /^unwatched call eks\.amazonaws\.com UpdateNodegroupConfig$/ },
  'eks-UpdateNodegroupVersion-launch-template.json': w('nodegroup', { clusterNames: ['prod'], nodegroups: [{ cluster: 'prod', nodegroup: 'prod-ng-lt' }] }, ['prod']),
  'eks-DeleteNodegroup.json': w('nodegroup', { clusterNames: ['prod'], nodegroups: [{ cluster: 'prod', nodegroup: 'prod-ng-ssh' }] }, ['prod']),
  'eks-CreateAccessEntry.json': w('accessEntry', { clusterNames: ['prod'] }, ['prod']),
  'eks-UpdateAccessEntry.json': w('accessEntry', { clusterNames: ['prod'] }, ['prod']),
  'eks-DeleteAccessEntry-creator.json': w('accessEntry', { clusterNames: ['payments'] }, ['payments']),
  'eks-AssociateAccessPolicy-url-encoded-principal.json': w('accessEntry', { clusterNames: ['prod'] }, ['prod']),
  'eks-DisassociateAccessPolicy.json': w('accessEntry', { clusterNames: ['payments'] }, ['payments']),
  'eks-TagResource-cluster-arn.json': w('clusterConfig', { clusterNames: ['prod'], nodegroups: [] }, ['prod']),
  'eks-UntagResource-nodegroup-arn.json': w('clusterConfig', { clusterNames: ['payments'], nodegroups: [{ cluster: 'payments', nodegroup: 'payments-ng' }] }, ['payments']),
  'eks-CreateAddon-vpc-cni.json': w('clusterConfig', { clusterNames: ['prod'] }, ['prod']),
  'eks-UpdateAddon-vpc-cni.json': w('clusterConfig', { clusterNames: ['payments'] }, ['payments']),
  'eks-DeleteAddon-vpc-cni.json': w('clusterConfig', { clusterNames: ['payments'] }, ['payments']),
  'eks-AssociateEncryptionConfig.json': w('clusterConfig', { clusterNames: ['prod'] }, ['prod']),
  // self-managed nodes: Auto Scaling groups and instances, by their cluster tags
  'autoscaling-CreateAutoScalingGroup-self-managed-nodes.json': w('selfManagedNodes', { autoScalingGroupNames: ['prod-self-managed'], clusterNames: [] }, ['prod']),
  'autoscaling-UpdateAutoScalingGroup-launch-template.json': w('selfManagedNodes', { autoScalingGroupNames: ['prod-self-managed'], clusterNames: [] }, ['prod']),
  'ec2-RunInstances-self-managed-node.json': w('selfManagedNodes', { clusterNames: [], instanceIds: ['i-0aa3333333333333a'] }, ['prod']),
  // a node's metadata service reopened after launch (any node: this one is a managed node group's)
  'ec2-ModifyInstanceMetadataOptions-node-imdsv1.json': w('selfManagedNodes', { clusterNames: [], instanceIds: ['i-0aa1111111111111a'] }, ['prod']),
  'ec2-RunInstances-unrelated-instance.json': w('selfManagedNodes', { clusterNames: [], instanceIds: ['i-0cc2222222222222c'] }, [], { reason: /^i-0cc2222222222222c is not a node of any EKS cluster$/ }),
  // IAM: creator roles and node roles
  'iam-AttachRolePolicy-creator-role.json': w('iamRole', { roleNames: ['eks-creator'] }, ['prod']),
  'iam-PutRolePolicy-node-role.json': w('iamRole', { roleNames: ['eks-node-role'] }, ['payments']),
  'iam-DeleteRolePolicy-node-role.json': w('iamRole', { roleNames: ['prod-node-role'] }, ['prod']),
  'iam-UpdateAssumeRolePolicy-any-principal.json': w('iamRole', { roleNames: ['eks-creator-payments'] }, ['payments']),
  'iam-DetachRolePolicy-unrelated-role.json': w('iamRole', { roleNames: ['lambda-exec'] }, [], { reason: /^IAM role lambda-exec neither created an EKS cluster/ }),
  // CloudTrail: account level
  'cloudtrail-StopLogging-by-arn.json': w('trail', { trails: [TRAIL_ARN], accountLevel: true, clusterNames: [] }, [], { reason: ACCOUNT_ONLY }),
  'cloudtrail-DeleteTrail-by-name.json': w('trail', { trails: ['org-audit'], accountLevel: true }, [], { reason: ACCOUNT_ONLY }),
  'cloudtrail-UpdateTrail-single-region.json': w('trail', { trails: [TRAIL_ARN], accountLevel: true }, [], { reason: ACCOUNT_ONLY }),
  'cloudtrail-PutEventSelectors-read-only.json': w('trail', { trails: [TRAIL_ARN], accountLevel: true }, [], { reason: ACCOUNT_ONLY }),
  // not CloudTrail at all, or broken
  'malformed-missing-eventName.json': { status: 'invalid', reason: /at detail\.eventName: Required/ },
  'malformed-detail-as-string.json': { status: 'invalid', reason: /at detail: Expected object, received string/ },
  'malformed-not-cloudtrail.json': { status: 'invalid', reason: /not a CloudTrail API call: detail-type is "EC2 Instance State-change Notification"/ },
};

const files = sampleFiles();
const patterns = eventBridgePatterns();

describe('events/ samples', () => {
  it('every sample has an expectation here, and every expectation a sample', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  it('every catalog entry has at least one watched sample', () => {
    const covered = new Set(files.flatMap((f) => {
      const c = classifyEvent(loadSample(f));
      return c.status === 'watched' ? [`${c.entry.eventSource} ${c.entry.eventName}`] : [];
    }));
    expect(CATALOG.map((e) => `${e.eventSource} ${e.eventName}`).filter((k) => !covered.has(k))).toEqual([]);
  });

  it('event and request ids are unique across samples', () => {
    const ids = files.flatMap((f) => {
      const s = loadSample(f) as { id: string; detail?: { eventID?: string; requestID?: string } };
      return [s.id, s.detail?.eventID, s.detail?.requestID].filter(Boolean);
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  describe.each(files)('%s', (file) => {
    const expected = EXPECTED[file];
    const raw = loadSample(file);
    const c = classifyEvent(raw);

    it(`classifies as ${expected?.status}`, () => {
      expect(c.status).toBe(expected.status);
      if (c.status !== 'watched') {
        expect(c.reason).toMatch((expected as { reason: RegExp }).reason);
        return;
      }
      const e = expected as Watched;
      expect(c.entry.family).toBe(e.family);
      expect(c.refs).toMatchObject(e.refs);
      expect(c.rootUser).toBe(e.rootUser ?? false);
    });

    it('matches exactly the pattern of its handler (none when failed, unwatched or malformed)', () => {
      const matched = Object.entries(patterns).filter(([, p]) => matchesPattern(p, raw)).map(([h]) => h);
      expect(matched).toEqual(c.status === 'watched' ? [c.entry.handler] : []);
    });

    if (expected?.status === 'watched') {
      it(`resolves to ${JSON.stringify(expected.clusters)} in the demo world`, async () => {
        if (c.status !== 'watched') throw new Error('not watched');
        const r = await resolveAffectedClusters(demoReader(), c.refs);
        expect(r.clusters).toEqual(expected.clusters);
        if (expected.reason) expect(r.reason).toMatch(expected.reason);
        else expect(r.reason).toBeUndefined();
      });
    }
  });

  it('resolves every watched sample through one shared index, built once', async () => {
    const reader = demoReader();
    const cache = createClusterIndexCache();
    for (const f of files) {
      const c = classifyEvent(loadSample(f));
      const e = EXPECTED[f];
      if (c.status !== 'watched' || e.status !== 'watched') continue;
      expect({ f, clusters: (await resolveAffectedClusters(reader, c.refs, cache)).clusters }).toEqual({ f, clusters: e.clusters });
    }
    expect(cache.builds).toBe(1);
  });
});
