import { FILTER_PATTERN_MAX_LENGTH, matchesFilter, parseFilterPattern } from '../../src/audit/filterPattern';

/**
 * The matcher against the CloudWatch Logs user guide's own examples ("Using filter patterns to match terms in JSON log
 * events"), written in the subset it implements: quoted strings with `=`, numeric comparisons, NOT EXISTS, && and ||
 * with parentheses, array indexes.
 */
const guideEvent = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [
    { id: 2, email: 'John.Doe@example.com' },
    { id: 3, email: 'Jane.Doe@example.com' },
  ],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
  latency: 500,
});

const match = (pattern: string, message = guideEvent) => matchesFilter(parseFilterPattern(pattern), message);

describe('CloudWatch Logs JSON filter patterns (the supported subset)', () => {
  it.each([
    ['{ $.eventType = "UpdateTrail" }', true],
    ['{ $.eventType = "updatetrail" }', false], // case-sensitive
    ['{ $.eventType = "Update" }', false], // exact, not a substring
    ['{ $.arrayKey[0] = "value" }', true],
    ['{ $.arrayKey[2] = "value" }', false], // past the end
    ['{ $.eventType[0] = "U" }', false], // not an array
    ['{ $.objectList[1].id >= 2 && $.objectList[1].id <= 2 }', true],
    ['{ $.objectList[1].name = "b" }', true],
    ['{ $.coordinates[0][1] >= 1 && $.coordinates[0][1] <= 1 }', true], // nested indexes
    ['{ $.SomeOtherObject NOT EXISTS }', true],
    ['{ $.SomeObject NOT EXISTS }', false], // present, even though null
    ['{ $.user.missing.deeper NOT EXISTS }', true],
    ['{ $.latency >= 500 }', true],
    ['{ $.latency > 500 }', false],
    ['{ $.latency < 501 }', true],
    ['{ $.latency <= 499.5 }', false],
    ['{ $.latency < 10e3 }', true], // scientific notation
    ['{ $.eventType < 10 }', false], // a string is no number
    ['{ $.missing < 10 }', false], // nothing to compare
    // The guide's compound examples: () > && > ||.
    ['{ ($.user.id >= 1) && ($.users[0].email = "John.Doe@example.com") }', true],
    ['{ ($.user.id >= 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', false],
    ['{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nomatch" }', true],
    ['{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nomatch" }', false],
    // A selector on an object or an array matches nothing.
    ['{ $.users = "x" }', false],
    ['{ $.user = "x" }', false],
    ['{ $.users < 5 }', false],
  ])('%s → %s', (pattern, expected) => {
    expect(match(pattern)).toBe(expected);
  });

  it('compares a quoted string only with a string value (a number or a boolean never equals text)', () => {
    expect(match('{ $.latency = "500" }')).toBe(false);
    expect(match('{ $.ThisFlag = "true" }')).toBe(false);
  });

  it('never matches a log event that is not a JSON object', () => {
    const p = parseFilterPattern('{ $.a NOT EXISTS }');
    expect(matchesFilter(p, 'I0101 12:00:00 plain text log line')).toBe(false);
    expect(matchesFilter(p, '{"a": truncated')).toBe(false);
    expect(matchesFilter(p, '[1, 2]')).toBe(false);
    expect(matchesFilter(p, '{}')).toBe(true);
  });

  it.each([
    ['$.a = "x"', /expected "\{"/],
    ['{ $.a = "x" ', /expected "\}"/],
    ['{ $.a != "x" }', /"!=" is not in the supported subset/],
    ['{ $.a = x }', /double quotes/],
    ['{ $.a = "x*" }', /wildcards/],
    ['{ $.a IS NULL }', /expected =, <, <=, >, >= or NOT EXISTS/],
    ['{ $[0] = "x" }', /must name a property|array index must follow a property/],
    ['{ $.a = "x" } trailing', /unexpected text/],
    ['{ $.a NOT THERE }', /expected EXISTS/],
    ['{ ($.a = "x" }', /expected "\)"/],
  ])('refuses %s', (pattern, error) => {
    expect(() => parseFilterPattern(pattern)).toThrow(error);
  });

  it(`refuses a pattern longer than ${FILTER_PATTERN_MAX_LENGTH} characters, as CloudWatch Logs does`, () => {
    const long = `{ ${Array.from({ length: 60 }, (_, i) => `$.field${i} = "value"`).join(' || ')} }`;
    expect(long.length).toBeGreaterThan(FILTER_PATTERN_MAX_LENGTH);
    expect(() => parseFilterPattern(long)).toThrow(/longer than 1024/);
  });
});
