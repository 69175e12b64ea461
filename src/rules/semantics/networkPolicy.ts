/**
 * Egress semantics of Kubernetes NetworkPolicy and Calico (Global)NetworkPolicy, for one question: may a pod open a
 * TCP connection to port 22 somewhere? Pure: works on the objects as the Kubernetes API returns them.
 *
 * Kubernetes (networking.k8s.io/v1): a pod is isolated for egress when some NetworkPolicy whose policyTypes include
 * Egress (when omitted: Ingress, plus Egress if the policy has egress rules) selects it; it may then send only what
 * some egress rule of those policies allows. A rule without `ports` allows every port and protocol, one without `to`
 * every destination (so `{}` allows everything); `port` is a number (with `endPort`, a range) or a named port,
 * `protocol` defaults to TCP.
 *
 * Calico (crd.projectcalico.org/v1, as Felix evaluates it): policies are grouped in tiers and ordered by `order`
 * (missing = last, ties by name); Kubernetes NetworkPolicies sit in the default tier at order 1000 as Allow rules.
 * For a packet, the policies that apply to the pod (selector, namespace, types including Egress) are walked in order
 * and their rules in order: the first matching Allow or Deny decides, Pass skips to the next tier, Log goes on. A
 * tier in which some policy applied and no rule decided denies; a tier in which none applied is skipped. What gets
 * through every tier reaches the namespace profile, which allows it (an unselected pod is not isolated).
 *
 * Pods are not read: the evaluation runs over every label class the selectors distinguish, so "pods labelled
 * app=web" are open exactly when a pod with those labels would be. Destinations are IP addresses: outside the
 * cluster (matched by `nets`/ipBlock, never by selectors) and endpoints (pods, hosts), tracked as address sets so an
 * earlier Deny for 0.0.0.0/0 shadows later Allows exactly. What cannot be decided (named ports, `contains`/`starts
 * with` selectors, source nets, HTTP matches, tiers whose order is not read) is reported as undecided, never guessed.
 */
import type { AddressSets, Family } from './net';
import { allAddresses, cidrSets, differenceSets, formatAddress, intersectionSets, parseCidr, unionSets } from './net';
import {
  addToVocabulary,
  and3,
  describeLabels,
  evaluateSelector,
  forEachLabelClass,
  formatSelector,
  fromKubeSelector,
  not3,
  or3,
  parseCalicoSelector,
  selectorVocabulary,
  selectsEverything,
  type KubeLabelSelector,
  type Labels,
  type Tri,
} from './labelSelector';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const meta = (o: Obj) => (isObj(o.metadata) ? o.metadata : {});
const spec = (o: Obj) => (isObj(o.spec) ? o.spec : {});
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export interface NetworkPolicyInput {
  /** v1 Namespace objects. */
  namespaces: Obj[];
  /** networking.k8s.io/v1 NetworkPolicy objects. */
  networkPolicies: Obj[];
  /** crd.projectcalico.org/v1 NetworkPolicy objects (namespaced). */
  calicoNetworkPolicies: Obj[];
  /** crd.projectcalico.org/v1 GlobalNetworkPolicy objects. */
  calicoGlobalNetworkPolicies: Obj[];
  /** Calico enforces (its semantics, and its own policies, apply); otherwise only Kubernetes NetworkPolicies do. */
  calico: boolean;
}

export interface NamespaceEgress {
  namespace: string;
  /** Some pod of the namespace may open TCP 22 (for sure, or possibly when `undecided` says why). */
  open: boolean;
  reasons: string[];
  undecided: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Destinations: addresses outside the cluster, and endpoint addresses

interface Space {
  ext: AddressSets;
  ep: AddressSets;
}

const everything = (): Space => ({ ext: allAddresses(), ep: allAddresses() });
const nothing = (): Space => ({ ext: { 4: [], 6: [] }, ep: { 4: [], 6: [] } });
const emptySet = (s: AddressSets) => s[4].length === 0 && s[6].length === 0;
const isEmpty = (s: Space) => emptySet(s.ext) && emptySet(s.ep);

/** A set of addresses given by CIDRs (`undefined` = all), minus other CIDRs, per family. */
interface Nets {
  include?: string[];
  exclude: string[];
  family?: Family;
}

const netSets = new WeakMap<Nets, AddressSets>();

/** netSet, parsed once per rule (the same rule is walked for every label class of every namespace). */
function netSetOf(n: Nets): AddressSets {
  let set = netSets.get(n);
  if (!set) netSets.set(n, (set = netSet(n)));
  return set;
}

function netSet(n: Nets): AddressSets {
  const parse = (text: string) => {
    const c = parseCidr(text);
    if (!c) throw new Error(`not a CIDR: ${text}`);
    return c;
  };
  const included = n.include ? cidrSets(n.include.map(parse)) : allAddresses();
  const set = differenceSets(included, cidrSets(n.exclude.map(parse)));
  return n.family ? { 4: [], 6: [], [n.family]: set[n.family] } : set;
}

function example(s: AddressSets): string | undefined {
  if (s[4].length) return formatAddress(4, s[4][0][0]);
  if (s[6].length) return formatAddress(6, s[6][0][0]);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The common policy model

/** Which destinations a rule reaches: addresses (`nets`), and whether only endpoints matching a selector. */
interface Destination {
  nets: Nets;
  /** 'any': addresses alone decide; 'all-endpoints': every endpoint in `nets`, no outside address; 'some-endpoints': endpoints a selector picks, only. */
  reach: 'any' | 'all-endpoints' | 'some-endpoints';
  /** Endpoints a negative selector leaves out: outside addresses are matched, endpoints only partly. */
  notEndpoints?: string;
  text: string;
}

interface Rule {
  label: string;
  action: 'Allow' | 'Deny' | 'Pass' | 'Log';
  /** Does the rule match TCP to port 22 from this pod (protocol, ports, source constraints)? */
  matches: (pod: Labels) => Tri;
  why: (pod: Labels) => string[];
  dest: Destination;
  /** Describes what it allows, for reasons. */
  text: string;
}

interface Policy {
  label: string;
  /** The namespace a namespaced policy is confined to; undefined for a GlobalNetworkPolicy. */
  namespace?: string;
  tier: string;
  order: number;
  sortName: string;
  applies: (ns: Namespace, pod: Labels) => Tri;
  /** Its egress rules as seen from pods of `ns` (a source namespaceSelector depends on it). */
  rulesFor: (ns: Namespace) => Rule[];
  /** Pod label keys and values its selectors distinguish. */
  vocabulary: Map<string, Set<string>>;
  /** Why this policy cannot be evaluated, if so (it is then left out, with this reason). */
  broken?: string;
}

interface Namespace {
  name: string;
  labels: Record<string, string>;
}

const SSH = 22;
const NS_LABEL = 'projectcalico.org/namespace';
const SA_LABEL = 'projectcalico.org/serviceaccount';

/** The labels Calico gives a pod beyond its own: its namespace, orchestrator, and namespace labels as `pcns.*`. */
function podLabels(ns: Namespace, pod: Labels): Labels {
  const out: Record<string, string | undefined> = { ...pod, [NS_LABEL]: ns.name, 'projectcalico.org/orchestrator': 'k8s' };
  for (const [k, v] of Object.entries(ns.labels)) out[`pcns.${k}`] = v;
  return out;
}

const namespaceLabels = (ns: Namespace): Labels => ({ ...ns.labels, 'projectcalico.org/name': ns.name });

// ---- ports

/** Does one port spec (number, "a:b" range, or a name) cover 22? Named ports are resolved on the destination pod. */
function portCovers(p: unknown, endPort?: unknown): Tri {
  if (typeof p === 'number') return p <= SSH && SSH <= (typeof endPort === 'number' ? endPort : p);
  if (typeof p === 'string') {
    const range = /^(\d+)(?::(\d+))?$/.exec(p.trim());
    if (range) return Number(range[1]) <= SSH && SSH <= Number(range[2] ?? (typeof endPort === 'number' ? endPort : range[1]));
    return 'unknown';
  }
  return false;
}

// ---- Kubernetes NetworkPolicy

/** policyTypes as the API server defaults them: Ingress always, Egress when the policy has egress rules. */
export function kubePolicyTypes(s: Obj): string[] {
  const given = arr(s.policyTypes).filter((t): t is string => typeof t === 'string');
  if (given.length) return given;
  return arr(s.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function kubeRules(policyLabel: string, s: Obj): Rule[] {
  const out: Rule[] = [];
  arr(s.egress).forEach((raw, i) => {
    const r = isObj(raw) ? raw : {};
    const ports = arr(r.ports).filter(isObj);
    const named: string[] = [];
    const portMatch: Tri =
      ports.length === 0
        ? true
        : or3(
            ...ports.map((p) => {
              const proto = (str(p.protocol) ?? 'TCP').toUpperCase();
              if (proto !== 'TCP') return false;
              if (p.port === undefined) return true;
              const c = portCovers(p.port, p.endPort);
              if (c === 'unknown') named.push(String(p.port));
              return c;
            }),
          );
    const portText = ports.length === 0 ? 'every port' : ports.map((p) => `${str(p.protocol) ?? 'TCP'} ${p.port ?? 'all ports'}${p.endPort !== undefined ? `-${String(p.endPort)}` : ''}`).join(', ');
    const peers = arr(r.to).filter(isObj);
    const dests: Destination[] = peers.length === 0 ? [{ nets: { exclude: [] }, reach: 'any', text: 'any destination' }] : peers.map(kubePeer);
    for (const dest of dests) {
      out.push({
        label: `${policyLabel} egress rule ${i + 1}`,
        action: 'Allow',
        matches: () => portMatch,
        why: () => (portMatch === 'unknown' ? [`named port ${named.join(', ')} may be 22 on the destination pod`] : []),
        dest,
        text: `allows ${portText} to ${dest.text}`,
      });
    }
  });
  return out;
}

function kubePeer(p: Obj): Destination {
  if (isObj(p.ipBlock)) {
    const cidr = str(p.ipBlock.cidr) ?? '';
    const except = arr(p.ipBlock.except).map(String);
    return { nets: { include: [cidr], exclude: except }, reach: 'any', text: `${cidr}${except.length ? ` except ${except.join(', ')}` : ''}` };
  }
  const parts: string[] = [];
  if (isObj(p.namespaceSelector)) parts.push(`namespaces matching ${formatSelector(fromKubeSelector(p.namespaceSelector as KubeLabelSelector))}`);
  if (isObj(p.podSelector)) parts.push(`pods matching ${formatSelector(fromKubeSelector(p.podSelector as KubeLabelSelector))}`);
  const text = parts.length ? parts.join(' and ') : 'pods of the namespace';
  return { nets: { exclude: [] }, reach: 'some-endpoints', text };
}

function kubePolicy(o: Obj): Policy {
  const m = meta(o);
  const s = spec(o);
  const ns = str(m.namespace) ?? 'default';
  const name = str(m.name) ?? '?';
  const label = `NetworkPolicy ${ns}/${name}`;
  const base = { label, namespace: ns, tier: 'default', order: 1000, sortName: `knp.default.${name}`, vocabulary: new Map<string, Set<string>>() };
  try {
    const podSel = fromKubeSelector(isObj(s.podSelector) ? (s.podSelector as KubeLabelSelector) : {});
    selectorVocabulary(podSel, base.vocabulary);
    const egress = kubePolicyTypes(s).includes('Egress');
    const rules = egress ? kubeRules(label, s) : [];
    return { ...base, applies: (n, pod) => (egress && n.name === ns ? evaluateSelector(podSel, pod) : false), rulesFor: () => rules };
  } catch (e) {
    return { ...base, applies: () => false, rulesFor: () => [], broken: `${label}: ${(e as Error).message}` };
  }
}

// ---- Calico (Global)NetworkPolicy

/** Calico's defaulting of `types`: Ingress without egress rules; Egress with egress rules only; both with both. */
export function calicoPolicyTypes(s: Obj): string[] {
  const given = arr(s.types).filter((t): t is string => typeof t === 'string');
  if (given.length) return given;
  if (arr(s.egress).length === 0) return ['Ingress'];
  return arr(s.ingress).length === 0 ? ['Egress'] : ['Ingress', 'Egress'];
}

function protocolIs(p: unknown, name: 'TCP'): boolean {
  return typeof p === 'number' ? p === 6 : typeof p === 'string' && (p.toUpperCase() === name || p === '6');
}

function calicoDestination(d: Obj, ipVersion: unknown): Destination {
  const family = ipVersion === 4 || ipVersion === 6 ? ipVersion : undefined;
  const nets: Nets = { include: d.nets === undefined ? undefined : arr(d.nets).map(String), exclude: arr(d.notNets).map(String), family };
  const selector = str(d.selector);
  const nsSelector = str(d.namespaceSelector);
  const constraints: string[] = [];
  if (selector !== undefined) constraints.push(`endpoints matching ${selector || 'all()'}`);
  if (nsSelector !== undefined) constraints.push(`in namespaces matching ${nsSelector || 'all()'}`);
  if (isObj(d.serviceAccounts)) constraints.push(`running as service accounts ${JSON.stringify(d.serviceAccounts)}`);
  if (isObj(d.services)) constraints.push(`of service ${JSON.stringify(d.services)}`);
  const netText = nets.include ? nets.include.join(', ') : '';
  const notNetText = nets.exclude.length ? ` except ${nets.exclude.join(', ')}` : '';
  const notSel = str(d.notSelector);
  if (constraints.length) {
    const everyEndpoint =
      constraints.length === (selector !== undefined ? 1 : 0) + (nsSelector !== undefined ? 1 : 0) &&
      (selector === undefined || selectsEverything(parseCalicoSelector(selector))) &&
      (nsSelector === undefined || selectsEverything(parseCalicoSelector(nsSelector))) &&
      notSel === undefined;
    const text = `${constraints.join(' ')}${netText ? ` within ${netText}` : ''}${notNetText}`;
    return { nets, reach: everyEndpoint ? 'all-endpoints' : 'some-endpoints', text };
  }
  const text = `${netText || 'any destination'}${notNetText}${notSel !== undefined ? ` (not endpoints matching ${notSel})` : ''}`;
  return { nets, reach: 'any', ...(notSel !== undefined ? { notEndpoints: notSel } : {}), text };
}

function calicoRule(label: string, r: Obj, ns: Namespace | undefined): Omit<Rule, 'label' | 'dest' | 'text'> & { destRaw: Obj } {
  const action = (['Allow', 'Deny', 'Pass', 'Log'] as const).find((a) => a.toLowerCase() === String(r.action ?? '').toLowerCase());
  if (!action) throw new Error(`${label}: unknown action ${JSON.stringify(r.action)}`);
  const d = isObj(r.destination) ? r.destination : {};
  const src = isObj(r.source) ? r.source : {};
  const fixed: Tri[] = [];
  const notes: string[] = [];
  // Protocol: absent matches every protocol.
  if (r.protocol !== undefined && !protocolIs(r.protocol, 'TCP')) fixed.push(false);
  if (r.notProtocol !== undefined && protocolIs(r.notProtocol, 'TCP')) fixed.push(false);
  if (d.ports !== undefined) {
    const ports = arr(d.ports).map((p) => portCovers(p));
    const m = or3(...ports);
    if (m === 'unknown') notes.push(`named destination port ${JSON.stringify(d.ports)} may be 22`);
    fixed.push(m);
  }
  if (d.notPorts !== undefined) {
    const m = or3(...arr(d.notPorts).map((p) => portCovers(p)));
    if (m === 'unknown') notes.push(`named notPorts ${JSON.stringify(d.notPorts)} may exclude 22`);
    fixed.push(m === 'unknown' ? 'unknown' : !m);
  }
  if (r.http !== undefined) {
    notes.push('an HTTP match (application layer) is not evaluated');
    fixed.push('unknown');
  }
  if (src.nets !== undefined || src.notNets !== undefined) {
    notes.push('source nets depend on the pod IP');
    fixed.push('unknown');
  }
  if (src.ports !== undefined || src.notPorts !== undefined) {
    notes.push('source ports depend on the client');
    fixed.push('unknown');
  }
  const srcSel = src.selector !== undefined ? parseCalicoSelector(str(src.selector)) : undefined;
  const srcNotSel = src.notSelector !== undefined ? parseCalicoSelector(str(src.notSelector)) : undefined;
  const srcNsSel = src.namespaceSelector !== undefined ? parseCalicoSelector(str(src.namespaceSelector)) : undefined;
  const sa = isObj(src.serviceAccounts) ? src.serviceAccounts : undefined;
  const saNames = sa ? arr(sa.names).map(String) : [];
  if (sa?.selector !== undefined) {
    notes.push('service account labels are not read');
    fixed.push('unknown');
  }
  const matches = (pod: Labels): Tri => {
    const checks: Tri[] = [...fixed];
    if (srcSel) checks.push(evaluateSelector(srcSel, pod));
    if (srcNotSel) checks.push(not3(evaluateSelector(srcNotSel, pod)));
    if (srcNsSel && ns) checks.push(evaluateSelector(srcNsSel, namespaceLabels(ns)));
    if (saNames.length) checks.push(pod[SA_LABEL] !== undefined && saNames.includes(pod[SA_LABEL]!));
    return and3(...checks);
  };
  return { action, matches, why: () => notes, destRaw: d };
}

const VERB = { Allow: 'allows', Deny: 'denies', Pass: 'passes', Log: 'logs' } as const;

function calicoPolicy(o: Obj, global: boolean): Policy {
  const m = meta(o);
  const s = spec(o);
  const name = str(m.name) ?? '?';
  const ns = global ? undefined : (str(m.namespace) ?? 'default');
  const label = `${global ? 'GlobalNetworkPolicy' : 'Calico NetworkPolicy'} ${ns ? `${ns}/` : ''}${name}`;
  const order = typeof s.order === 'number' ? s.order : Infinity;
  const tier = str(s.tier) || 'default';
  const base = { label, namespace: ns, tier, order, sortName: ns ? `${ns}/${name}` : name, vocabulary: new Map<string, Set<string>>() };
  try {
    // Pre-DNAT and untracked policies apply to host endpoints only, never to pods.
    if (s.doNotTrack === true || s.preDNAT === true) return { ...base, applies: () => false, rulesFor: () => [] };
    const selector = parseCalicoSelector(str(s.selector));
    const nsSelector = s.namespaceSelector !== undefined ? parseCalicoSelector(str(s.namespaceSelector)) : undefined;
    const saSelector = str(s.serviceAccountSelector);
    selectorVocabulary(selector, base.vocabulary);
    const egress = calicoPolicyTypes(s).includes('Egress');
    const rawRules = egress ? arr(s.egress).filter(isObj) : [];
    for (const r of rawRules) {
      const src = isObj(r.source) ? r.source : {};
      for (const k of ['selector', 'notSelector'] as const) if (src[k] !== undefined) selectorVocabulary(parseCalicoSelector(str(src[k])), base.vocabulary);
      if (isObj(src.serviceAccounts)) addToVocabulary(base.vocabulary, SA_LABEL, arr(src.serviceAccounts.names).map(String));
    }
    const prefix = `${label}${Number.isFinite(order) ? ` (order ${order})` : ''}`;
    const build = (n: Namespace): Rule[] =>
      rawRules.map((r, i) => {
        const ruleLabel = `${prefix} egress rule ${i + 1}`;
        const c = calicoRule(ruleLabel, r, n);
        const dest = calicoDestination(c.destRaw, r.ipVersion);
        return { label: ruleLabel, action: c.action, matches: c.matches, why: c.why, dest, text: `${VERB[c.action]} TCP 22 to ${dest.text}` };
      });
    // Built once here so a malformed rule breaks the policy visibly instead of failing per namespace.
    build({ name: '', labels: {} });
    const cache = new Map<string, Rule[]>();
    return {
      ...base,
      applies: (n, pod) => {
        if (!egress) return false;
        if (ns !== undefined && n.name !== ns) return false;
        const checks: Tri[] = [evaluateSelector(selector, podLabels(n, pod))];
        if (nsSelector) checks.push(evaluateSelector(nsSelector, namespaceLabels(n)));
        if (saSelector) checks.push('unknown');
        return and3(...checks);
      },
      rulesFor: (n) => {
        let rules = cache.get(n.name);
        if (!rules) cache.set(n.name, (rules = build(n)));
        return rules;
      },
    };
  } catch (e) {
    return { ...base, applies: () => false, rulesFor: () => [], broken: `${label}: ${(e as Error).message}` };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

interface Outcome {
  reasons: string[];
  undecided: string[];
}

/** What one rule does to the destinations still undecided: which it reaches for sure, and whether more may match. */
function reached(rule: Rule, state: Space): { sure: Space; maybeEndpoints: boolean } {
  const nets = netSetOf(rule.dest.nets);
  const sure = nothing();
  let maybeEndpoints = false;
  if (rule.dest.reach === 'any') {
    sure.ext = intersectionSets(state.ext, nets);
    if (rule.dest.notEndpoints === undefined) sure.ep = intersectionSets(state.ep, nets);
    else maybeEndpoints = !emptySet(intersectionSets(state.ep, nets));
  } else if (rule.dest.reach === 'all-endpoints') sure.ep = intersectionSets(state.ep, nets);
  else maybeEndpoints = !emptySet(intersectionSets(state.ep, nets));
  return { sure, maybeEndpoints };
}

const subtractSpace = (a: Space, b: Space): Space => ({ ext: differenceSets(a.ext, b.ext), ep: differenceSets(a.ep, b.ep) });
const joinSpace = (a: Space, b: Space): Space => ({ ext: unionSets(a.ext, b.ext), ep: unionSets(a.ep, b.ep) });

function describeReach(s: Space): string {
  const ext = example(s.ext);
  const ep = example(s.ep);
  return ext ? `e.g. ${ext}` : ep ? `endpoints, e.g. ${ep}` : '';
}

/**
 * Walks the tiers for one pod class. `selects` decides which policies apply (the caller resolves undecidable
 * selectors both ways). A rule that may or may not match (a named port, a source IP) neither allows nor denies
 * for sure: an Allow it guards is undecided, and an Allow behind a Deny that may match is undecided too.
 */
function evaluatePod(ns: Namespace, pod: Labels, tiers: Policy[][], selects: (p: Policy) => boolean): Outcome {
  const out: Outcome = { reasons: [], undecided: [] };
  let state = everything();
  let anyApplied = false;
  const mayDeny: string[] = [];
  for (const tier of tiers) {
    const applying = tier.filter(selects);
    if (!applying.length) continue;
    anyApplied = true;
    let passed = nothing();
    for (const p of applying) {
      for (const rule of p.rulesFor(ns)) {
        if (isEmpty(state)) break;
        const m = rule.matches(pod);
        if (m === false || rule.action === 'Log') continue;
        const { sure, maybeEndpoints } = reached(rule, state);
        if (isEmpty(sure) && !maybeEndpoints) continue;
        if (m === 'unknown') {
          if (rule.action === 'Allow') out.undecided.push(`${rule.label} may allow TCP 22 (${rule.why(pod).join('; ')})`);
          else mayDeny.push(`${rule.label} (${rule.why(pod).join('; ')})`);
          continue;
        }
        if (rule.action === 'Allow') {
          const what = `${rule.label} ${rule.text}${isEmpty(sure) ? '' : ` (${describeReach(sure)})`}`;
          if (mayDeny.length) out.undecided.push(`${what}, unless ${mayDeny.join(', ')} denies it first`);
          else out.reasons.push(what);
        } else if (rule.action === 'Pass') passed = joinSpace(passed, sure);
        state = subtractSpace(state, sure);
      }
    }
    // End of a tier in which policies applied: what no rule allowed or passed on is denied.
    state = passed;
  }
  if (!isEmpty(state)) {
    const what = anyApplied
      ? `TCP 22 (${describeReach(state)}) is passed through every tier and allowed by the namespace profile`
      : 'no egress policy selects these pods, so all their egress is allowed';
    if (mayDeny.length) out.undecided.push(`${what}, unless ${mayDeny.join(', ')} denies it`);
    else out.reasons.push(what);
  }
  return out;
}

function sortTier(policies: Policy[]): Policy[] {
  return [...policies].sort((a, b) => (a.order !== b.order ? a.order - b.order : a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0));
}

/** Calico's own labels on a pod, fixed by its namespace: not enumerated. */
const fixedKey = (k: string) => k === NS_LABEL || k === 'projectcalico.org/orchestrator' || k.startsWith('pcns.');

/**
 * For every namespace: may some pod open TCP 22, and why. Each reason names the policy and rule (or the absence of
 * one) and the pods it concerns: "every pod", or an example label class.
 */
export function sshEgressByNamespace(input: NetworkPolicyInput): NamespaceEgress[] {
  const namespaces: Namespace[] = input.namespaces.filter(isObj).map((o) => {
    const m = meta(o);
    const labels = isObj(m.labels) ? Object.fromEntries(Object.entries(m.labels).map(([k, v]) => [k, String(v)])) : {};
    return { name: str(m.name) ?? '?', labels };
  });
  const policies: Policy[] = [
    ...input.networkPolicies.filter(isObj).map(kubePolicy),
    ...(input.calico ? input.calicoNetworkPolicies.filter(isObj).map((o) => calicoPolicy(o, false)) : []),
    ...(input.calico ? input.calicoGlobalNetworkPolicies.filter(isObj).map((o) => calicoPolicy(o, true)) : []),
  ];
  const broken = policies.filter((p) => p.broken).map((p) => `${p.broken} (left out)`);
  const usable = policies.filter((p) => !p.broken);
  // Tier order lives in Tier objects, which are not read: other tiers are evaluated after the default one, and said so.
  const otherTiers = [...new Set(usable.map((p) => p.tier))].filter((t) => t !== 'default').sort();
  const tierNote = otherTiers.length ? [`policies in tiers ${otherTiers.join(', ')}: tier order and default action are not read; evaluated after the default tier`] : [];

  return namespaces.map((ns) => {
    const relevant = usable.filter((p) => p.namespace === undefined || p.namespace === ns.name);
    const tiers = ['default', ...otherTiers].map((t) => sortTier(relevant.filter((p) => p.tier === t)));
    const vocabulary = new Map<string, Set<string>>();
    for (const p of relevant) for (const [k, v] of p.vocabulary) if (!fixedKey(k)) addToVocabulary(vocabulary, k, v);
    const reasons = new Map<string, string[]>();
    const undecided = new Set<string>([...broken, ...tierNote]);
    let classes = 0;
    try {
      classes = forEachLabelClass([...vocabulary], (pod) => {
        const pods = describeLabels(pod);
        const selection = new Map(relevant.map((p) => [p, p.applies(ns, pod)]));
        const sure = evaluatePod(ns, pod, tiers, (p) => selection.get(p) === true);
        for (const r of sure.reasons) reasons.set(r, [...(reasons.get(r) ?? []), pods]);
        for (const r of sure.undecided) undecided.add(`${r}: pods ${pods}`);
        const unsure = relevant.filter((p) => selection.get(p) === 'unknown');
        if (unsure.length) {
          const other = evaluatePod(ns, pod, tiers, (p) => selection.get(p) !== false);
          if (other.reasons.join() !== sure.reasons.join()) undecided.add(`cannot tell whether ${unsure.map((p) => p.label).join(', ')} select pods ${pods}, which decides their TCP 22 egress`);
        }
        return true;
      });
    } catch (e) {
      undecided.add(`pods of ${ns.name} not evaluated: ${(e as Error).message}`);
    }
    const withPods = [...reasons].map(
      ([r, pods]) => `${r}: ${pods.length === classes ? 'every pod' : `pods ${pods[0]}${pods.length > 1 ? ` (and ${pods.length - 1} more label combinations)` : ''}`}`,
    );
    return { namespace: ns.name, open: withPods.length > 0 || undecided.size > 0, reasons: withPods, undecided: [...undecided] };
  });
}
