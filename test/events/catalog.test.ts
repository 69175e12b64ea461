import { CATALOG, lookupCatalog, parseEksArn, rulesForRole, type Family } from '../../src/events/catalog';
import { classifyEvent } from '../../src/events/classify';
import { matchesPattern } from '../../src/events/matcher';
import { eventBridgePatterns } from '../../src/events/patterns';
import { parseEvent } from '../../src/events/schema';
import { RULES } from '../../src/rules/engine/catalog';
import { loadSample } from './support';

const WATCHED: Record<string, [string, Family][]> = {
  'ec2.amazonaws.com': [
    ['AuthorizeSecurityGroupIngress', 'securityGroup'],
    ['RevokeSecurityGroupIngress', 'securityGroup'],
    ['ModifySecurityGroupRules', 'securityGroup'],
    ['ModifyInstanceAttribute', 'securityGroup'],
    ['ModifyNetworkInterfaceAttribute', 'securityGroup'],
    ['ModifyManagedPrefixList', 'securityGroup'],
    ['RestoreManagedPrefixListVersion', 'securityGroup'],
    ['CreateNetworkAclEntry', 'network'],
    ['ReplaceNetworkAclEntry', 'network'],
    ['DeleteNetworkAclEntry', 'network'],
    ['ReplaceNetworkAclAssociation', 'network'],
    ['CreateRoute', 'network'],
    ['ReplaceRoute', 'network'],
    ['DeleteRoute', 'network'],
    ['AssociateRouteTable', 'network'],
    ['ReplaceRouteTableAssociation', 'network'],
    ['ModifySubnetAttribute', 'network'],
    ['CreateLaunchTemplateVersion', 'network'],
    ['ModifyLaunchTemplate', 'network'],
    ['RunInstances', 'selfManagedNodes'],
    ['ModifyInstanceMetadataOptions', 'selfManagedNodes'],
  ],
  'autoscaling.amazonaws.com': [
    ['CreateAutoScalingGroup', 'selfManagedNodes'],
    ['UpdateAutoScalingGroup', 'selfManagedNodes'],
  ],
  'iam.amazonaws.com': [
    ['AttachRolePolicy', 'iamRole'],
    ['DetachRolePolicy', 'iamRole'],
    ['PutRolePolicy', 'iamRole'],
    ['DeleteRolePolicy', 'iamRole'],
    ['UpdateAssumeRolePolicy', 'iamRole'],
  ],
  'eks.amazonaws.com': [
    ['CreateCluster', 'clusterConfig'],
    ['UpdateClusterConfig', 'clusterConfig'],
    ['UpdateClusterVersion', 'clusterConfig'],
    ['DeleteCluster', 'clusterConfig'],
    ['CreateNodegroup', 'nodegroup'],
    ['UpdateNodegroupVersion', 'nodegroup'],
    ['DeleteNodegroup', 'nodegroup'],
    ['CreateAccessEntry', 'accessEntry'],
    ['UpdateAccessEntry', 'accessEntry'],
    ['DeleteAccessEntry', 'accessEntry'],
    ['AssociateAccessPolicy', 'accessEntry'],
    ['DisassociateAccessPolicy', 'accessEntry'],
    ['TagResource', 'clusterConfig'],
    ['UntagResource', 'clusterConfig'],
    ['CreateAddon', 'clusterConfig'],
    ['UpdateAddon', 'clusterConfig'],
    ['DeleteAddon', 'clusterConfig'],
    ['AssociateEncryptionConfig', 'clusterConfig'],
  ],
  'cloudtrail.amazonaws.com': [
    ['StopLogging', 'trail'],
    ['DeleteTrail', 'trail'],
    ['UpdateTrail', 'trail'],
    ['PutEventSelectors', 'trail'],
  ],
};

/** The headline sample with its CloudTrail record replaced (deep-merged at the top level of detail). */
function withDetail(detail: Record<string, unknown>, base = 'ec2-AuthorizeSecurityGroupIngress-ssh-world.json') {
  const raw = loadSample(base) as { detail: Record<string, unknown> };
  return { ...raw, detail: { ...raw.detail, ...detail } };
}

function refsOf(raw: unknown) {
  const c = classifyEvent(raw);
  if (c.status !== 'watched') throw new Error(`${c.status}: ${c.reason}`);
  return c.refs;
}

describe('event catalog', () => {
  it('holds exactly the watched calls, keyed by (eventSource, eventName), each in its family', () => {
    const expected = Object.entries(WATCHED).flatMap(([source, rows]) => rows.map(([name, family]) => `${source} ${name} ${family}`));
    expect(CATALOG.map((e) => `${e.eventSource} ${e.eventName} ${e.family}`).sort()).toEqual(expected.sort());
  });

  it('names only rule ids of the guideline catalog', () => {
    const ids = new Set(RULES.map((r) => r.id));
    for (const e of CATALOG) for (const r of e.rules) expect({ event: e.eventName, rule: r, known: ids.has(r) }).toEqual({ event: e.eventName, rule: r, known: true });
  });

  it('re-evaluates something for every call', () => {
    expect(CATALOG.filter((e) => e.rules.length === 0).map((e) => e.eventName)).toEqual([]);
  });

  it('evaluates a created or deleted cluster against every cluster rule', () => {
    const clusterRules = RULES.filter((r) => r.scope === 'cluster').map((r) => r.id);
    for (const name of ['CreateCluster', 'DeleteCluster']) expect(lookupCatalog('eks.amazonaws.com', name)?.rules).toEqual(clusterRules);
  });

  it('re-checks the version after an upgrade and the secrets after a key is associated', () => {
    expect(lookupCatalog('eks.amazonaws.com', 'UpdateClusterVersion')?.rules).toContain('kubernetes-version-supported');
    expect(lookupCatalog('eks.amazonaws.com', 'AssociateEncryptionConfig')?.rules).toEqual(['secrets-encrypted']);
  });

  it('CloudTrail calls affect cloudtrail-enabled, at account level', () => {
    for (const e of CATALOG.filter((x) => x.family === 'trail')) expect(e.rules).toEqual(['cloudtrail-enabled']);
  });

  it('tells services apart: CreateRoute of App Mesh or TagResource of Lambda is not watched', () => {
    expect(lookupCatalog('ec2.amazonaws.com', 'CreateRoute')?.family).toBe('network');
    expect(lookupCatalog('appmesh.amazonaws.com', 'CreateRoute')).toBeUndefined();
    expect(lookupCatalog('lambda.amazonaws.com', 'TagResource')).toBeUndefined();
    expect(lookupCatalog('ecs.amazonaws.com', 'DeleteCluster')).toBeUndefined();
  });
});

describe('resource extraction', () => {
  describe('AuthorizeSecurityGroupIngress', () => {
    it('reads the group from the response rule set when the request named it by name', () => {
      const raw = withDetail({
        requestParameters: { groupName: 'default', ipPermissions: {} },
        responseElements: { _return: true, securityGroupRuleSet: { items: [{ groupId: 'sg-0aa1111111111111a', ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }] } },
      });
      expect(refsOf(raw).securityGroupIds).toEqual(['sg-0aa1111111111111a']);
    });

    it('reads the request groupId in an older record without securityGroupRuleSet', () => {
      expect(refsOf(withDetail({ responseElements: { _return: true } })).securityGroupIds).toEqual(['sg-0aa1111111111111a']);
    });
  });

  describe('ModifySecurityGroupRules (wrapper style)', () => {
    it('reads GroupId as a plain value or as a { tag, content } element', () => {
      const base = { eventSource: 'ec2.amazonaws.com', eventName: 'ModifySecurityGroupRules', responseElements: null };
      const plain = withDetail({ ...base, requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: 'sg-0aa4444444444444a', SecurityGroupRule: [{ tag: 1 }, { tag: 2 }] } } });
      const tagged = withDetail({ ...base, requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: { tag: 1, content: 'sg-0aa4444444444444a' } } } });
      expect(refsOf(plain).securityGroupIds).toEqual(['sg-0aa4444444444444a']);
      expect(refsOf(tagged).securityGroupIds).toEqual(['sg-0aa4444444444444a']);
    });
  });

  describe('launch templates', () => {
    it('a version created by template name resolves the id from the response', () => {
      const raw = withDetail({
        eventName: 'CreateLaunchTemplateVersion',
        requestParameters: { CreateLaunchTemplateVersionRequest: { LaunchTemplateName: 'prod-nodes', LaunchTemplateData: { KeyName: 'ops-key' } } },
        responseElements: { CreateLaunchTemplateVersionResponse: { launchTemplateVersion: { launchTemplateId: 'lt-0aa1111111111111a', versionNumber: 4 } } },
      });
      expect(refsOf(raw)).toMatchObject({ launchTemplateIds: ['lt-0aa1111111111111a'], launchTemplateNames: [] });
    });

    it('without a response, falls back to the name', () => {
      const raw = withDetail({ eventName: 'ModifyLaunchTemplate', requestParameters: { ModifyLaunchTemplateRequest: { LaunchTemplateName: 'prod-nodes', SetDefaultVersion: '4' } }, responseElements: null });
      expect(refsOf(raw)).toMatchObject({ launchTemplateIds: [], launchTemplateNames: ['prod-nodes'] });
    });
  });

  describe('ModifyInstanceMetadataOptions (wrapper style)', () => {
    const base = { eventSource: 'ec2.amazonaws.com', eventName: 'ModifyInstanceMetadataOptions' };

    it('reads the instance from the request, and from the response when the request lacks it', () => {
      const request = withDetail({ ...base, requestParameters: { ModifyInstanceMetadataOptionsRequest: { InstanceId: 'i-0aa1111111111111a', HttpTokens: 'optional', HttpEndpoint: 'enabled' } }, responseElements: null });
      expect(refsOf(request)).toMatchObject({ instanceIds: ['i-0aa1111111111111a'], launchTemplateIds: [] });
      const response = withDetail({ ...base, requestParameters: {}, responseElements: { ModifyInstanceMetadataOptionsResponse: { instanceId: 'i-0aa1111111111111a', instanceMetadataOptions: { state: 'pending', httpTokens: 'optional' } } } });
      expect(refsOf(response).instanceIds).toEqual(['i-0aa1111111111111a']);
    });

    it('re-evaluates only the metadata rule: nothing else a node has changed', () => {
      expect(lookupCatalog('ec2.amazonaws.com', 'ModifyInstanceMetadataOptions')).toMatchObject({ family: 'selfManagedNodes', handler: 'nodesChanged', rules: ['node-imds-restricted'] });
    });
  });

  describe('EKS', () => {
    const eks = (eventName: string, requestParameters: Record<string, unknown>) =>
      withDetail({ eventSource: 'eks.amazonaws.com', eventName, requestParameters, responseElements: null }, 'eks-UpdateClusterConfig-public-endpoint.json');

    it('TagResource by cluster ARN, nodegroup ARN (URL-encoded), or another EKS ARN names the cluster', () => {
      expect(refsOf(eks('TagResource', { resourceArn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod', tags: {} }))).toMatchObject({ clusterNames: ['prod'], nodegroups: [] });
      expect(refsOf(eks('TagResource', { resourceArn: encodeURIComponent('arn:aws:eks:us-east-1:111122223333:nodegroup/prod/prod-ng-lt/6ac8-1'), tags: {} }))).toMatchObject({
        clusterNames: ['prod'],
        nodegroups: [{ cluster: 'prod', nodegroup: 'prod-ng-lt' }],
      });
      expect(refsOf(eks('UntagResource', { resourceArn: 'arn:aws:eks:us-east-1:111122223333:addon/payments/vpc-cni/1234', tagKeys: ['x'] })).clusterNames).toEqual(['payments']);
    });

    it('parses EKS ARNs in every partition', () => {
      expect(parseEksArn('arn:aws-cn:eks:cn-north-1:111122223333:cluster/prod')).toEqual({ cluster: 'prod' });
      expect(parseEksArn('arn:aws:iam::111122223333:role/x')).toBeUndefined();
    });

    it('decodes URL-encoded cluster path parameters', () => {
      expect(refsOf(eks('AssociateAccessPolicy', { name: 'prod', principalArn: 'arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fadmin' })).clusterNames).toEqual(['prod']);
    });

    it('node group calls name the cluster and the node group', () => {
      expect(refsOf(eks('DeleteNodegroup', { name: 'prod', nodegroupName: 'prod-ng-lt' }))).toMatchObject({ clusterNames: ['prod'], nodegroups: [{ cluster: 'prod', nodegroup: 'prod-ng-lt' }] });
    });
  });

  describe('CloudTrail', () => {
    const trail = (eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null = null) =>
      refsOf(withDetail({ eventSource: 'cloudtrail.amazonaws.com', eventName, requestParameters, responseElements }, 'cloudtrail-StopLogging-by-arn.json'));

    it('StopLogging/DeleteTrail by bare name or ARN', () => {
      expect(trail('StopLogging', { name: 'org-audit' })).toMatchObject({ trails: ['org-audit'], accountLevel: true, clusterNames: [] });
      expect(trail('DeleteTrail', { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit' }).trails).toEqual(['arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit']);
    });

    it('PutEventSelectors names the trail as trailName; the response ARN wins', () => {
      expect(trail('PutEventSelectors', { trailName: 'org-audit' }).trails).toEqual(['org-audit']);
      expect(trail('PutEventSelectors', { trailName: 'org-audit' }, { trailARN: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit' }).trails).toEqual([
        'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit',
      ]);
    });
  });
});

describe('classifyEvent', () => {
  it('ignores a failed call, whatever the error', () => {
    const c = classifyEvent(withDetail({ errorCode: 'Client.DryRunOperation', errorMessage: 'Request would have succeeded', responseElements: null }));
    expect(c).toMatchObject({ status: 'ignored', reason: 'failed call (Client.DryRunOperation)' });
  });

  it('ignores a read-only call and an unwatched call', () => {
    expect(classifyEvent(withDetail({ readOnly: true }))).toMatchObject({ status: 'ignored', reason: 'read-only call AuthorizeSecurityGroupIngress' });
    expect(classifyEvent(withDetail({ eventName: 'CreateSecurityGroup' }))).toMatchObject({ status: 'ignored', reason: 'unwatched call ec2.amazonaws.com CreateSecurityGroup' });
  });

  it('flags root-user calls and keeps service-linked-role calls watched', () => {
    expect(classifyEvent(loadSample('ec2-AuthorizeSecurityGroupIngress-root-user.json'))).toMatchObject({ status: 'watched', rootUser: true });
    const slr = classifyEvent(loadSample('ec2-AuthorizeSecurityGroupIngress-remote-access-service-linked-role.json'));
    expect(slr).toMatchObject({ status: 'watched', rootUser: false });
    if (slr.status === 'watched') expect(slr.record.userIdentity.invokedBy).toBe('eks-nodegroup.amazonaws.com');
  });

  it('keeps fields it does not know (a newer eventVersion) and treats absent parameters as null', () => {
    const c = classifyEvent(withDetail({ eventVersion: '1.11', newField: { x: 1 }, requestParameters: undefined }));
    expect(c.status).toBe('watched');
    if (c.status === 'watched') {
      expect((c.record as Record<string, unknown>).newField).toEqual({ x: 1 });
      expect(c.record.requestParameters).toBeNull();
    }
  });

  it.each([
    ['null', null, /expected a JSON object/],
    ['an array', [], /expected a JSON object/],
    ['another detail-type', { 'detail-type': 'Scheduled Event', detail: {} }, /not a CloudTrail API call: detail-type is "Scheduled Event"/],
    ['no detail', { ...loadSample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), detail: undefined }, /at detail: Required/],
    ['a numeric eventName', withDetail({ eventName: 42 }), /at detail\.eventName: Expected string, received number/],
    ['userIdentity without type', withDetail({ userIdentity: { arn: 'x' } }), /at detail\.userIdentity\.type: Required/],
    ['a non-object requestParameters', withDetail({ requestParameters: 'groupId=sg-1' }), /at detail\.requestParameters: Expected object, received string/],
  ])('rejects %s as invalid, naming the field', (_name, raw, reason) => {
    const c = classifyEvent(raw);
    expect(c.status).toBe('invalid');
    if (c.status === 'invalid') expect(c.reason).toMatch(reason);
  });

  it('explains a bare CloudTrail record (e.g. from LookupEvents) instead of listing missing envelope fields', () => {
    const record = loadSample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json').detail as { eventID: string };
    expect(classifyEvent(record)).toEqual({ status: 'invalid', reason: expect.stringMatching(/^a bare CloudTrail record, not an EventBridge event/), eventId: record.eventID });
  });

  it('carries the eventID of an invalid event when it can be read', () => {
    const raw = withDetail({ eventName: 42 });
    expect(parseEvent(raw)).toMatchObject({ kind: 'invalid', id: (raw.detail as { eventID: string }).eventID });
  });
});

describe('eventBridgePatterns', () => {
  const patterns = eventBridgePatterns();

  it('has one pattern per handler, each excluding failed calls', () => {
    expect(Object.keys(patterns).sort()).toEqual(['clusterChanged', 'iamChanged', 'networkChanged', 'nodesChanged', 'securityGroupChanged', 'trailChanged']);
    for (const p of Object.values(patterns)) {
      expect(p['detail-type']).toEqual(['AWS API Call via CloudTrail']);
      expect((p.detail as Record<string, unknown>).errorCode).toEqual([{ exists: false }]);
    }
    expect(patterns.securityGroupChanged).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['ec2.amazonaws.com'],
        eventName: [
          'AuthorizeSecurityGroupIngress',
          'RevokeSecurityGroupIngress',
          'ModifySecurityGroupRules',
          'ModifyInstanceAttribute',
          'ModifyNetworkInterfaceAttribute',
          'ModifyManagedPrefixList',
          'RestoreManagedPrefixListVersion',
        ],
        errorCode: [{ exists: false }],
      },
    });
    // IAM records come from us-east-1 (directly, or forwarded there by serverless.iam-forwarder.yml) with source aws.iam.
    expect(patterns.iamChanged).toEqual({
      source: ['aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['iam.amazonaws.com'], eventName: ['AttachRolePolicy', 'DetachRolePolicy', 'PutRolePolicy', 'DeleteRolePolicy', 'UpdateAssumeRolePolicy'], errorCode: [{ exists: false }] },
    });
  });

  it('fits each pattern in EventBridge\'s event pattern quota (2,048 characters by default)', () => {
    for (const [handler, p] of Object.entries(patterns)) expect({ handler, size: JSON.stringify(p).length, fits: JSON.stringify(p).length <= 2048 }).toMatchObject({ handler, fits: true });
  });

  it('routes every catalog call to exactly its handler, and the failed call to none', () => {
    for (const e of CATALOG) {
      const probe = { source: `aws.${e.eventSource.split('.')[0]}`, 'detail-type': 'AWS API Call via CloudTrail', detail: { eventSource: e.eventSource, eventName: e.eventName } };
      const matched = Object.entries(patterns).filter(([, p]) => matchesPattern(p, probe)).map(([h]) => h);
      expect({ call: e.eventName, matched }).toEqual({ call: e.eventName, matched: [e.handler] });
      const failed = { ...probe, detail: { ...probe.detail, errorCode: 'AccessDenied' } };
      expect(Object.values(patterns).some((p) => matchesPattern(p, failed))).toBe(false);
    }
  });
});

describe('rulesForRole', () => {
  const iam = lookupCatalog('iam.amazonaws.com', 'PutRolePolicy')!.rules;
  it("keeps the rules of what the role is to the cluster, drops the other capacity's", () => {
    expect(rulesForRole(iam, ['creator'])).toEqual(['creator-role-dedicated']);
    expect(rulesForRole(iam, ['node'])).toEqual(['nodes-ssm-managed']);
    expect(rulesForRole(iam, ['creator', 'node'])).toEqual([...iam]);
  });
  it('never drops a rule no capacity claims (a rule added to the IAM calls is re-checked until it says which it reads)', () => {
    expect(rulesForRole([...iam, 'some-new-rule'], ['node'])).toEqual(['nodes-ssm-managed', 'some-new-rule']);
  });
});
