/**
 * Readers for CloudTrail parameter shapes. CloudTrail records the request as each service's protocol serialised
 * it, so one logical list arrives in several spellings; these helpers make them one.
 */

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `obj.a.b.c`, or undefined as soon as a step is missing or not an object. */
export function at(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * A list in any of its CloudTrail spellings, as an array:
 * - an array (JSON/REST services, and wrapper-style EC2 actions with several elements);
 * - EC2 Query protocol `{ items: [...] }`, and `{}` for an empty list;
 * - wrapper-style EC2 actions (`ModifySecurityGroupRulesRequest`) collapsing a one-element list into the element
 *   itself, marked with `tag: 1`.
 */
export function list(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (isObject(v)) {
    if (Array.isArray(v.items)) return v.items;
    if (Object.keys(v).length === 0) return [];
    if ('item' in v) return list(v.item);
    return [v];
  }
  return [v];
}

/**
 * A scalar in any of its spellings: a string, a number, or the wrapper-style `{ tag, content }` element.
 * Returns undefined for anything else (an object without `content`, null).
 */
export function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isObject(v) && 'content' in v) return scalar(v.content);
  return undefined;
}

/** REST path parameters may arrive URL-encoded (`arn%3Aaws%3Aiam%3A%3A…`); a malformed escape is kept as sent. */
export function decodePathParam(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** A scalar read as a REST path parameter: decoded, and undefined when empty. */
export function pathParam(v: unknown): string | undefined {
  const s = scalar(v);
  return s ? decodePathParam(s) : undefined;
}

export function uniq<T>(items: Iterable<T | undefined>): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const i of items) {
    if (i === undefined || i === '') continue;
    const key = typeof i === 'string' ? i : JSON.stringify(i);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(i);
  }
  return out;
}
