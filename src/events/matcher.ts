/**
 * EventBridge content filtering, as documented in "Amazon EventBridge event patterns" / "Content filtering":
 * - a pattern leaf is an array of matchers; the field matches when ANY matcher matches;
 * - an event array matches when ANY of its elements matches;
 * - a field missing from the event never matches, except `{ exists: false }`;
 * - exact values compare by type (`"5"` is not `5`), `null` matches null;
 * - `prefix`, `suffix`, `equals-ignore-case`, `wildcard` apply to strings; `numeric` to numbers;
 * - `anything-but` takes a value, a list of values, or `{ prefix }` / `{ suffix }` / `{ wildcard }` /
 *   `{ equals-ignore-case }`; it never matches a missing field;
 * - `exists` applies to leaves only (an object-valued field does not "exist" for it);
 * - `$or` at an object level matches when any of its sub-patterns matches.
 */

export type EventPattern = { [key: string]: EventPattern | PatternValue[] | EventPattern[] };
export type PatternValue = string | number | boolean | null | Record<string, unknown>;

type Leaf = string | number | boolean | null;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `event` matches `pattern`; throws on a pattern EventBridge itself would reject as unsupported here. */
export function matchesPattern(pattern: EventPattern | Readonly<Record<string, unknown>>, event: unknown): boolean {
  return matchObject(pattern as EventPattern, event);
}

function matchObject(pattern: EventPattern, event: unknown): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(sub as EventPattern[]).some((alt) => matchObject(alt, event))) return false;
      continue;
    }
    const value = isPlainObject(event) ? event[key] : undefined;
    const present = isPlainObject(event) && key in event;
    if (Array.isArray(sub)) {
      if (!matchField(sub as PatternValue[], present, value)) return false;
    } else if (isPlainObject(sub)) {
      // A nested pattern applies to an object, or to any object inside an array.
      const candidates = Array.isArray(value) ? value : [value];
      const nestedOk = candidates.some((c) => matchObject(sub as EventPattern, isPlainObject(c) ? c : undefined));
      if (!nestedOk) return false;
    } else {
      throw new Error(`invalid event pattern at "${key}": expected an array or an object`);
    }
  }
  return true;
}

function matchField(matchers: PatternValue[], present: boolean, value: unknown): boolean {
  const leaves: unknown[] = Array.isArray(value) ? value : [value];
  const isLeaf = (v: unknown): v is Leaf => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  return matchers.some((m) => {
    if (isPlainObject(m) && 'exists' in m) {
      const exists = present && value !== undefined && (Array.isArray(value) ? value.some(isLeaf) : isLeaf(value));
      return m.exists === exists;
    }
    if (!present || value === undefined) return false;
    return leaves.some((leaf) => isLeaf(leaf) && matchLeaf(m, leaf));
  });
}

function matchLeaf(m: PatternValue, v: Leaf): boolean {
  if (!isPlainObject(m)) return m === v;
  const [op, arg] = Object.entries(m)[0] ?? [];
  switch (op) {
    case 'prefix':
      if (isPlainObject(arg) && typeof arg['equals-ignore-case'] === 'string') return typeof v === 'string' && v.toLowerCase().startsWith(arg['equals-ignore-case'].toLowerCase());
      return typeof v === 'string' && typeof arg === 'string' && v.startsWith(arg);
    case 'suffix':
      if (isPlainObject(arg) && typeof arg['equals-ignore-case'] === 'string') return typeof v === 'string' && v.toLowerCase().endsWith(arg['equals-ignore-case'].toLowerCase());
      return typeof v === 'string' && typeof arg === 'string' && v.endsWith(arg);
    case 'equals-ignore-case':
      return typeof v === 'string' && typeof arg === 'string' && v.toLowerCase() === arg.toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && typeof arg === 'string' && wildcard(arg).test(v);
    case 'numeric':
      return typeof v === 'number' && numeric(arg as unknown[], v);
    case 'anything-but':
      return anythingBut(arg, v);
    default:
      throw new Error(`unsupported event pattern operator ${JSON.stringify(op)}`);
  }
}

function anythingBut(arg: unknown, v: Leaf): boolean {
  if (isPlainObject(arg)) {
    if (typeof arg.prefix === 'string') return typeof v === 'string' && !v.startsWith(arg.prefix);
    if (typeof arg.suffix === 'string') return typeof v === 'string' && !v.endsWith(arg.suffix);
    if (typeof arg.wildcard === 'string') return typeof v === 'string' && !wildcard(arg.wildcard).test(v);
    if ('equals-ignore-case' in arg) {
      const vals = ([] as unknown[]).concat(arg['equals-ignore-case']).map((x) => String(x).toLowerCase());
      return typeof v === 'string' && !vals.includes(v.toLowerCase());
    }
    throw new Error(`unsupported anything-but operand ${JSON.stringify(arg)}`);
  }
  const excluded = Array.isArray(arg) ? arg : [arg];
  return !excluded.some((x) => x === v);
}

function numeric(spec: unknown[], v: number): boolean {
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const n = Number(spec[i + 1]);
    const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : op === '>=' ? v >= n : undefined;
    if (ok === undefined) throw new Error(`unsupported numeric operator ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}

function wildcard(p: string): RegExp {
  return new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
}
