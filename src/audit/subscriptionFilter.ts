import { WATCHED } from './watched';

/** Kubernetes request verbs that change state; every other verb (get, list, watch…) reads. */
export const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

const q = (s: string) => JSON.stringify(s);
const anyOf = (terms: string[]) => (terms.length === 1 ? terms[0] : `(${terms.join(' || ')})`);

/** One watched resource: its name, and for a single named object its namespace and name (or no name at all). */
function objectTerm(resource: string): string {
  const entries = WATCHED.filter((w) => w.resource === resource);
  // Any entry without a namespace/name restriction admits the whole resource.
  if (entries.some((w) => w.namespace === undefined && w.name === undefined)) return `$.objectRef.resource = ${q(resource)}`;
  const named = entries.map((w) => {
    const parts = [`$.objectRef.resource = ${q(resource)}`];
    if (w.namespace !== undefined) parts.push(`$.objectRef.namespace = ${q(w.namespace)}`);
    if (w.name !== undefined) parts.push(`($.objectRef.name = ${q(w.name)} || $.objectRef.name NOT EXISTS)`);
    return `(${parts.join(' && ')})`;
  });
  return anyOf(named);
}

/**
 * The subscription filter pattern put on every audit log group: completed (ResponseComplete), successful writes to
 * a watched object. It is built from the watched-object table, so what the handler acts on and what the filter lets
 * through cannot drift apart; test/audit/subscriptionFilter.test.ts replays it on sample lines with the matcher.
 * A write whose objectRef names no object (deletecollection) is let through: it may delete the watched one.
 * A missing responseStatus is let through too (the handler treats "not known to have failed" as a change).
 */
function auditFilterPattern(): string {
  const resources = [...new Set(WATCHED.map((w) => w.resource))];
  const terms = [
    `$.stage = "ResponseComplete"`,
    anyOf(WRITE_VERBS.map((v) => `$.verb = ${q(v)}`)),
    `($.responseStatus.code < 400 || $.responseStatus.code NOT EXISTS)`,
    anyOf(resources.map(objectTerm)),
  ];
  return `{ ${terms.join(' && ')} }`;
}

export const AUDIT_FILTER_PATTERN = auditFilterPattern();
