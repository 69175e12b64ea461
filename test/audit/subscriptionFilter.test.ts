import { classifyLine } from '../../src/audit/classify';
import { FILTER_PATTERN_MAX_LENGTH, matchesFilter, parseFilterPattern } from '../../src/audit/filterPattern';
import { AUDIT_FILTER_PATTERN } from '../../src/audit/subscriptionFilter';
import { auditSampleFiles, decodedSource } from './support';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_DIR } from './support';

/**
 * The subscription filter replayed on audit lines: it must let through every line the handler acts on (a line it
 * drops is an in-cluster change nobody sees until the sweep) and as little else as it can (each line it lets through
 * invokes the function).
 */
const filter = parseFilterPattern(AUDIT_FILTER_PATTERN);

const base = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '00000000-0000-4000-8000-000000000001',
  stage: 'ResponseComplete',
  requestURI: '/',
  verb: 'patch',
  user: { username: 'alice', groups: ['system:authenticated'] },
  sourceIPs: ['198.51.100.7'],
  userAgent: 'kubectl/v1.30.2',
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2025-11-30T09:00:00.000000Z',
  stageTimestamp: '2025-11-30T09:00:00.010000Z',
};
const line = (over: Record<string, unknown>) => JSON.stringify({ ...base, ...over });
const ref = (resource: string, more: Record<string, string> = {}) => ({ objectRef: { resource, apiVersion: 'v1', ...more } });

/** [what, line, passes the filter] */
const LINES: [string, string, boolean][] = [
  ['kubectl edit aws-auth', line({ verb: 'patch', ...ref('configmaps', { namespace: 'kube-system', name: 'aws-auth' }) }), true],
  ['eksctl replaces aws-auth', line({ verb: 'update', ...ref('configmaps', { namespace: 'kube-system', name: 'aws-auth' }) }), true],
  ['aws-auth created', line({ verb: 'create', responseStatus: { code: 201 }, ...ref('configmaps', { namespace: 'kube-system', name: 'aws-auth' }) }), true],
  ['aws-auth deleted', line({ verb: 'delete', ...ref('configmaps', { namespace: 'kube-system', name: 'aws-auth' }) }), true],
  ['every configmap of kube-system deleted (deletecollection names no object)', line({ verb: 'deletecollection', ...ref('configmaps', { namespace: 'kube-system' }) }), true],
  ['another configmap of kube-system', line({ ...ref('configmaps', { namespace: 'kube-system', name: 'coredns' }) }), false],
  ['aws-auth in another namespace', line({ ...ref('configmaps', { namespace: 'default', name: 'aws-auth' }) }), false],
  // No rule reads bindings (system:masters is authorized before RBAC): they never reach the function.
  ['cluster role binding created', line({ verb: 'create', responseStatus: { code: 201 }, ...ref('clusterrolebindings', { name: 'x', apiGroup: 'rbac.authorization.k8s.io' }) }), false],
  ['cluster role binding deleted', line({ verb: 'delete', ...ref('clusterrolebindings', { name: 'cluster-admin', apiGroup: 'rbac.authorization.k8s.io' }) }), false],
  ['network policy deleted', line({ verb: 'delete', ...ref('networkpolicies', { namespace: 'team-a', name: 'deny', apiGroup: 'networking.k8s.io' }) }), true],
  ['every network policy of a namespace deleted', line({ verb: 'deletecollection', ...ref('networkpolicies', { namespace: 'team-a', apiGroup: 'networking.k8s.io' }) }), true],
  ['Calico policy (crd)', line({ verb: 'update', ...ref('networkpolicies', { namespace: 'team-a', name: 'p', apiGroup: 'crd.projectcalico.org' }) }), true],
  ['Calico global policy (API server)', line({ verb: 'patch', ...ref('globalnetworkpolicies', { name: 'deny-ssh', apiGroup: 'projectcalico.org' }) }), true],
  ['namespace created', line({ verb: 'create', responseStatus: { code: 201 }, ...ref('namespaces', { name: 'team-b' }) }), true],
  ['cluster role edited (no rule reads roles)', line({ verb: 'patch', ...ref('clusterroles', { name: 'cluster-admin', apiGroup: 'rbac.authorization.k8s.io' }) }), false],
  ['kubectl get aws-auth', line({ verb: 'get', ...ref('configmaps', { namespace: 'kube-system', name: 'aws-auth' }) }), false],
  ['watch network policies', line({ verb: 'watch', ...ref('networkpolicies', { apiGroup: 'networking.k8s.io' }) }), false],
  ['forbidden edit', line({ responseStatus: { code: 403 }, ...ref('configmaps', { namespace: 'kube-system', name: 'aws-auth' }) }), false],
  ['conflicting update', line({ verb: 'update', responseStatus: { code: 409 }, ...ref('clusterrolebindings', { name: 'x', apiGroup: 'rbac.authorization.k8s.io' }) }), false],
  ['request received, not completed', line({ stage: 'RequestReceived', responseStatus: undefined, ...ref('configmaps', { namespace: 'kube-system', name: 'aws-auth' }) }), false],
  ['a completed write with no response status', line({ responseStatus: undefined, ...ref('namespaces', { name: 'team-b' }) }), true],
  ['a kube-apiserver text line', 'I1130 09:00:00.000000 10 controller.go:611] quota admission added evaluator', false],
];

/** Lines the filter lets through but the handler ignores on purpose (it sees what the filter syntax cannot). */
const HANDLER_ONLY = [/server-side dry run/, /which this version's catalog does not have/];

function sampleLines(): [string, string][] {
  return auditSampleFiles()
    .map((f) => f.replace(/\.json$/, ''))
    .filter((n) => existsSync(join(AUDIT_DIR, 'decoded', `${n}.json`)))
    .flatMap((n) => decodedSource(n).logEvents.map((e): [string, string] => [`${n} ${e.id}`, e.message]));
}

describe('the audit subscription filter pattern', () => {
  it(`is valid CloudWatch Logs syntax within ${FILTER_PATTERN_MAX_LENGTH} characters`, () => {
    expect(AUDIT_FILTER_PATTERN.length).toBeLessThanOrEqual(FILTER_PATTERN_MAX_LENGTH);
    expect(() => parseFilterPattern(AUDIT_FILTER_PATTERN)).not.toThrow();
  });

  it.each(LINES)('%s → %s', (_what, message, passes) => {
    expect(matchesFilter(filter, message)).toBe(passes);
  });

  it.each([...LINES.map(([w, m]): [string, string] => [w, m]), ...sampleLines()])('never drops a line the handler acts on: %s', (_what, message) => {
    const verdict = classifyLine('id', message);
    const passes = matchesFilter(filter, message);
    if (verdict.status === 'write') expect(passes).toBe(true);
    else if (passes) expect(verdict.status === 'ignored' && HANDLER_ONLY.some((r) => r.test(verdict.reason)) ? 'handler-only' : verdict).toBe('handler-only');
  });
});
