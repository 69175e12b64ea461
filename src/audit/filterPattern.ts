/**
 * CloudWatch Logs JSON filter patterns, exactly the subset the audit subscription filter uses, with the semantics of
 * the CloudWatch Logs user guide ("Filter pattern syntax for metric filters, subscription filters, filter log
 * events and Live Tail", "Using filter patterns to match terms in JSON log events"):
 *
 *   pattern    := '{' or '}'                         only JSON log events can match (anything else: no match)
 *   or         := and ('||' and)*                    precedence: () > && > ||
 *   and        := term ('&&' term)*
 *   term       := '(' or ')' | selector condition
 *   selector   := '$' '.' name ('.' name | '[' index ']')*   name: letters, digits, '-' and '_'; indexes follow a property
 *   condition  := '=' "string"                       exact, case-sensitive match of a string value node (no wildcard)
 *               | ('<' | '<=' | '>' | '>=') number   numeric comparison of a number value node
 *               | 'NOT' 'EXISTS'                     true only when the property is absent
 *
 * A selector that points to an object, an array or nothing makes its comparison false ("the filter will not be
 * applied because the log format doesn't match"). Everything else the full syntax has (`!=`, `*` wildcards, unquoted
 * strings, `IS NULL`, `IS TRUE`, regular expressions, term and space-delimited patterns) is refused by the parser
 * rather than approximated, so a pattern can only use what this matcher implements faithfully.
 */

/** The documented maximum length of a filter pattern. */
export const FILTER_PATTERN_MAX_LENGTH = 1024;

type Step = { kind: 'property'; name: string } | { kind: 'index'; index: number };

export type FilterNode =
  | { op: 'or' | 'and'; left: FilterNode; right: FilterNode }
  | { op: 'eq'; path: Step[]; value: string }
  | { op: '<' | '<=' | '>' | '>='; path: Step[]; value: number }
  | { op: 'notExists'; path: Step[] };

export class FilterPatternError extends Error {
  constructor(message: string, pattern: string, at: number) {
    super(`${message} at character ${at + 1} of the filter pattern: …${pattern.slice(Math.max(0, at - 20), at + 20)}…`);
    this.name = 'FilterPatternError';
  }
}

const NUMBER = /^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/;

/** Parses a JSON filter pattern of the supported subset; throws FilterPatternError naming the offending position. */
export function parseFilterPattern(pattern: string): FilterNode {
  if (pattern.length > FILTER_PATTERN_MAX_LENGTH) {
    throw new FilterPatternError(`longer than ${FILTER_PATTERN_MAX_LENGTH} characters (${pattern.length})`, pattern, FILTER_PATTERN_MAX_LENGTH);
  }
  let i = 0;
  const fail = (msg: string): never => {
    throw new FilterPatternError(msg, pattern, i);
  };
  const ws = () => {
    while (i < pattern.length && /\s/.test(pattern[i])) i++;
  };
  const eat = (s: string): boolean => {
    ws();
    if (pattern.startsWith(s, i)) {
      i += s.length;
      return true;
    }
    return false;
  };
  const expect = (s: string) => {
    if (!eat(s)) fail(`expected "${s}"`);
  };
  const keyword = (word: string): boolean => {
    ws();
    if (pattern.startsWith(word, i) && !/[A-Za-z0-9_]/.test(pattern[i + word.length] ?? '')) {
      i += word.length;
      return true;
    }
    return false;
  };

  const selector = (): Step[] => {
    ws();
    if (pattern[i] !== '$') fail('expected a property selector starting with "$"');
    i++;
    const path: Step[] = [];
    for (;;) {
      if (pattern[i] === '.') {
        i++;
        const m = /^[A-Za-z0-9_-]+/.exec(pattern.slice(i));
        if (!m) fail('expected a property name (letters, digits, "-" or "_")');
        path.push({ kind: 'property', name: m![0] });
        i += m![0].length;
      } else if (pattern[i] === '[') {
        if (!path.length) fail('an array index must follow a property');
        const m = /^\[(\d+)\]/.exec(pattern.slice(i));
        if (!m) fail('expected an array index such as [0]');
        path.push({ kind: 'index', index: Number(m![1]) });
        i += m![0].length;
      } else break;
    }
    if (!path.length) fail('a selector must name a property');
    return path;
  };

  const quoted = (): string => {
    ws();
    if (pattern[i] !== '"') fail('this subset compares strings only in double quotes');
    let out = '';
    i++;
    for (; i < pattern.length && pattern[i] !== '"'; i++) {
      if (pattern[i] === '\\') fail('escapes in strings are not in the supported subset');
      if (pattern[i] === '*') fail('"*" wildcards are not in the supported subset');
      out += pattern[i];
    }
    if (pattern[i] !== '"') fail('unterminated string');
    i++;
    return out;
  };

  const number = (): number => {
    ws();
    const m = NUMBER.exec(pattern.slice(i));
    if (!m) fail('expected a number');
    i += m![0].length;
    return Number(m![0]);
  };

  const term = (): FilterNode => {
    if (eat('(')) {
      const inner = or();
      expect(')');
      return inner;
    }
    const path = selector();
    ws();
    if (eat('!=')) fail('"!=" is not in the supported subset');
    for (const op of ['<=', '>=', '<', '>'] as const) if (eat(op)) return { op, path, value: number() };
    if (eat('=')) return { op: 'eq', path, value: quoted() };
    if (keyword('NOT')) {
      if (!keyword('EXISTS')) fail('expected EXISTS after NOT');
      return { op: 'notExists', path };
    }
    return fail('expected =, <, <=, >, >= or NOT EXISTS');
  };

  const and = (): FilterNode => {
    let left = term();
    while (eat('&&')) left = { op: 'and', left, right: term() };
    return left;
  };

  const or = (): FilterNode => {
    let left = and();
    while (eat('||')) left = { op: 'or', left, right: and() };
    return left;
  };

  expect('{');
  const tree = or();
  expect('}');
  ws();
  if (i < pattern.length) fail('unexpected text after the closing "}"');
  return tree;
}

const ABSENT = Symbol('absent');

function resolve(root: unknown, path: Step[]): unknown {
  let v: unknown = root;
  for (const s of path) {
    if (s.kind === 'property') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, s.name)) return ABSENT;
      v = (v as Record<string, unknown>)[s.name];
    } else {
      if (!Array.isArray(v) || s.index >= v.length) return ABSENT;
      v = v[s.index];
    }
  }
  return v;
}

function evaluate(node: FilterNode, doc: unknown): boolean {
  switch (node.op) {
    case 'or':
      return evaluate(node.left, doc) || evaluate(node.right, doc);
    case 'and':
      return evaluate(node.left, doc) && evaluate(node.right, doc);
    case 'notExists':
      return resolve(doc, node.path) === ABSENT;
    case 'eq': {
      const v = resolve(doc, node.path);
      // The subset compares quoted strings with string value nodes only (numbers are compared with < and >).
      return typeof v === 'string' && v === node.value;
    }
    default: {
      const v = resolve(doc, node.path);
      if (typeof v !== 'number') return false;
      if (node.op === '<') return v < node.value;
      if (node.op === '<=') return v <= node.value;
      if (node.op === '>') return v > node.value;
      return v >= node.value;
    }
  }
}

/**
 * Whether CloudWatch Logs would pass `message` (one log event, as written to the log group) through the filter.
 * A JSON pattern never matches a message that is not a JSON object.
 */
export function matchesFilter(tree: FilterNode, message: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(message);
  } catch {
    return false;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  return evaluate(tree, doc);
}
