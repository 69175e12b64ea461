/**
 * IAM policy documents: parsing the three forms they travel in, and the parts of IAM's evaluation logic the rules
 * need (does a set of identity policies allow an action; does a trust policy let any principal assume the role).
 * What cannot be decided from the documents alone (conditions, narrowed resources, SCPs) is reported as undecided,
 * with the statement that makes it so, never guessed.
 */

export type Effect = 'Allow' | 'Deny';

export interface Statement {
  sid?: string;
  effect: Effect;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  /** `'*'` or `{ AWS: [...], Service: [...], Federated: [...] }`. */
  principal?: '*' | Record<string, string[]>;
  notPrincipal?: '*' | Record<string, string[]>;
  /** `{ operator: { key: [values] } }`. */
  condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  statements: Statement[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The document as JSON: the SDK returns IAM documents URL-encoded (RFC 3986), the AWS CLI prints them as objects,
 * and people write them as JSON strings. Throws with the reason when it is none of these.
 */
export function policyJson(raw: unknown): Record<string, unknown> {
  if (isObject(raw)) return raw;
  if (typeof raw !== 'string') throw new Error(`expected a policy document (object or string), got ${raw === null ? 'null' : typeof raw}`);
  const text = raw.trim();
  let json = text;
  if (!text.startsWith('{')) {
    try {
      json = decodeURIComponent(text);
    } catch (e) {
      throw new Error('not JSON and not a URL-encoded JSON document', { cause: e });
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new Error(`not a JSON policy document: ${(e as Error).message}`, { cause: e });
  }
  if (!isObject(doc)) throw new Error('a policy document must be a JSON object');
  return doc;
}

const strings = (v: unknown, what: string): string[] | undefined => {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'string')) throw new Error(`${what} must be a string or a list of strings`);
  return list as string[];
};

function principal(v: unknown, what: string): Statement['principal'] {
  if (v === undefined) return undefined;
  if (v === '*') return '*';
  if (!isObject(v)) throw new Error(`${what} must be "*" or an object`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strings(x, `${what}.${k}`) ?? []]));
}

function condition(v: unknown): Statement['condition'] {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new Error('Condition must be an object');
  return Object.fromEntries(
    Object.entries(v).map(([op, block]) => {
      if (!isObject(block)) throw new Error(`Condition.${op} must be an object`);
      return [op, Object.fromEntries(Object.entries(block).map(([k, x]) => [k, (Array.isArray(x) ? x : [x]).map(String)]))];
    }),
  );
}

/** Parses a policy document in any of its three forms into statements; throws naming what is wrong. */
export function parsePolicyDocument(raw: unknown): PolicyDocument {
  const doc = policyJson(raw);
  const list = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const statements = list.map((s: unknown, i): Statement => {
    if (!isObject(s)) throw new Error(`Statement[${i}] must be an object`);
    const effect = s.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') throw new Error(`Statement[${i}].Effect must be "Allow" or "Deny"`);
    return {
      ...(typeof s.Sid === 'string' ? { sid: s.Sid } : {}),
      effect,
      action: strings(s.Action, `Statement[${i}].Action`),
      notAction: strings(s.NotAction, `Statement[${i}].NotAction`),
      resource: strings(s.Resource, `Statement[${i}].Resource`),
      notResource: strings(s.NotResource, `Statement[${i}].NotResource`),
      principal: principal(s.Principal, `Statement[${i}].Principal`),
      notPrincipal: principal(s.NotPrincipal, `Statement[${i}].NotPrincipal`),
      condition: condition(s.Condition),
    };
  });
  return { statements };
}

const compiled = new Map<string, RegExp>();

/** IAM wildcard matching (`*` any run, `?` one character); action names are case-insensitive. */
function wildcardMatches(pattern: string, value: string, caseInsensitive = true): boolean {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = compiled.get(key);
  if (!re) compiled.set(key, (re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseInsensitive ? 'is' : 's')));
  return re.test(value);
}

/** True when the statement's Action (or NotAction) covers `action`. */
function coversAction(s: Statement, action: string): boolean {
  if (s.action) return s.action.some((p) => wildcardMatches(p, action));
  if (s.notAction) return !s.notAction.some((p) => wildcardMatches(p, action));
  return false;
}

function statementLabel(s: Statement, source: string, index: number): string {
  return `${source} statement ${s.sid ? `"${s.sid}"` : `#${index}`}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Identity policies: is an action allowed?

export interface NamedDocument {
  /** Where the document comes from, e.g. `inline policy ssm` or `arn:aws:iam::…:policy/x`. */
  source: string;
  document: PolicyDocument;
}

export type ActionDecision = 'allowed' | 'denied' | 'not-allowed' | 'undecided';

export interface ActionVerdict {
  action: string;
  decision: ActionDecision;
  /** The statements that allow it without conditions on every resource. */
  allowedBy: string[];
  /** What keeps the verdict from being exact (a condition, a narrowed resource, a conditional Deny). */
  undecidedBecause: string[];
  deniedBy: string[];
}

/** A statement's grip on an action: everywhere and always, only sometimes (conditions, resources), or not at all. */
function reach(s: Statement, action: string): { applies: 'always' | 'sometimes' | 'never'; why?: string } {
  if (!coversAction(s, action)) return { applies: 'never' };
  const reasons: string[] = [];
  if (s.condition && Object.keys(s.condition).length) reasons.push(`conditions ${JSON.stringify(s.condition)}`);
  if (s.notResource) reasons.push(`NotResource ${s.notResource.join(', ')}`);
  else if (!s.resource || !s.resource.includes('*')) reasons.push(`Resource ${(s.resource ?? []).join(', ') || '(none)'}`);
  return reasons.length ? { applies: 'sometimes', why: reasons.join('; ') } : { applies: 'always' };
}

function decide(action: string, docs: NamedDocument[]): ActionVerdict {
  const v: ActionVerdict = { action, decision: 'not-allowed', allowedBy: [], undecidedBecause: [], deniedBy: [] };
  let mayAllow = false;
  let mayDeny = false;
  for (const { source, document } of docs) {
    document.statements.forEach((s, i) => {
      const r = reach(s, action);
      if (r.applies === 'never') return;
      const label = statementLabel(s, source, i);
      if (s.effect === 'Deny') {
        if (r.applies === 'always') v.deniedBy.push(label);
        else {
          mayDeny = true;
          v.undecidedBecause.push(`${label} may deny it (${r.why})`);
        }
      } else if (r.applies === 'always') v.allowedBy.push(label);
      else {
        mayAllow = true;
        v.undecidedBecause.push(`${label} allows it only under ${r.why}`);
      }
    });
  }
  if (v.deniedBy.length) v.decision = 'denied';
  else if (v.allowedBy.length && !mayDeny) v.decision = 'allowed';
  else if (v.allowedBy.length || mayAllow) v.decision = 'undecided';
  return v;
}

/**
 * IAM's evaluation for one principal's identity policies (inline and attached), within an optional permissions
 * boundary: an explicit Deny wins; otherwise an action is allowed when some identity statement allows it and the
 * boundary (when set) allows it too. Statements with conditions or narrowed resources make the verdict undecided.
 * Service control policies and session policies are outside the documents and are not evaluated.
 */
export function evaluateActions(actions: readonly string[], identity: NamedDocument[], boundary?: NamedDocument): ActionVerdict[] {
  return actions.map((action) => {
    const id = decide(action, identity);
    if (!boundary || id.decision === 'denied' || id.decision === 'not-allowed') return id;
    const b = decide(action, [boundary]);
    if (b.decision === 'denied' || b.decision === 'not-allowed') {
      return { ...id, decision: b.decision === 'denied' ? 'denied' : 'not-allowed', deniedBy: b.deniedBy, undecidedBecause: [...id.undecidedBecause, `the permissions boundary ${boundary.source} does not allow it`] };
    }
    if (b.decision === 'undecided') return { ...id, decision: 'undecided', undecidedBecause: [...id.undecidedBecause, ...b.undecidedBecause] };
    return id;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Trust policies: can any principal assume the role?

const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity'];

/** Condition keys that pin down who the caller is (their account, organisation, ARN, external id). */
const PRINCIPAL_KEYS = new Set(
  [
    'aws:PrincipalArn',
    'aws:PrincipalAccount',
    'aws:PrincipalOrgID',
    'aws:PrincipalOrgPaths',
    'aws:userid',
    'aws:username',
    'aws:SourceAccount',
    'aws:SourceArn',
    'aws:SourceOrgID',
    'aws:SourceOrgPaths',
    'aws:SourceOwner',
    'sts:ExternalId',
  ].map((k) => k.toLowerCase()),
);

/** Keys every sts:AssumeRole request carries: `…IfExists` and `ForAllValues:` still restrict on them. */
const ALWAYS_PRESENT = new Set(['aws:principalarn', 'aws:principalaccount', 'aws:userid']);
const ARN_KEYS = new Set(['aws:principalarn', 'aws:sourcearn']);

const POSITIVE_OPERATORS = /^(ForAnyValue:|ForAllValues:)?(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)(IfExists)?$/i;
const NEGATIVE_OPERATORS = /^(ForAnyValue:|ForAllValues:)?(StringNotEquals|StringNotEqualsIgnoreCase|StringNotLike|ArnNotEquals|ArnNotLike)(IfExists)?$/i;

const anyPrincipal = (p: Statement['principal']): boolean => p === '*' || (!!p && (p.AWS ?? []).includes('*'));

/**
 * A value that pins the caller down: not only wildcards, and for an ARN an account field without wildcards
 * (`arn:aws:iam::*:role/admin` matches a role anyone can create in their own account).
 */
function pins(key: string, value: string): boolean {
  if (/^[*?]*$/.test(value)) return false;
  if (!ARN_KEYS.has(key)) return true;
  const account = value.split(':')[4];
  return account !== undefined && account !== '' && !/[*?]/.test(account);
}

/**
 * The conditions of a statement that restrict the caller's identity under `operators`. A key the request may lack
 * (sts:ExternalId, aws:PrincipalOrgID…) restricts only when its absence fails the test: not under `…IfExists` or
 * `ForAllValues:`, which pass on a missing key.
 */
function identityConditions(s: Statement, operators: RegExp): string[] {
  const out: string[] = [];
  for (const [op, block] of Object.entries(s.condition ?? {})) {
    if (!operators.test(op)) continue;
    const passesWhenMissing = /IfExists$/i.test(op) || /^ForAllValues:/i.test(op);
    for (const [key, values] of Object.entries(block)) {
      const k = key.toLowerCase();
      if (!PRINCIPAL_KEYS.has(k)) continue;
      if (passesWhenMissing && !ALWAYS_PRESENT.has(k)) continue;
      if (values.every((v) => pins(k, v))) out.push(`${op} ${key} ${values.join(', ')}`);
    }
  }
  return out;
}

export interface TrustVerdict {
  /** Some principal anywhere may assume the role. */
  open: boolean;
  /** The statements that open it, with the conditions that fail to restrict it. */
  openedBy: { statement: string; principal: unknown; conditions?: unknown; note?: string }[];
  /** Statements that would open it but are restricted (by a condition on the caller, or a Deny). */
  restricted: { statement: string; by: string[] }[];
}

/**
 * A trust policy lets any principal assume the role when an Allow statement for sts:AssumeRole (or the SAML / web
 * identity variants) names `Principal: "*"` or `{"AWS": "*"}` (or uses NotPrincipal), and no condition pins the
 * caller down (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, sts:ExternalId… with a positive operator
 * and a real value) — conditions on anything else (source IP, MFA, time) still let any principal in. A Deny for
 * every principal, unconditional or unless the caller is pinned down (StringNotEquals aws:PrincipalAccount …, and no
 * other condition), closes it again for the actions it covers.
 */
export function trustAllowsAnyPrincipal(doc: PolicyDocument, source = 'trust policy'): TrustVerdict {
  const verdict: TrustVerdict = { open: false, openedBy: [], restricted: [] };
  const actionsOf = (s: Statement) => ASSUME_ACTIONS.filter((a) => coversAction(s, a));
  // Conditions are ANDed: a Deny closes only when every one of them is a test on who the caller is.
  const conditionCount = (s: Statement) => Object.values(s.condition ?? {}).reduce((n, block) => n + Object.keys(block).length, 0);
  const closers = doc.statements
    .map((s, i) => ({ s, label: statementLabel(s, source, i), actions: actionsOf(s) }))
    .filter(({ s, actions }) => s.effect === 'Deny' && actions.length > 0 && anyPrincipal(s.principal))
    .filter(({ s }) => identityConditions(s, NEGATIVE_OPERATORS).length === conditionCount(s));
  doc.statements.forEach((s, i) => {
    const actions = actionsOf(s);
    if (s.effect !== 'Allow' || !actions.length) return;
    const everyone = anyPrincipal(s.principal) || s.notPrincipal !== undefined;
    if (!everyone) return;
    const label = statementLabel(s, source, i);
    const pinned = identityConditions(s, POSITIVE_OPERATORS);
    if (pinned.length) return void verdict.restricted.push({ statement: label, by: pinned });
    const closing = closers.filter((c) => c.actions.some((a) => actions.includes(a)));
    if (actions.every((a) => closing.some((c) => c.actions.includes(a)))) return void verdict.restricted.push({ statement: label, by: closing.map((c) => `${c.label} (Deny)`) });
    verdict.openedBy.push({
      statement: label,
      principal: s.notPrincipal !== undefined ? { NotPrincipal: s.notPrincipal } : s.principal,
      ...(s.condition ? { conditions: s.condition, note: 'these conditions do not restrict who the caller is' } : {}),
    });
  });
  verdict.open = verdict.openedBy.length > 0;
  return verdict;
}
