import type { Instance, LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { LaunchConfiguration } from '@aws-sdk/client-auto-scaling';
import type { ClusterView } from '../inventory/view';
import { GROUP_TAG, groupOf, tagOf } from '../inventory/nodes';
import { LAUNCH_TEMPLATE_TAG } from '../inventory/ec2Filters';
import type { ClusterRule, Violation } from './engine/rule';
import { requireLaunchTemplate } from './engine/parts';
import { RESOURCE, list } from './semantics/resources';

/** The metadata service settings, spelled alike in launch templates, launch configurations and DescribeInstances. */
interface MetadataOptions {
  HttpTokens?: string;
  HttpPutResponseHopLimit?: number;
  HttpEndpoint?: string;
}

/** What pods can get from the node's metadata service: IMDSv1 (no token at all), or a token that reaches them. */
type Exposure = 'IMDSv1' | 'hop limit';

interface Gap {
  field: 'HttpTokens' | 'HttpPutResponseHopLimit';
  /** null: the field is not set. */
  value: string | number | null;
  exposure: Exposure;
  why: string;
}

/**
 * What these settings leave open to pods; none when the endpoint is disabled. A field left unset is decided at launch
 * by the AMI (`ImdsSupport: v2.0` requires tokens and raises the hop limit to 2) or the account default
 * (ModifyInstanceMetadataDefaults), which the template does not pin and nothing here reads: a gap saying so, never a
 * pass. Any value but `required` counts as not requiring tokens, and an unset endpoint as enabled (EC2's default).
 */
function gaps(o: MetadataOptions | undefined): Gap[] {
  if (o?.HttpEndpoint === 'disabled') return [];
  const out: Gap[] = [];
  const tokens = o?.HttpTokens;
  if (tokens !== 'required') {
    out.push({
      field: 'HttpTokens',
      value: tokens ?? null,
      exposure: 'IMDSv1',
      why:
        tokens === undefined
          ? "not set: the AMI's ImdsSupport or the account default decides at launch, and EC2's own default is optional (IMDSv1)"
          : "IMDSv1 answers any process without a token, pods included, whatever the hop limit: the node role's credentials are one GET away",
    });
  }
  const hop = o?.HttpPutResponseHopLimit;
  if (hop === undefined || hop > 1) {
    out.push({
      field: 'HttpPutResponseHopLimit',
      value: hop ?? null,
      exposure: 'hop limit',
      why:
        hop === undefined
          ? 'not set: 1 by default, but 2 from an AMI with ImdsSupport v2.0 (Amazon Linux 2023) or whatever the account default says'
          : `an IMDSv2 token crosses ${hop} network hops: it reaches a pod's network namespace, and with it the node role's credentials`,
    });
  }
  return out;
}

const exposures = (o: MetadataOptions | undefined) => new Set(gaps(o).map((g) => g.exposure));

const spell = (g: Gap) => `${g.field} ${g.value ?? 'not set'}`;

/** One launch source of the nodes: a launch template version, the template EKS created for a node group, a launch configuration. */
interface Launch {
  /** The finding's resource: the template id, the node group name (EKS's own template), the launch configuration name. */
  resourceType: string;
  resourceId: string;
  /** "launch template lt-1 (prod-nodes) version 3". */
  label: string;
  options: MetadataOptions | undefined;
  /** Which node group (managed or Auto Scaling group) launches from it. */
  user: string;
  detail: Record<string, unknown>;
}

const templateLabel = (v: LaunchTemplateVersion) => `launch template ${v.LaunchTemplateId}${v.LaunchTemplateName ? ` (${v.LaunchTemplateName})` : ''} version ${v.VersionNumber}`;

function fromTemplate(v: LaunchTemplateVersion, user: string): Launch {
  return {
    resourceType: RESOURCE.launchTemplate,
    resourceId: String(v.LaunchTemplateId ?? v.LaunchTemplateName),
    label: templateLabel(v),
    options: v.LaunchTemplateData?.MetadataOptions,
    user,
    detail: { launchTemplateId: v.LaunchTemplateId, launchTemplateName: v.LaunchTemplateName, versionNumber: v.VersionNumber },
  };
}

function fromConfiguration(c: LaunchConfiguration, user: string): Launch {
  return {
    resourceType: RESOURCE.launchConfiguration,
    resourceId: String(c.LaunchConfigurationName),
    label: `launch configuration ${c.LaunchConfigurationName}`,
    options: c.MetadataOptions,
    user,
    detail: { launchConfigurationName: c.LaunchConfigurationName },
  };
}

/** A node and what it was launched from (none for an instance started on its own). */
interface Node {
  instance: Instance;
  owner?: string;
  launches: Launch[];
}

/**
 * What every node group launches from, and each running node with the sources it may have come from. Anything that
 * cannot be told (a pinned version not found, EKS's template unreadable) makes the rule not evaluated.
 */
function launchesOf(view: ClusterView): { launches: Launch[]; nodes: Node[] } {
  const launches: Launch[] = [];
  const nodes: Node[] = [];
  for (const ng of view.nodegroups) {
    const name = String(ng.nodegroup.nodegroupName);
    requireLaunchTemplate(ng);
    let own: Launch[];
    if (ng.launchTemplate) own = [fromTemplate(ng.launchTemplate, name)];
    else {
      const eks = ng.eksLaunchTemplate;
      if (!eks) throw new Error(`the launch template EKS created for node group ${name} was not read`);
      if (eks.problem) throw new Error(eks.problem);
      // The template is EKS's, not the user's: the node group is what to fix.
      own = eks.versions.map((v) => ({
        ...fromTemplate(v, name),
        resourceType: RESOURCE.nodegroup,
        resourceId: name,
        label: `launch template ${v.LaunchTemplateId} version ${v.VersionNumber} (created by EKS)`,
        detail: { nodegroup: name, createdByEks: true, launchTemplateId: v.LaunchTemplateId, versionNumber: v.VersionNumber, autoScalingGroups: eks.autoScalingGroups.map((g) => g.AutoScalingGroupName) },
      }));
    }
    launches.push(...own);
    for (const instance of ng.instances) nodes.push({ instance, owner: `node group ${name}`, launches: own });
  }
  const byGroup = new Map<string, Launch[]>();
  for (const g of view.selfManagedGroups) {
    const name = String(g.group.AutoScalingGroupName);
    requireLaunchTemplate(g);
    const own = [...g.launchTemplates.map((v) => fromTemplate(v, name)), ...(g.launchConfiguration ? [fromConfiguration(g.launchConfiguration, name)] : [])];
    launches.push(...own);
    byGroup.set(name, own);
  }
  for (const instance of view.selfManagedInstances) {
    const group = groupOf(view, instance);
    const own = group ? (byGroup.get(group) ?? []) : [];
    // EC2 tags an instance with the template it was launched from (an aws: tag no user can set): in a mixed-instances
    // group, that template is the one to compare with.
    const launchedFrom = tagOf(instance.Tags, LAUNCH_TEMPLATE_TAG);
    const mine = own.filter((l) => l.detail.launchTemplateId === launchedFrom);
    nodes.push({ instance, owner: group ? `Auto Scaling group ${group}` : undefined, launches: mine.length ? mine : own });
  }
  return { launches, nodes };
}

/** One finding per template (or node group, launch configuration), naming each version that leaves a gap and who uses it. */
function launchViolations(launches: Launch[]): Violation[] {
  const byResource = new Map<string, Launch[]>();
  for (const l of launches) if (gaps(l.options).length) byResource.set(l.resourceId, [...(byResource.get(l.resourceId) ?? []), l]);
  return [...byResource.values()].map((all) => {
    const versions = [...new Map(all.map((l) => [l.label, l])).values()];
    const first = versions[0];
    const users = [...new Set(all.map((l) => l.user))];
    const open = gaps(first.options).map(spell).join(', ');
    return {
      resourceType: first.resourceType,
      resourceId: first.resourceId,
      message:
        first.resourceType === RESOURCE.nodegroup
          ? `node group ${first.resourceId} runs the ${first.label}: pods on its nodes can take the node role's credentials (${open})`
          : `${first.label} lets pods on nodes of ${list(users)} take the node role's credentials (${open})`,
      evidence: {
        usedBy: users,
        launches: versions.map((l) => ({ ...l.detail, usedBy: [...new Set(all.filter((x) => x.label === l.label).map((x) => x.user))], MetadataOptions: l.options ?? null, gaps: gaps(l.options) })),
      },
    };
  });
}

/**
 * A running node whose own settings open what every source it may have come from closes: changed after launch
 * (ModifyInstanceMetadataOptions), launched before its template was fixed, or started on its own with weak settings.
 * A node only as weak as its template is that template's finding, not one per node.
 */
function nodeViolations(nodes: Node[]): Violation[] {
  const out: Violation[] = [];
  for (const { instance, owner, launches } of nodes) {
    const id = String(instance.InstanceId);
    const live = instance.MetadataOptions;
    if (!live) throw new Error(`instance ${id} carries no MetadataOptions (DescribeInstances always returns them; a world file must record them)`);
    const open = gaps(live);
    // A source that already leaves open everything this node does explains it: that source's finding says it.
    if (!open.length || launches.some((l) => open.every((g) => exposures(l.options).has(g.exposure)))) continue;
    const where = owner ? ` of ${owner}` : ' (self-managed, started on its own)';
    const from = launches.length ? `: weaker than the ${list(launches.map((l) => l.label))} it launches from` : '';
    out.push({
      resourceType: RESOURCE.instance,
      resourceId: id,
      message: `node ${id}${where} lets pods take the node role's credentials (${open.map(spell).join(', ')})${from}`,
      evidence: {
        instanceId: id,
        ...(owner ? { owner } : {}),
        MetadataOptions: { HttpTokens: live.HttpTokens, HttpPutResponseHopLimit: live.HttpPutResponseHopLimit, HttpEndpoint: live.HttpEndpoint, State: live.State },
        gaps: open,
        ...(launches.length ? { weakerThan: launches.map((l) => ({ ...l.detail, MetadataOptions: l.options ?? null })) } : {}),
        ...(tagOf(instance.Tags, LAUNCH_TEMPLATE_TAG) ? { launchedFrom: { launchTemplateId: tagOf(instance.Tags, LAUNCH_TEMPLATE_TAG), version: tagOf(instance.Tags, 'aws:ec2launchtemplate:version') } } : {}),
        ...(tagOf(instance.Tags, GROUP_TAG) ? { autoScalingGroup: tagOf(instance.Tags, GROUP_TAG) } : {}),
      },
    });
  }
  return out;
}

/**
 * Nodes must require IMDSv2 with a hop limit of 1 (or have no metadata service at all), or any pod can take the node
 * role's credentials. What nodes launch from is judged on its own resource — the launch template version a node group
 * pins, else its default; each template an Auto Scaling group may launch from (`$Default`, `$Latest`, a mixed-instances
 * policy and its overrides); a launch configuration; for a managed node group without a template of its own, the one
 * EKS created for it (resourceId the node group). A running node weaker than all of that (resourceId the instance) is
 * one whose settings were changed after launch or that was started on its own.
 */
export const nodeImdsRestricted: ClusterRule = {
  id: 'node-imds-restricted',
  scope: 'cluster',
  title: 'Nodes require IMDSv2 with a hop limit of 1',
  // The guide predates IMDSv2; its concern (pods must not reach what the node can) applied to the metadata service.
  guideline: 'EC2 Security Groups for Nodes (instance metadata, beyond the guide)',
  severity: 'high',
  description:
    'A node launch template, launch configuration or running node leaves the instance metadata service open to pods: HttpTokens not required (IMDSv1), or a hop limit above 1, set or left to defaults.',
  remediation:
    'Publish a launch template version with MetadataOptions HttpTokens=required and HttpPutResponseHopLimit=1 (or HttpEndpoint=disabled) and roll the node group to it (a managed node group without a template of its own: move it to such a template); fix a changed node with aws ec2 modify-instance-metadata-options --instance-id <id> --http-tokens required --http-put-response-hop-limit 1 --http-endpoint enabled. Pods that need AWS credentials get their own through IRSA or EKS Pod Identity.',
  needs: ['nodegroups', 'eksLaunchTemplates'],
  evaluate(view) {
    const { launches, nodes } = launchesOf(view);
    return [...launchViolations(launches), ...nodeViolations(nodes)];
  },
};
