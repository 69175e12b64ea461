import fc from 'fast-check';
import { classifyEvent } from '../../src/events/classify';
import { parseEvent } from '../../src/events/schema';
import { loadSample, sampleFiles } from '../events/support';

/**
 * The CloudTrail event parser and classifier on hostile input: anything at all, valid samples mutated at random
 * paths, and watched records carrying fields nobody has seen yet. Never a throw; a watched call stays watched.
 */
const samples = sampleFiles().map((f) => ({ file: f, raw: loadSample(f) }));
const watched = samples.filter((s) => classifyEvent(s.raw).status === 'watched');

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every path to a value inside `v` (objects and arrays). */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [prefix, ...v.flatMap((x, i) => paths(x, [...prefix, i]))];
  if (isObject(v)) return [prefix, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...prefix, k]))];
  return [prefix];
}

function setAt(root: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  if (!path.length) return remove ? undefined : value;
  const copy = structuredClone(root) as Json;
  let cur = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove && !Array.isArray(cur)) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** Field names the schema or an extractor reads: an extra field must not be one of them to be "extra". */
const MEANINGFUL = new Set([
  ...Object.keys((samples[0].raw as Json).detail as Json),
  'errorCode', 'errorMessage', 'readOnly', 'detail', 'detail-type', 'source', 'items', 'item', 'tag', 'content',
  'groupId', 'groupSet', 'groups', 'attribute', 'instanceId', 'networkInterfaceId', 'networkAclId', 'routeTableId', 'subnetId',
  'name', 'clusterName', 'nodegroupName', 'resourceArn', 'trailName', 'trailARN', 'cluster', 'nodegroup', 'launchTemplate',
  'launchTemplateVersion', 'launchTemplateId', 'launchTemplateName', 'LaunchTemplateId', 'LaunchTemplateName', 'GroupId',
  'PrefixListId', 'prefixListId', 'prefixList', 'securityGroupRuleSet', 'revokedSecurityGroupRuleSet', 'sessionContext',
]);
const extraKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !MEANINGFUL.has(k) && !k.endsWith('Request') && !k.endsWith('Response') && k !== '__proto__');

describe('CloudTrail event parser (property-based)', () => {
  it('anything at all: never throws, always a classification', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: false, withMap: true, withSet: true, withDate: true, withTypedArray: true }), (raw) => {
        const c = classifyEvent(raw);
        return ['invalid', 'ignored', 'watched'].includes(c.status) && ['invalid', 'ok'].includes(parseEvent(raw).kind);
      }),
      { numRuns: 500 },
    );
  });

  it('a sample with any value replaced or removed: never throws, and the extractor copes when it stays watched', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.nat(), fc.jsonValue(), fc.boolean(), (s, pick, value, remove) => {
        const all = paths(s.raw);
        const mutated = setAt(s.raw, all[pick % all.length], value, remove);
        const c = classifyEvent(mutated);
        return c.status !== 'watched' || Array.isArray(c.refs.securityGroupIds);
      }),
      { numRuns: 1000 },
    );
  });

  it('a watched record with extra fields anywhere (envelope, record, parameters, nested) is still watched, naming the same resources', () => {
    fc.assert(
      fc.property(fc.constantFrom(...watched), fc.nat(), extraKey, fc.jsonValue(), (s, pick, key, value) => {
        const objects = paths(s.raw).filter((p) => {
          const v = p.reduce<unknown>((cur, k) => (cur as Record<string | number, unknown>)[k], s.raw);
          return isObject(v);
        });
        const at = objects[pick % objects.length];
        const target = at.reduce<unknown>((cur, k) => (cur as Record<string | number, unknown>)[k], s.raw) as Json;
        if (key in target) return true;
        const before = classifyEvent(s.raw);
        const after = classifyEvent(setAt(s.raw, [...at, key], value, false));
        if (before.status !== 'watched' || after.status !== 'watched') return false;
        const { unrelated: _a, ...refsBefore } = before.refs;
        const { unrelated: _b, ...refsAfter } = after.refs;
        return after.entry === before.entry && JSON.stringify(refsAfter) === JSON.stringify(refsBefore);
      }),
      { numRuns: 1000 },
    );
  });
});
