import {
  OTHER,
  evaluateSelector,
  forEachLabelClass,
  formatSelector,
  fromKubeSelector,
  parseCalicoSelector,
  selectsEverything,
} from '../../../src/rules/semantics/labelSelector';

const sel = parseCalicoSelector;

describe('Calico selector syntax', () => {
  it.each([
    ["app == 'web'", { app: 'web' }, true],
    ['app == "web"', { app: 'api' }, false],
    ["app != 'web'", {}, true], // also matches when the label is missing
    ["app in {'a', 'b'}", { app: 'b' }, true],
    ["app not in {'a','b'}", {}, true],
    ["app notin {'a'}", { app: 'a' }, false],
    ['has(app)', { app: '' }, true],
    ['!has(app)', { app: 'x' }, false],
    ["has(a) && (b == 'x' || !has(c))", { a: '1', c: '2' }, false],
    ["has(a) && (b == 'x' || !has(c))", { a: '1' }, true],
    ['all()', {}, true],
    ['', {}, true],
    ['global()', {}, false],
    ["app starts with 'we'", { app: 'web' }, true],
    ["app ends with 'b'", { app: 'web' }, true],
    ["app contains 'x'", { app: 'web' }, false],
    ["projectcalico.org/namespace == 'prod'", { 'projectcalico.org/namespace': 'prod' }, true],
  ])('%s on %j → %s', (text, labels, expected) => {
    expect(evaluateSelector(sel(text), labels)).toBe(expected);
  });

  it('substring operators on a value no selector mentions are unknown, not guessed', () => {
    expect(evaluateSelector(sel("app starts with 'we'"), { app: OTHER })).toBe('unknown');
    expect(evaluateSelector(sel("app starts with 'we' || has(x)"), { app: OTHER, x: 'y' })).toBe(true);
  });

  it('rejects malformed selectors', () => {
    expect(() => sel("app = 'x'")).toThrow();
    expect(() => sel("app == 'x")).toThrow(/unterminated/);
    expect(() => sel("app 'x'")).toThrow(/operator after label/);
    expect(() => sel("(app == 'x'")).toThrow(/expected \)/);
  });

  it('&& binds tighter than ||, both chain left to right', () => {
    expect(sel('has(a) || has(b) && has(c) || has(d)')).toEqual({
      op: 'or',
      args: [{ op: 'has', key: 'a' }, { op: 'and', args: [{ op: 'has', key: 'b' }, { op: 'has', key: 'c' }] }, { op: 'has', key: 'd' }],
    });
  });

  it('formats back to the syntax people write', () => {
    expect(formatSelector(sel("a == 'x' && !(b in {'1','2'} || has(c))"))).toBe("a == 'x' && !(b in {'1', '2'} || has(c))");
  });
});

describe('Kubernetes LabelSelector', () => {
  it('matchLabels and matchExpressions, NotIn matching a missing label, {} matching everything', () => {
    const s = fromKubeSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] });
    expect(evaluateSelector(s, { app: 'web' })).toBe(true);
    expect(evaluateSelector(s, { app: 'web', tier: 'db' })).toBe(false);
    expect(evaluateSelector(fromKubeSelector({}), { anything: 'x' })).toBe(true);
    expect(evaluateSelector(fromKubeSelector({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }), { x: '' })).toBe(false);
    expect(() => fromKubeSelector({ matchExpressions: [{ key: 'x', operator: 'Gt' }] })).toThrow(/unknown matchExpressions operator "Gt"/);
  });
});

describe('label classes', () => {
  it('enumerate each key absent, a mentioned value or another value', () => {
    const seen: string[] = [];
    const n = forEachLabelClass([['app', new Set(['web'])]], (l) => (seen.push(String(l.app)), true));
    expect(n).toBe(3);
    expect(seen).toEqual(['undefined', OTHER, 'web']);
  });

  it('decide whether a selector selects every pod', () => {
    expect(selectsEverything(sel('all()'))).toBe(true);
    expect(selectsEverything(sel('has(a) || !has(a)'))).toBe(true);
    expect(selectsEverything(sel("a in {'x'} || a not in {'x'}"))).toBe(true);
    expect(selectsEverything(sel("a != 'x'"))).toBe(false);
  });

  it('refuse an explosion of combinations instead of hanging', () => {
    const vocab = Array.from({ length: 12 }, (_, i) => [`k${i}`, new Set(['a', 'b'])] as [string, Set<string>]);
    expect(() => forEachLabelClass(vocab, () => true)).toThrow(/label combinations/);
  });
});
