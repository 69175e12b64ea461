import type { ClusterRule } from './engine/rule';
import { requirePart } from './engine/parts';
import { clustersCreatedBy, identifyCreator, type Creator } from './semantics/creator';
import { parsePolicyDocument, trustAllowsAnyPrincipal } from './semantics/policyDocument';
import { RESOURCE, list } from './semantics/resources';

const NOT_A_ROLE: Record<Exclude<Creator['kind'], 'role'>, string> = {
  root: 'the root user',
  user: 'an IAM user',
  'federated-session': 'a federated (human) session',
  'sso-session': 'an IAM Identity Center (SSO) session, i.e. a person',
  other: 'a principal that is not an IAM role',
};

function resourceTypeOf(c: Creator): string {
  if (c.kind === 'root') return RESOURCE.account;
  return c.kind === 'user' || c.kind === 'federated-session' ? RESOURCE.iamUser : RESOURCE.iamRole;
}

/**
 * Each cluster is created by a dedicated IAM role (guide: Dedicated IAM Role for EKS Cluster Creation, steps 1, 2,
 * 7): a role that created no other cluster, holds no permissions once the cluster exists, and that not just anyone
 * may assume. The creator comes from the CreateCluster record (the event itself, then the sources behind it), else
 * the creator's bootstrap access entry (see semantics/creator); when neither says, the rule is not evaluated.
 * Violations: an IAM user, the root user, a federated or SSO (person's) session; a role that created more than one
 * cluster (by the CreateCluster records the sources know), still has attached or inline policies, or whose trust
 * policy lets any principal assume it. resourceId = the creator's ARN (the role behind an assumed-role session).
 */
export const creatorRoleDedicated: ClusterRule = {
  id: 'creator-role-dedicated',
  scope: 'cluster',
  title: 'Clusters are created by a dedicated IAM role',
  guideline: 'Dedicated IAM Role for EKS Cluster Creation, steps 1, 2, 7',
  severity: 'medium',
  description:
    'The cluster was created by an IAM user, the root user, a human/SSO session or a role that created other clusters, or the creator role still has IAM permissions (attached or inline) or a trust policy that lets any principal assume it.',
  remediation:
    'Create clusters with a role used for nothing else (one per cluster), assumable only by your provisioning pipeline; once the cluster exists, detach its policies and delete its inline policies (aws iam detach-role-policy / delete-role-policy), and grant people cluster access through access entries instead.',
  needs: [],
  mayNeed: ['creator', 'accessEntries', 'creatorRole'],
  evaluate(view) {
    const who = identifyCreator(view);
    if ('unknown' in who) throw new Error(who.unknown);
    const creator = who.creator;
    const reasons: string[] = [];
    const evidence: Record<string, unknown> = {
      creator: creator.arn,
      kind: creator.kind,
      identityType: creator.identityType,
      sessionArn: creator.sessionArn,
      identifiedBy: creator.via,
    };
    const undecided: string[] = [];

    if (creator.kind !== 'role') reasons.push(`the creator is ${NOT_A_ROLE[creator.kind]}, not a dedicated role`);
    else {
      const created = clustersCreatedBy(view, creator);
      evidence.clustersCreated = created;
      const failed = view.creatorSources.filter((s) => s.error);
      if (created.length > 1) reasons.push(`its creator role created ${created.length} clusters (${list(created.map((c) => c.cluster))})`);
      else if (failed.length) undecided.push(`clusters created by the role: ${failed.map((s) => `${s.name} could not be read (${s.error})`).join('; ')}`);

      requirePart(view, 'creatorRole');
      const details = view.creatorRole;
      if (details?.foreignAccount) undecided.push(`the role belongs to account ${details.foreignAccount}: its policies cannot be read from ${view.account}`);
      else if (!details?.role) evidence.role = 'no longer exists';
      else {
        const attached = details.attachedPolicies.map((p) => p.PolicyArn ?? p.PolicyName ?? '?');
        if (attached.length || details.inlinePolicyNames.length) {
          reasons.push(`its creator role still holds ${[attached.length && `attached ${list(attached)}`, details.inlinePolicyNames.length && `inline ${list(details.inlinePolicyNames)}`].filter(Boolean).join(' and ')}`);
          evidence.attachedPolicies = attached;
          evidence.inlinePolicies = details.inlinePolicyNames;
        }
        const trust = trustAllowsAnyPrincipal(parsePolicyDocument(details.role.AssumeRolePolicyDocument ?? '{}'), 'trust policy');
        if (trust.open) {
          reasons.push('its trust policy lets any principal assume it');
          evidence.trustPolicy = trust;
        }
      }
    }

    if (!reasons.length) {
      if (undecided.length) throw new Error(`cannot confirm ${creator.arn} is dedicated: ${undecided.join('; ')}`);
      return [];
    }
    return [
      {
        resourceType: resourceTypeOf(creator),
        resourceId: creator.arn,
        message: `cluster ${view.name} was created by ${creator.arn}: ${reasons.join('; ')}`,
        evidence: { ...evidence, violations: reasons, ...(undecided.length ? { undecided } : {}) },
      },
    ];
  },
};
