import type { IpPermission } from '@aws-sdk/client-ec2';
import type { Config } from '../../configSchema';
import type { ClusterView, GroupAttachment } from '../../inventory/view';
import type { Violation } from '../engine/rule';
import { culprits, hasPublicAddresses, internetVerdict } from './internet';
import { cidrSets, describePermission, normalizeProtocol, parseCidr, permissionAdmits, permissionEvidence, permissionPortRange, unionSets, type AddressSets, type Cidr } from './net';
import { prefixListCidrs, prefixListEvidence } from './prefixLists';
import { RESOURCE, list, sgLabel } from './resources';

/** One inbound permission of one group, with its public sources (CIDRs as written, prefix lists by id) and their addresses. */
export interface OpenPermission {
  groupId: string;
  p: IpPermission;
  sources: string[];
  prefixLists: string[];
  set: AddressSets;
}

/** A slice of traffic judged as one: a TCP/UDP port range, a whole other protocol, or "other" (only all-traffic rules reach it). */
interface Unit {
  proto: string;
  from: number;
  to: number;
}

/** The internet reaching one slice of traffic on one network interface, and the groups the finding goes on. */
interface Exposure {
  attachment: GroupAttachment;
  unit: Unit;
  verdict: string;
  permissions: OpenPermission[];
  /** Groups whose change ends the exposure: those opening it alone, else those it needs, else every contributor. */
  carriers: string[];
  /** True when the carriers open it alone (no other group is involved in the story). */
  alone: boolean;
}

const SSH: Unit = { proto: 'tcp', from: 22, to: 22 };
const EMPTY: AddressSets = { 4: [], 6: [] };

function reaches(p: IpPermission, u: Unit): boolean {
  const proto = normalizeProtocol(p.IpProtocol);
  if (proto === 'all') return true;
  if (proto !== u.proto) return false;
  if (proto !== 'tcp' && proto !== 'udp') return true;
  const r = permissionPortRange(p);
  return r.from <= u.from && u.to <= r.to;
}

const describeUnit = (u: Unit) => (u.proto === 'other' ? 'other protocols' : describePermission({ IpProtocol: u.proto, FromPort: u.from, ToPort: u.to }));

/** Elementary slices over which every permission either admits all or nothing (cut at every range boundary and at TCP 22). */
function units(perms: OpenPermission[]): Unit[] {
  const out: Unit[] = [];
  for (const proto of ['tcp', 'udp']) {
    const cuts = new Set([0, 22, 23, 65536]);
    for (const { p } of perms) {
      if (normalizeProtocol(p.IpProtocol) !== proto) continue;
      const r = permissionPortRange(p);
      cuts.add(r.from).add(r.to + 1);
    }
    const sorted = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < sorted.length; i++) out.push({ proto, from: sorted[i], to: sorted[i + 1] - 1 });
  }
  const others = new Set(perms.map(({ p }) => normalizeProtocol(p.IpProtocol)).filter((x) => x !== 'all' && x !== 'tcp' && x !== 'udp'));
  for (const proto of others) out.push({ proto, from: 0, to: 0 });
  out.push({ proto: 'other', from: 0, to: 0 });
  return out.filter((u) => perms.some(({ p }) => reaches(p, u)));
}

function setOf(perms: OpenPermission[]): AddressSets {
  return perms.reduce((acc, p) => unionSets(acc, p.set), EMPTY);
}

function exposure(attachment: GroupAttachment, unit: Unit, perms: OpenPermission[], policy: Config['internetPrefix']): Exposure | undefined {
  const permissions = perms.filter((o) => reaches(o.p, unit));
  const verdict = internetVerdict(setOf(permissions), policy);
  if (!verdict) return undefined;
  const groups = [...new Set(permissions.map((o) => o.groupId))];
  const c = culprits(groups, (gs) => setOf(permissions.filter((o) => gs.includes(o.groupId))), policy);
  return { attachment, unit, verdict, permissions, carriers: c.culprits, alone: c.alone };
}

/**
 * The view's attachments, plus each group no attachment names, on its own (it is judged wherever it is). A group is
 * not judged alone when it shares an interface: what it admits there is the union, and that is what counts (alone,
 * a permission the union leaves to no-internet-ssh would be reported again by no-internet-ingress).
 */
function attachmentsOf(view: ClusterView): GroupAttachment[] {
  const attached = new Set(view.attachments.flatMap((a) => a.groupIds));
  const alone = view.securityGroups.map((g) => String(g.group.GroupId)).filter((id) => !attached.has(id));
  return [...view.attachments, ...alone.map((id) => ({ on: [], groupIds: [id] }))];
}

/**
 * The public sources of a permission: IpRanges and Ipv6Ranges CIDRs, and prefix lists expanded to their entries.
 * Security group references are not address sources. A prefix list that could not be read throws (not evaluated).
 */
function openPermission(view: ClusterView, groupId: string, p: IpPermission): OpenPermission | undefined {
  const sources: string[] = [];
  const prefixLists: string[] = [];
  const cidrs: Cidr[] = [];
  const addCidr = (text: string | undefined, label = text) => {
    const c = text ? parseCidr(text) : undefined;
    if (!c || !hasPublicAddresses(c)) return false;
    cidrs.push(c);
    if (label && !sources.includes(label)) sources.push(label);
    return true;
  };
  for (const r of p.IpRanges ?? []) addCidr(r.CidrIp);
  for (const r of p.Ipv6Ranges ?? []) addCidr(r.CidrIpv6);
  for (const r of p.PrefixListIds ?? []) {
    if (!r.PrefixListId) continue;
    const { cidrs: entries } = prefixListCidrs(view.prefixLists, r.PrefixListId, `security group ${groupId}`);
    if (entries.map((e) => addCidr(e, r.PrefixListId)).some(Boolean)) prefixLists.push(r.PrefixListId);
  }
  return cidrs.length ? { groupId, p, sources, prefixLists, set: cidrSets(cidrs) } : undefined;
}

/** Every exposure of the cluster's network interfaces: TCP 22 for `no-internet-ssh`, every other slice for `no-internet-ingress`. */
function exposures(view: ClusterView, config: Config, ssh: boolean): Exposure[] {
  const groups = new Map(view.securityGroups.map((g) => [String(g.group.GroupId), g.group]));
  const memo = new Map<string, OpenPermission[]>();
  // Only permissions the rule can report are expanded, so an unreadable prefix list on port 443 does not stop the SSH verdict.
  const relevant = (p: IpPermission) => !ssh || permissionAdmits(p, 'tcp', 22);
  const open = (id: string) => {
    let perms = memo.get(id);
    if (!perms) {
      perms = (groups.get(id)?.IpPermissions ?? []).filter(relevant).map((p) => openPermission(view, id, p)).filter((o): o is OpenPermission => !!o);
      memo.set(id, perms);
    }
    return perms;
  };
  const out: Exposure[] = [];
  for (const att of attachmentsOf(view)) {
    if (att.unknown) throw new Error(`the security groups of ${list(att.on)} are not known: ${att.unknown}`);
    const perms = att.groupIds.flatMap(open);
    if (!perms.length) continue;
    const sshExposure = exposure(att, SSH, perms, config.internetPrefix);
    if (ssh) {
      if (sshExposure) out.push(sshExposure);
      continue;
    }
    // A permission that opens TCP 22 is `no-internet-ssh`'s when SSH is open there: each permission is reported once.
    const usable = sshExposure ? perms.filter((o) => !permissionAdmits(o.p, 'tcp', 22)) : perms;
    for (const u of units(usable)) {
      if (u.proto === SSH.proto && u.from === SSH.from) continue;
      const e = exposure(att, u, usable, config.internetPrefix);
      if (e) out.push(e);
    }
  }
  return out;
}

/**
 * The split shared by `no-internet-ssh` and `no-internet-ingress`. What a network interface admits is the union of the
 * rules of every security group on it, so the internet is judged per attachment (the control plane, each node group's
 * nodes, each node's actual ENIs) on that union, per slice of traffic. One violation per group that carries an exposure;
 * when the exposure exists only through several groups, the evidence tells the whole story (each group, its
 * permissions, and what they share).
 */
export function internetPermissionViolations(
  view: ClusterView,
  config: Config,
  ssh: boolean,
  message: (label: string, own: OpenPermission[]) => string,
): Violation[] {
  const byGroup = new Map<string, Exposure[]>();
  for (const e of exposures(view, config, ssh)) for (const g of e.carriers) byGroup.set(g, [...(byGroup.get(g) ?? []), e]);

  const out: Violation[] = [];
  for (const { group, roles, usedBy } of view.securityGroups) {
    const id = String(group.GroupId);
    const mine = byGroup.get(id);
    if (!mine) continue;
    const own = [...new Set(mine.flatMap((e) => e.permissions.filter((o) => o.groupId === id)))];
    const shared = mine.filter((e) => !e.alone);
    let text = message(sgLabel(group), own);
    if (!mine.some((e) => e.alone)) {
      const e = shared[0];
      const others = [...new Set(e.permissions.map((o) => o.groupId))].filter((g) => g !== id);
      const sourcesOf = (g: string) => [...new Set(e.permissions.filter((o) => o.groupId === g).flatMap((o) => o.sources))].join(', ');
      text += `; with ${others.map((g) => `${g} (${sourcesOf(g)})`).join(' and ')} on ${list(e.attachment.on)} that admits ${e.verdict}`;
    }
    const lists = mine.flatMap((e) => e.permissions.flatMap((o) => o.prefixLists));
    const sharing = new Set(mine.flatMap((e) => e.attachment.groupIds));
    const missing = view.missing.filter((m) => m.kind === 'security group' && sharing.has(m.id));
    out.push({
      resourceType: RESOURCE.securityGroup,
      resourceId: id,
      message: text,
      evidence: {
        groupId: group.GroupId,
        groupName: group.GroupName,
        vpcId: group.VpcId,
        roles,
        usedBy,
        ipPermissions: own.map((o) => permissionEvidence(o.p, o.sources)),
        internet: [...new Set(mine.map((e) => e.verdict))].join('; '),
        ...(shared.length ? { exposures: shared.map(exposureEvidence) } : {}),
        ...(lists.length ? { prefixLists: prefixListEvidence(view.prefixLists, lists) } : {}),
        // A group its interfaces still name but EC2 no longer knows: it admits nothing, but the reader should know.
        ...(missing.length ? { missing } : {}),
      },
    });
  }
  return out;
}

/** At most this many carriers of an exposure are listed in evidence (a node group can have hundreds of nodes). */
const MAX_ON = 10;

function exposureEvidence(e: Exposure): Record<string, unknown> {
  const groups = [...new Set(e.permissions.map((o) => o.groupId))];
  const on = e.attachment.on;
  return {
    on: on.slice(0, MAX_ON),
    ...(on.length > MAX_ON ? { onTotal: on.length } : {}),
    traffic: describeUnit(e.unit),
    internet: e.verdict,
    groups: groups.map((groupId) => ({ groupId, ipPermissions: e.permissions.filter((o) => o.groupId === groupId).map((o) => permissionEvidence(o.p, o.sources)) })),
  };
}
