import type { NodeRoleView } from '../inventory/view';
import type { ClusterRule, Violation } from './engine/rule';
import { evaluateActions, parsePolicyDocument, type NamedDocument } from './semantics/policyDocument';
import { RESOURCE, list } from './semantics/resources';

/** What the SSM agent needs to register the node and open Session Manager sessions. */
const SESSION_MANAGER_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];

/** AWS managed policies that grant them (the current one, and the legacy one), by name under `arn:…:iam::aws:policy/`. */
const SESSION_MANAGER_POLICIES = new Set(['AmazonSSMManagedInstanceCore', 'AmazonEC2RoleforSSM']);

const awsManagedName = (arn: string) => /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];

/**
 * The role's identity policies as documents: the Session Manager managed policies stand for what they grant; every
 * other attached policy and every inline policy is read. Returns what could not be read too.
 */
function documents(r: NodeRoleView): { identity: NamedDocument[]; boundary?: NamedDocument; unread: string[] } {
  const d = r.details;
  const identity: NamedDocument[] = [];
  const unread: string[] = [];
  const read = (source: string, text: string | undefined): NamedDocument | undefined => {
    if (text === undefined) return void unread.push(`${source} (document not read)`);
    try {
      return { source, document: parsePolicyDocument(text) };
    } catch (e) {
      unread.push(`${source} (${(e as Error).message})`);
      return undefined;
    }
  };
  for (const p of d.attachedPolicies) {
    const arn = p.PolicyArn ?? '';
    if (SESSION_MANAGER_POLICIES.has(awsManagedName(arn) ?? '')) {
      identity.push({ source: arn, document: { statements: [{ effect: 'Allow', action: ['ssm:UpdateInstanceInformation', 'ssmmessages:*'], resource: ['*'] }] } });
      continue;
    }
    const doc = read(arn, d.managedPolicies[arn]?.version?.Document);
    if (doc) identity.push(doc);
  }
  for (const name of d.inlinePolicyNames) {
    const doc = read(`inline policy ${name}`, d.inlinePolicies.find((p) => p.PolicyName === name)?.PolicyDocument);
    if (doc) identity.push(doc);
  }
  const boundaryArn = d.role?.PermissionsBoundary?.PermissionsBoundaryArn;
  const boundary = boundaryArn ? read(`permissions boundary ${boundaryArn}`, d.managedPolicies[boundaryArn]?.version?.Document) : undefined;
  return { identity, ...(boundary ? { boundary } : {}), unread };
}

/**
 * Node roles let Session Manager reach the nodes (guide: Control SSH Access to Nodes — use Session Manager instead of
 * SSH): every node role (managed node groups' `nodeRole`, self-managed nodes' instance-profile role) allows
 * ssm:UpdateInstanceInformation and the ssmmessages:*Channel actions — through AmazonSSMManagedInstanceCore, the
 * legacy AmazonEC2RoleforSSM, or inline/customer policies read statement by statement (wildcards, NotAction,
 * explicit Deny, the permissions boundary). A grant that depends on conditions or narrowed resources, or a document
 * that could not be read, cannot be confirmed and is reported as such. Service control policies and the account's
 * Default Host Management Configuration are not read. resourceId = node role ARN (the node group, Auto Scaling group
 * or instance for nodes without a role).
 */
export const nodesSsmManaged: ClusterRule = {
  id: 'nodes-ssm-managed',
  scope: 'cluster',
  title: 'Nodes can be reached with Session Manager',
  guideline: 'Control SSH Access to Nodes (Session Manager)',
  severity: 'info',
  description:
    'A node role (managed node groups\' nodeRole, self-managed nodes\' instance-profile role) grants neither AmazonSSMManagedInstanceCore (or the legacy AmazonEC2RoleforSSM) nor an inline/customer policy allowing ssm:UpdateInstanceInformation and the ssmmessages:*Channel actions.',
  remediation:
    'Attach AmazonSSMManagedInstanceCore to the node role (aws iam attach-role-policy --role-name <node role> --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore) and reach nodes with aws ssm start-session instead of SSH.',
  needs: ['nodegroups', 'nodeRoles'],
  evaluate(view) {
    const out: Violation[] = [];
    for (const r of view.nodeRoles) {
      const d = r.details;
      const base = { roleArn: r.roleArn, usedBy: r.usedBy, via: r.via };
      if (d.foreignAccount || !d.role) {
        const why = d.foreignAccount ? `belongs to account ${d.foreignAccount}, whose policies cannot be read` : 'does not exist';
        out.push({ resourceType: RESOURCE.iamRole, resourceId: r.roleArn, message: `node role ${r.roleArn} of ${list(r.usedBy)} ${why}: Session Manager cannot be confirmed`, evidence: { ...base, problem: why } });
        continue;
      }
      const { identity, boundary, unread } = documents(r);
      const verdicts = evaluateActions(SESSION_MANAGER_ACTIONS, identity, boundary);
      const missing = verdicts.filter((v) => v.decision !== 'allowed');
      if (!missing.length) continue;
      const decided = !unread.length && missing.every((v) => v.decision === 'denied' || v.decision === 'not-allowed');
      out.push({
        resourceType: RESOURCE.iamRole,
        resourceId: r.roleArn,
        message: `node role ${r.roleArn} of ${list(r.usedBy)} ${decided ? 'does not allow' : 'cannot be confirmed to allow'} ${list(missing.map((v) => v.action), 2)} (Session Manager)`,
        evidence: {
          ...base,
          attachedPolicies: d.attachedPolicies.map((p) => p.PolicyArn),
          inlinePolicies: d.inlinePolicyNames,
          permissionsBoundary: d.role.PermissionsBoundary?.PermissionsBoundaryArn,
          decided,
          actions: missing.map((v) => ({ action: v.action, decision: v.decision, ...(v.deniedBy.length ? { deniedBy: v.deniedBy } : {}), ...(v.undecidedBecause.length ? { undecidedBecause: v.undecidedBecause } : {}) })),
          ...(unread.length ? { notRead: unread } : {}),
        },
      });
    }
    for (const n of view.nodesWithoutRole) {
      out.push({
        resourceType: n.resourceType === 'group' ? RESOURCE.autoScalingGroup : RESOURCE.instance,
        resourceId: n.node,
        message: `${n.resourceType === 'group' ? 'Auto Scaling group' : 'instance'} ${n.node} ${n.reason}: Session Manager cannot reach its nodes`,
        evidence: { node: n.node, reason: n.reason, ...(n.instanceProfile ? { instanceProfile: n.instanceProfile } : {}) },
      });
    }
    return out;
  },
};
