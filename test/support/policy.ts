/**
 * Just enough of IAM's policy evaluation to ask a resource policy "is this request explicitly denied?" for the
 * operators our topic policies use. A negated operator (…NotEquals, …NotLike) is true when the request lacks the key,
 * as IAM evaluates it: that is what makes a Deny "unless the caller is X" apply to every other caller.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export type RequestContext = Record<string, string | undefined>;

const like = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(value);

function conditionHolds(operator: string, values: string[], actual: string | undefined): boolean {
  const negated = /Not/.test(operator);
  if (actual === undefined) return negated;
  const base = operator.replace('Not', '');
  const matches = values.some((v) => (base === 'StringLike' || base === 'ArnLike' ? like(v, actual) : v === actual));
  if (!['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'].includes(base)) throw new Error(`operator ${operator} not modelled`);
  return negated ? !matches : matches;
}

/** The Deny statement that refuses `action` for a request with `context` (condition keys → values), if any. */
export function denyingStatement(statements: PolicyStatement[], action: string, context: RequestContext): PolicyStatement | undefined {
  return statements.find(
    (s) =>
      s.Effect === 'Deny' &&
      ([] as string[]).concat(s.Action).includes(action) &&
      Object.entries(s.Condition ?? {}).every(([op, keys]) =>
        Object.entries(keys).every(([key, values]) => conditionHolds(op, ([] as string[]).concat(values), context[key])),
      ),
  );
}
