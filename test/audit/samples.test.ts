import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { processAuditDelivery } from '../../src/audit/pipeline';
import { AUDIT_DIR, auditSampleFiles, decodedSource, deps, demoWorld, loadAuditSample, worldReader } from './support';

/**
 * Every audit-log delivery in events/audit: it is the encoding of its readable source (scripts/audit-samples.mjs
 * writes it), and what the Lambda pipeline makes of it over the demo world (examples/demo-world.json).
 */
type Expect = { status: 'processed' | 'ignored' | 'invalid'; reason?: RegExp; opened?: string[] };
const EXPECTED: Record<string, Expect> = {
  'aws-auth-edit-system-masters.json': { status: 'processed', opened: ['no-system-masters'] },
  // system:masters is authorized by the API server before RBAC: no binding changes a verdict.
  'clusterrolebinding-cluster-admin-to-system-masters.json': { status: 'ignored', reason: /clusterrolebindings .*: no rule reads this object/ },
  'networkpolicy-delete-egress-deny.json': { status: 'processed' },
  // The namespace team-b it creates re-checks ssh-egress-blocked: prod's pods may open SSH (no policy engine).
  'burst-two-writers.json': { status: 'processed', opened: ['no-system-masters', 'ssh-egress-blocked'] },
  'bad-lines-beside-a-real-write.json': { status: 'processed', opened: ['no-system-masters'] },
  'kubectl-get-aws-auth.json': { status: 'ignored', reason: /^get configmaps kube-system\/aws-auth: verb get changes nothing$/ },
  'writes-that-change-nothing.json': { status: 'ignored', reason: /failed request \(HTTP 403\).*stage RequestReceived.*server-side dry run.*coredns: no rule reads this object/ },
  'control-message.json': { status: 'ignored', reason: /control message/ },
  'other-log-group.json': { status: 'ignored', reason: /^log group \/aws\/lambda\/eks-drift-dev-sweep is not an EKS control-plane log group/ },
  'other-account.json': { status: 'ignored', reason: /^delivery from account 999999999999, this deployment reads account 111122223333$/ },
  'malformed-not-a-subscription-delivery.json': { status: 'invalid', reason: /^not a CloudWatch Logs subscription delivery/ },
  'malformed-not-base64.json': { status: 'invalid', reason: /^awslogs\.data is not base64$/ },
  'malformed-not-gzip.json': { status: 'invalid', reason: /^awslogs\.data is not gzip/ },
  'malformed-not-json.json': { status: 'invalid', reason: /^awslogs\.data does not hold JSON/ },
  'malformed-no-audit-line.json': { status: 'invalid', reason: /not JSON.*not an audit\.k8s\.io\/v1 Event/ },
};

/** Deliveries broken below the JSON layer cannot have a readable source: they are written by hand. */
const HAND_WRITTEN = ['malformed-not-a-subscription-delivery.json', 'malformed-not-base64.json', 'malformed-not-gzip.json'];

const files = auditSampleFiles();

describe('events/audit samples', () => {
  it('every delivery has an expectation here, and every expectation a delivery', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(files.filter((f) => !HAND_WRITTEN.includes(f)))('%s is the gzip+base64 encoding of its source in decoded/', (file) => {
    const name = file.replace(/\.json$/, '');
    const delivery = loadAuditSample(file) as { awslogs: { data: string } };
    const bytes = gunzipSync(Buffer.from(delivery.awslogs.data, 'base64')).toString('utf8');
    const txt = join(AUDIT_DIR, 'decoded', `${name}.txt`);
    if (existsSync(txt)) expect(bytes).toBe(readFileSync(txt, 'utf8'));
    else expect(JSON.parse(bytes)).toEqual(decodedSource(name));
  });

  it.each(files)('%s', async (file) => {
    const e = EXPECTED[file];
    const out = await processAuditDelivery(loadAuditSample(file), deps(worldReader(demoWorld())));
    expect(out.status).toBe(e.status);
    if (e.reason) expect(out.reason).toMatch(e.reason);
    if (e.opened) expect(out.scopes.flatMap((s) => s.changes.opened.map((f) => f.ruleId)).sort()).toEqual(e.opened);
  });
});
