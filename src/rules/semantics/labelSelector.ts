/**
 * Label selectors, Kubernetes (`matchLabels` / `matchExpressions`) and Calico (`app == 'web' && has(tier)`), as one
 * expression tree evaluated with three-valued logic over *label classes*: a label is absent, one of the values the
 * selectors mention, or some other value. That is enough to decide every operator exactly except `contains`,
 * `starts with` and `ends with` on "some other value", which evaluate to unknown.
 */

export type Selector =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; key: string }
  | { op: 'eq' | 'ne' | 'contains' | 'starts' | 'ends'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'not'; arg: Selector }
  | { op: 'and' | 'or'; args: Selector[] };

/** Three-valued truth: true, false, or cannot be decided from what is modelled. */
export type Tri = true | false | 'unknown';

export const and3 = (...xs: Tri[]): Tri => (xs.includes(false) ? false : xs.includes('unknown') ? 'unknown' : true);
export const or3 = (...xs: Tri[]): Tri => (xs.includes(true) ? true : xs.includes('unknown') ? 'unknown' : false);
export const not3 = (x: Tri): Tri => (x === 'unknown' ? x : !x);

/** A label value distinct from every value any selector mentions. */
export const OTHER = '\u0000other';

export type Labels = Readonly<Record<string, string | undefined>>;

// ---------------------------------------------------------------------------------------------------------------
// Calico selector syntax (libcalico-go lib/selector: tokenizer and parser)

type Token =
  | { t: 'label'; v: string }
  | { t: 'string'; v: string }
  | { t: 'has'; v: string }
  | { t: '(' | ')' | '{' | '}' | ',' | '==' | '!=' | '!' | '&&' | '||' | 'in' | 'not in' | 'contains' | 'starts with' | 'ends with' | 'all' | 'global' | 'eof' };

const IDENT = /^[a-zA-Z0-9_./-]+/;

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let s = input;
  const word = (w: string) => new RegExp(`^${w.replace(' ', '\\s*')}(?![a-zA-Z0-9_./-])`);
  while (true) {
    s = s.replace(/^[ \t]+/, '');
    if (!s) return [...out, { t: 'eof' }];
    const last = out[out.length - 1];
    const c = s[0];
    if ('(){},'.includes(c)) {
      out.push({ t: c as '(' });
      s = s.slice(1);
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, 1);
      if (end < 0) throw new Error('unterminated string');
      out.push({ t: 'string', v: s.slice(1, end) });
      s = s.slice(end + 1);
    } else if (s.startsWith('==') || s.startsWith('!=') || s.startsWith('&&') || s.startsWith('||')) {
      out.push({ t: s.slice(0, 2) as '==' });
      s = s.slice(2);
    } else if (c === '!') {
      out.push({ t: '!' });
      s = s.slice(1);
    } else if (last?.t === 'label') {
      const op = (['contains', 'starts with', 'ends with', 'not in', 'in'] as const).find((w) => word(w).test(s));
      if (!op) throw new Error(`expected an operator after label "${last.v}"`);
      out.push({ t: op });
      s = s.replace(word(op), '');
    } else {
      const fn = /^(has|all|global)\(\s*([a-zA-Z0-9_./-]*)\s*\)/.exec(s);
      if (fn) {
        if (fn[1] === 'has') {
          if (!fn[2]) throw new Error('has() needs a label name');
          out.push({ t: 'has', v: fn[2] });
        } else if (fn[2]) throw new Error(`${fn[1]}() takes no argument`);
        else out.push({ t: fn[1] as 'all' });
        s = s.slice(fn[0].length);
        continue;
      }
      const id = IDENT.exec(s);
      if (!id) throw new Error(`unexpected character "${c}"`);
      out.push({ t: 'label', v: id[0] });
      s = s.slice(id[0].length);
    }
  }
}

/** Parses a Calico selector expression; the empty selector selects everything (`all()`). Throws on bad syntax. */
export function parseCalicoSelector(text: string | undefined): Selector {
  if (text === undefined || text.trim() === '') return { op: 'all' };
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i];
  const take = <T extends Token['t']>(t: T): Extract<Token, { t: T }> => {
    const tok = toks[i];
    if (tok.t !== t) throw new Error(`expected ${t}, found ${tok.t === 'eof' ? 'end of selector' : tok.t}`);
    i++;
    return tok as Extract<Token, { t: T }>;
  };
  /** `operand (sep operand)*`: one operand alone, else their `op`. */
  const chain = (sep: '||' | '&&', op: 'or' | 'and', operand: () => Selector) => (): Selector => {
    const args = [operand()];
    while (peek().t === sep) {
      i++;
      args.push(operand());
    }
    return args.length === 1 ? args[0] : { op, args };
  };
  const andExpr = chain('&&', 'and', () => operation());
  const orExpr = chain('||', 'or', andExpr);
  const operation = (): Selector => {
    const tok = peek();
    if (tok.t === '!') {
      i++;
      return { op: 'not', arg: operation() };
    }
    if (tok.t === '(') {
      i++;
      const inner = orExpr();
      take(')');
      return inner;
    }
    if (tok.t === 'has') {
      i++;
      return { op: 'has', key: tok.v };
    }
    if (tok.t === 'all' || tok.t === 'global') {
      i++;
      return { op: tok.t };
    }
    const key = take('label').v;
    const op = peek();
    i++;
    switch (op.t) {
      case '==':
        return { op: 'eq', key, value: take('string').v };
      case '!=':
        return { op: 'ne', key, value: take('string').v };
      case 'contains':
        return { op: 'contains', key, value: take('string').v };
      case 'starts with':
        return { op: 'starts', key, value: take('string').v };
      case 'ends with':
        return { op: 'ends', key, value: take('string').v };
      case 'in':
      case 'not in': {
        take('{');
        const values: string[] = [];
        while (peek().t === 'string') {
          values.push(take('string').v);
          if (peek().t === ',') i++;
        }
        take('}');
        return { op: op.t === 'in' ? 'in' : 'notin', key, values };
      }
      default:
        throw new Error(`expected an operator after label "${key}"`);
    }
  };
  const sel = orExpr();
  if (peek().t !== 'eof') throw new Error('unexpected content at the end of the selector');
  return sel;
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes LabelSelector

export interface KubeLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A Kubernetes LabelSelector as a selector tree: `{}` selects everything; `NotIn` also matches a missing label. */
export function fromKubeSelector(s: KubeLabelSelector | undefined | null): Selector {
  const args: Selector[] = [];
  for (const [key, value] of Object.entries(s?.matchLabels ?? {})) args.push({ op: 'eq', key, value: String(value) });
  for (const e of s?.matchExpressions ?? []) {
    const values = (e.values ?? []).map(String);
    switch (e.operator) {
      case 'In':
        args.push({ op: 'in', key: e.key, values });
        break;
      case 'NotIn':
        args.push({ op: 'notin', key: e.key, values });
        break;
      case 'Exists':
        args.push({ op: 'has', key: e.key });
        break;
      case 'DoesNotExist':
        args.push({ op: 'not', arg: { op: 'has', key: e.key } });
        break;
      default:
        throw new Error(`unknown matchExpressions operator "${e.operator}"`);
    }
  }
  return args.length === 0 ? { op: 'all' } : args.length === 1 ? args[0] : { op: 'and', args };
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

/** Evaluates `sel` on `labels`; a label holding OTHER makes substring operators unknown. `global()` is false on endpoints. */
export function evaluateSelector(sel: Selector, labels: Labels): Tri {
  const v = (k: string) => labels[k];
  const substring = (k: string, test: (x: string) => boolean): Tri => {
    const x = v(k);
    if (x === undefined) return false;
    return x === OTHER ? 'unknown' : test(x);
  };
  switch (sel.op) {
    case 'all':
      return true;
    case 'global':
      return false;
    case 'has':
      return v(sel.key) !== undefined;
    case 'eq':
      return v(sel.key) === sel.value;
    case 'ne':
      return v(sel.key) !== sel.value;
    case 'in':
      return v(sel.key) !== undefined && sel.values.includes(v(sel.key)!);
    case 'notin':
      return v(sel.key) === undefined || !sel.values.includes(v(sel.key)!);
    case 'contains':
      return substring(sel.key, (x) => x.includes(sel.value));
    case 'starts':
      return substring(sel.key, (x) => x.startsWith(sel.value));
    case 'ends':
      return substring(sel.key, (x) => x.endsWith(sel.value));
    case 'not':
      return not3(evaluateSelector(sel.arg, labels));
    case 'and':
      return and3(...sel.args.map((a) => evaluateSelector(a, labels)));
    case 'or':
      return or3(...sel.args.map((a) => evaluateSelector(a, labels)));
  }
}

/** Adds `values` to those known for label `key` in a vocabulary (label keys, with the literal values compared against them). */
export function addToVocabulary(into: Map<string, Set<string>>, key: string, values: Iterable<string>): void {
  const set = into.get(key) ?? new Set<string>();
  for (const v of values) set.add(v);
  into.set(key, set);
}

/** Every label key a selector reads, with the literal values it compares against. */
export function selectorVocabulary(sel: Selector, into = new Map<string, Set<string>>()): Map<string, Set<string>> {
  const add = (k: string, ...vals: string[]) => addToVocabulary(into, k, vals);
  switch (sel.op) {
    case 'has':
      add(sel.key);
      break;
    case 'eq':
    case 'ne':
    case 'contains':
    case 'starts':
    case 'ends':
      add(sel.key, sel.value);
      break;
    case 'in':
    case 'notin':
      add(sel.key, ...sel.values);
      break;
    case 'not':
      selectorVocabulary(sel.arg, into);
      break;
    case 'and':
    case 'or':
      for (const a of sel.args) selectorVocabulary(a, into);
      break;
  }
  return into;
}

/** True when the selector matches whatever the labels are (`all()`, `{}`, `has(x) || !has(x)`…), over the given keys. */
export function selectsEverything(sel: Selector): boolean {
  const vocab = [...selectorVocabulary(sel)];
  let all = true;
  forEachLabelClass(vocab, (labels) => {
    if (evaluateSelector(sel, labels) !== true) all = false;
    return all;
  });
  return all;
}

/**
 * Calls `visit` with every label class over `vocabulary` (each key absent, one of its values, or OTHER) until it
 * returns false. Returns the number of classes, or throws when there are more than `limit`.
 */
export function forEachLabelClass(vocabulary: [string, Set<string>][], visit: (labels: Record<string, string | undefined>) => boolean, limit = 4096): number {
  const choices = vocabulary.map(([key, values]) => ({ key, values: [undefined, OTHER, ...values] as (string | undefined)[] }));
  const total = choices.reduce((n, c) => n * c.values.length, 1);
  if (total > limit) throw new Error(`${total} label combinations over ${choices.map((c) => c.key).join(', ')} (more than ${limit})`);
  const idx = choices.map(() => 0);
  for (let n = 0; n < total; n++) {
    const labels: Record<string, string | undefined> = {};
    choices.forEach((c, i) => (labels[c.key] = c.values[idx[i]]));
    if (!visit(labels)) return total;
    for (let i = 0; i < idx.length; i++) {
      idx[i]++;
      if (idx[i] < choices[i].values.length) break;
      idx[i] = 0;
    }
  }
  return total;
}

/** "app=web, !tier", "tier=<other value>", or "any labels" — a label class as people read it. */
export function describeLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => (v === undefined ? `!${k}` : v === OTHER ? `${k}=<other value>` : `${k}=${v}`));
  return parts.length ? parts.join(', ') : 'any labels';
}

/** A selector as people write it, for evidence. */
export function formatSelector(sel: Selector): string {
  const q = (s: string) => `'${s}'`;
  switch (sel.op) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${sel.key})`;
    case 'eq':
      return `${sel.key} == ${q(sel.value)}`;
    case 'ne':
      return `${sel.key} != ${q(sel.value)}`;
    case 'contains':
      return `${sel.key} contains ${q(sel.value)}`;
    case 'starts':
      return `${sel.key} starts with ${q(sel.value)}`;
    case 'ends':
      return `${sel.key} ends with ${q(sel.value)}`;
    case 'in':
    case 'notin':
      return `${sel.key} ${sel.op === 'in' ? 'in' : 'not in'} {${sel.values.map(q).join(', ')}}`;
    case 'not':
      return `!${sel.arg.op === 'and' || sel.arg.op === 'or' ? `(${formatSelector(sel.arg)})` : formatSelector(sel.arg)}`;
    case 'and':
    case 'or':
      return sel.args.map((a) => (a.op === 'and' || a.op === 'or' ? `(${formatSelector(a)})` : formatSelector(a))).join(sel.op === 'and' ? ' && ' : ' || ');
  }
}
