import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '../../src/cli/main';
import { RULES } from '../../src/rules/engine/catalog';
import { toAsff } from '../../src/sinks/asff';
import type { Finding } from '../../src/findings/finding';
import type { World } from '../../src/inventory/world';

const byId = (a: { Id: string }, b: { Id: string }) => a.Id.localeCompare(b.Id);

const root = join(__dirname, '../..');
const WORLD = join(root, 'examples/demo-world.json');
const CONFIG = join(root, 'examples/eks-drift.config.json');
const event = (name: string) => join(root, 'events', name);
const SSH = event('ec2-AuthorizeSecurityGroupIngress-ssh-world.json');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { worldAtDeploy } = require('../../scripts/demo-world.cjs') as { worldAtDeploy: (w: unknown) => unknown };
const NODES_ONLY = '- rolearn: arn:aws:iam::111122223333:role/eks-node-role\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n';

/**
 * A state file after the deployment's baseline sweep of the demo account as it was before the story's calls (and
 * `change`, a difference the test's own story needs).
 */
async function deployedState(change: (world: World) => void = () => undefined): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'eks-drift-deployed-'));
  const before = join(dir, 'world-at-deploy.json');
  const world = worldAtDeploy(JSON.parse(readFileSync(WORLD, 'utf8'))) as World;
  change(world);
  writeFileSync(before, JSON.stringify(world));
  const state = join(dir, 'state.json');
  expect((await cli('sweep', '--world', before, '--config', CONFIG, '--state', state)).code).toBe(0);
  return state;
}

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('eks-drift rules', () => {
  it('lists every rule id of the catalog, as a table and as JSON', async () => {
    const table = await cli('rules');
    expect(table.code).toBe(0);
    for (const r of RULES) expect(table.out).toContain(r.id);
    const json = JSON.parse((await cli('rules', '--format', 'json')).out) as { id: string; severity: string }[];
    expect(json.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    expect(json).toHaveLength(RULES.length);
  });
});

describe('eks-drift scan', () => {
  it('reports the violating cluster and the account, never the compliant cluster, and exits 1', async () => {
    const r = await cli('scan', '--world', WORLD, '--config', CONFIG, '--format', 'json');
    expect(r.code).toBe(1);
    const { findings, notEvaluated } = JSON.parse(r.out) as { findings: { cluster: string | null; ruleId: string; account: string; region: string }[]; notEvaluated: unknown[] };
    expect(notEvaluated).toEqual([]);
    expect(findings.filter((f) => f.cluster === 'payments')).toEqual([]);
    expect(new Set(findings.filter((f) => f.cluster === 'prod').map((f) => f.ruleId)).size).toBe(19);
    expect(findings.find((f) => f.ruleId === 'cloudtrail-enabled')).toMatchObject({ cluster: null, account: '111122223333', region: 'us-east-1' });
  });

  it('exits 0 for a clean cluster, and --fail-on raises the bar', async () => {
    expect((await cli('scan', '--world', WORLD, '--config', CONFIG, '--cluster', 'payments', '--format', 'json')).code).toBe(1); // the account trail is stopped
    const table = await cli('scan', '--world', WORLD, '--config', CONFIG, '--cluster', 'payments');
    expect(table.out).toContain('cloudtrail-enabled');
    expect(table.out).not.toMatch(/\bpayments\b/);
    expect((await cli('scan', '--world', WORLD, '--config', CONFIG, '--cluster', 'payments', '--fail-on', 'critical')).code).toBe(0);
  });

  it('prints a readable table sorted by severity', async () => {
    const r = await cli('scan', '--world', WORLD, '--config', CONFIG, '--cluster', 'prod');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+CLUSTER\s+RULE\s+RESOURCE\s+MESSAGE$/);
    expect(lines[2]).toMatch(/^CRITICAL/);
    expect(r.out).toMatch(/\d+ finding\(s\): \d+ critical, \d+ high/);
  });

  it('prints with --format asff exactly the ASFF records the Security Hub sink imports for the open findings', async () => {
    const json = JSON.parse((await cli('scan', '--world', WORLD, '--config', CONFIG, '--format', 'json')).out);
    const asff = JSON.parse((await cli('scan', '--world', WORLD, '--config', CONFIG, '--format', 'asff')).out);
    expect(asff).toHaveLength(json.findings.length);
    const at = asff[0].UpdatedAt;
    const expected = json.findings.map((f: Finding) => toAsff(f, 'opened', at));
    expect([...asff].sort(byId)).toEqual(JSON.parse(JSON.stringify(expected)).sort(byId));
    expect(asff[0].Severity.Label).toBe('CRITICAL');
  });

  it('writes SARIF 2.1.0 with rules, levels, locations and stable fingerprints', async () => {
    const r = await cli('scan', '--world', WORLD, '--config', CONFIG, '--format', 'sarif');
    const s = JSON.parse(r.out);
    expect(s.version).toBe('2.1.0');
    const run0 = s.runs[0];
    expect(run0.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(RULES.map((x) => x.id));
    expect(run0.results.length).toBeGreaterThan(10);
    for (const res of run0.results) {
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(run0.tool.driver.rules[res.ruleIndex].id).toBe(res.ruleId);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toMatch(/^aws\/111122223333\/us-east-1\//);
      expect(res.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
      expect(res.partialFingerprints.findingIdentity).toContain(res.ruleId);
    }
  });

  it('rejects a malformed world with the path of the bad field, exit 2, no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-drift-cli-'));
    const bad = join(dir, 'bad.json');
    const world = JSON.parse(readFileSync(WORLD, 'utf8'));
    world.eks.clusters[0].resourcesVpcConfig.subnetIds = 'subnet-1';
    writeFileSync(bad, JSON.stringify(world));
    const r = await cli('scan', '--world', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('eks.clusters[0].resourcesVpcConfig.subnetIds');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('rejects an unknown cluster, a bad severity and a malformed config with exit 2', async () => {
    expect((await cli('scan', '--world', WORLD, '--cluster', 'nope')).err).toContain('no such cluster');
    expect((await cli('scan', '--world', WORLD, '--fail-on', 'severe')).code).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'eks-drift-cli-'));
    const cfg = join(dir, 'c.json');
    writeFileSync(cfg, JSON.stringify({ allowedSshCidrs: ['everywhere'] }));
    const r = await cli('scan', '--world', WORLD, '--config', cfg);
    expect(r.code).toBe(2);
    expect(r.err).toContain('allowedSshCidrs[0]');
  });
});

describe('eks-drift replay', () => {
  it('prints the JSON contract per event, in input order', async () => {
    const state = await deployedState();
    const r = await cli('replay', SSH, event('ec2-AuthorizeSecurityGroupIngress-failed-duplicate.json'), '--world', WORLD, '--config', CONFIG, '--state', state, '--format', 'json');
    expect(r.code).toBe(0);
    const [ssh, failed] = JSON.parse(r.out);
    expect(ssh).toMatchObject({ file: SSH, eventName: 'AuthorizeSecurityGroupIngress', status: 'processed', clusters: ['prod'] });
    expect(ssh.notifications).toEqual([{ change: 'opened', cause: 'event', finding: expect.objectContaining({ ruleId: 'no-internet-ssh', resourceId: 'sg-0aa1111111111111a', cluster: 'prod' }) }]);
    expect(ssh.findings.map((f: { ruleId: string }) => f.ruleId)).toContain('no-system-masters'); // every open finding in scope, old debt included
    expect(failed).toMatchObject({ status: 'ignored', reason: expect.stringContaining('Client.InvalidPermission.Duplicate'), clusters: [], findings: [], notifications: [] });
  });

  it('reads EKS audit-log deliveries beside EventBridge events, telling them apart per file', async () => {
    // At deployment prod's aws-auth mapped only the nodes; the edit replayed first maps ops-admin into system:masters.
    const state = await deployedState((w) => (w.kubernetes.prod!.awsAuth!.data = { mapRoles: NODES_ONLY }));
    const audit = (name: string) => join(root, 'events/audit', name);
    const r = await cli('replay', audit('aws-auth-edit-system-masters.json'), SSH, audit('kubectl-get-aws-auth.json'), audit('bad-lines-beside-a-real-write.json'), audit('malformed-not-gzip.json'), '--world', WORLD, '--config', CONFIG, '--state', state, '--format', 'json');
    expect(r.code).toBe(2); // one input was invalid; the others were still processed
    const [edit, ssh, get, bad, broken] = JSON.parse(r.out);
    expect(edit).toMatchObject({ status: 'processed', eventName: 'patch configmaps kube-system/aws-auth', clusters: ['prod'], lines: [{ status: 'write', object: 'configmaps kube-system/aws-auth' }] });
    expect(edit.notifications).toEqual([{ change: 'opened', cause: 'event', finding: expect.objectContaining({ ruleId: 'no-system-masters' }) }]);
    expect(ssh).toMatchObject({ status: 'processed', eventName: 'AuthorizeSecurityGroupIngress' });
    expect(get).toMatchObject({ status: 'ignored', reason: 'get configmaps kube-system/aws-auth: verb get changes nothing' });
    expect(bad.lines.map((l: { status: string }) => l.status)).toEqual(['invalid', 'invalid', 'write']);
    expect(broken).toMatchObject({ status: 'invalid', reason: expect.stringContaining('not gzip') });
  });

  it('prints who made the Kubernetes API writes; over an empty state the edit blames no one (left for the first sweep)', async () => {
    const edit = join(root, 'events/audit/aws-auth-edit-system-masters.json');
    const state = await deployedState((w) => (w.kubernetes.prod!.awsAuth!.data = { mapRoles: NODES_ONLY }));
    const text = (await cli('replay', edit, '--world', WORLD, '--config', CONFIG, '--state', state)).out;
    expect(text).toContain('Cause: event. Triggered by: patch configmaps kube-system/aws-auth through the Kubernetes API of cluster prod');
    expect(text).toContain('Who: platform-admin (IAM arn:aws:sts::111122223333:assumed-role/platform-admin/alice)');
    const [fresh] = JSON.parse((await cli('replay', edit, '--world', WORLD, '--config', CONFIG, '--format', 'json')).out);
    expect(fresh).toMatchObject({ status: 'processed', notifications: [] });
    expect(fresh.findings.map((f: Finding) => f.ruleId)).toContain('no-system-masters');
  });

  it('keeps state between runs with --state: a second replay of the same event publishes nothing', async () => {
    const state = await deployedState();
    const first = JSON.parse((await cli('replay', SSH, '--world', WORLD, '--config', CONFIG, '--state', state, '--format', 'json')).out);
    expect(first[0].notifications.length).toBeGreaterThan(0);
    const second = JSON.parse((await cli('replay', SSH, '--world', WORLD, '--config', CONFIG, '--state', state, '--format', 'json')).out);
    expect(second[0]).toMatchObject({ status: 'processed', notifications: [] });
    expect(second[0].findings).toEqual(first[0].findings);
  });

  it('resolves what the world no longer violates, and opens nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-drift-fixed-'));
    const state = join(dir, 'state.json');
    await cli('replay', SSH, '--world', WORLD, '--config', CONFIG, '--state', state);
    const world = JSON.parse(readFileSync(WORLD, 'utf8'));
    const sg = world.ec2.securityGroups.find((g: { GroupId: string }) => g.GroupId === 'sg-0aa1111111111111a');
    sg.IpPermissions = sg.IpPermissions.filter((p: { FromPort?: number }) => p.FromPort !== 22);
    const fixed = join(dir, 'fixed.json');
    writeFileSync(fixed, JSON.stringify(world));
    const [revoke] = JSON.parse((await cli('replay', event('ec2-RevokeSecurityGroupIngress-ssh-world.json'), '--world', fixed, '--config', CONFIG, '--state', state, '--format', 'json')).out);
    expect(revoke.notifications).toEqual([{ change: 'resolved', cause: 'event', finding: expect.objectContaining({ ruleId: 'no-internet-ssh', resourceId: 'sg-0aa1111111111111a' }) }]);
  });

  it('reports invalid and unreadable inputs without stopping the rest, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-drift-bad-'));
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{"detail": ');
    const r = await cli('replay', event('malformed-missing-eventName.json'), notJson, SSH, '--world', WORLD, '--format', 'json');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.out);
    expect(out.map((o: { status: string }) => o.status)).toEqual(['invalid', 'invalid', 'processed']);
    expect(out[0].reason).toContain('eventName');
    expect(out[1].reason).toContain('unreadable');
  });

  it('a replay over an empty state blames no one: what it finds there is left for the first sweep', async () => {
    const [ssh] = JSON.parse((await cli('replay', SSH, '--world', WORLD, '--config', CONFIG, '--format', 'json')).out);
    expect(ssh).toMatchObject({ status: 'processed', notifications: [] });
    expect(ssh.findings.length).toBeGreaterThan(0);
  });

  it('prints the alert text a person on call reads', async () => {
    const r = await cli('replay', SSH, '--world', WORLD, '--config', CONFIG, '--state', await deployedState());
    expect(r.out).toContain('Subject: [CRITICAL] prod:');
    expect(r.out).toContain('arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
    expect(r.out).not.toContain('---- JSON ----');
  });
});

describe('eks-drift replay: a finding whose severity rises', () => {
  /** The deployment's state with prod-ng-ssh's key reachable only from the bastion, and the account after CreateNodegroup recreated it open to the world. */
  async function recreatedOpen(): Promise<{ state: string; after: string }> {
    const state = await deployedState((w) => {
      w.eks.nodegroups.find((g) => g.nodegroupName === 'prod-ng-ssh')!.remoteAccess = { ec2SshKey: 'ops-key', sourceSecurityGroups: ['sg-0bb5555555555555a'] };
    });
    const after = join(dirname(state), 'world-after.json');
    writeFileSync(after, JSON.stringify(worldAtDeploy(JSON.parse(readFileSync(WORLD, 'utf8')))));
    return { state, after };
  }
  const CREATE = event('eks-CreateNodegroup-ssh-no-source-sg.json');

  it('JSON: the notification is escalated, caused by the call, with the severity it had', async () => {
    const { state, after } = await recreatedOpen();
    const [out] = JSON.parse((await cli('replay', CREATE, '--world', after, '--config', CONFIG, '--state', state, '--format', 'json')).out);
    expect(out.notifications).toEqual([
      { change: 'escalated', cause: 'event', previousSeverity: 'high', finding: expect.objectContaining({ ruleId: 'nodegroup-no-ssh-key', resourceId: 'prod-ng-ssh', severity: 'critical' }) },
    ]);
  });

  it('text: what the person on call reads', async () => {
    const { state, after } = await recreatedOpen();
    const r = await cli('replay', CREATE, '--world', after, '--config', CONFIG, '--state', state);
    expect(r.out).toContain('0 opened, 1 escalated, 0 resolved');
    expect(r.out).toMatch(/Subject: ESCALATED \[CRITICAL\] prod: node group prod-ng-ssh .*\(was HIGH\) \(nodegroup-no-ssh-key\)/);
    expect(r.out).toContain('ESCALATED [CRITICAL] nodegroup-no-ssh-key: node group prod-ng-ssh has SSH key ops-key and no source security groups: port 22 is open to 0.0.0.0/0 (was HIGH)');
    expect(r.out).toContain('arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
  });
});

describe('eks-drift sweep', () => {
  it('JSON: the first sweep over an empty state is the baseline, one first-check notification per finding; the next one has none', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    const first = await cli('sweep', '--world', WORLD, '--config', CONFIG, '--state', state, '--format', 'json');
    expect(first.code).toBe(0);
    const out = JSON.parse(first.out);
    expect(Object.keys(out)).toEqual(['sweepId', 'clusters', 'baseline', 'findings', 'notifications', 'notEvaluated', 'errors']);
    expect(out).toMatchObject({ clusters: ['prod', 'payments'], baseline: true, notEvaluated: [], errors: [] });
    expect(out.notifications).toHaveLength(out.findings.length);
    expect(new Set(out.notifications.map((n: { cause: string }) => n.cause))).toEqual(new Set(['first-check']));
    const second = JSON.parse((await cli('sweep', '--world', WORLD, '--config', CONFIG, '--state', state, '--format', 'json')).out);
    expect(second).toMatchObject({ baseline: false, notifications: [] });
    // The same findings; the creator's CreateCluster record now comes from the state file, where the first sweep kept it.
    const fromStore = (fs: unknown[]) => JSON.parse(JSON.stringify(fs).replaceAll('CloudTrail LookupEvents (last 90 days)', 'the CreateCluster records eks-drift keeps'));
    expect(second.findings).toEqual(fromStore(out.findings));
    expect(JSON.stringify(second.findings)).not.toContain('LookupEvents');
  });

  it('text: the digest a person receives, and nothing the second time', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    const r = await cli('sweep', '--world', WORLD, '--config', CONFIG, '--state', state);
    expect(r.out).toMatch(/Subject: \[CRITICAL\] eks-drift baseline: 29 finding\(s\) already present in 111122223333 us-east-1/);
    expect(r.out).toContain('already present when eks-drift first checked');
    expect(r.out).not.toContain('alice');
    expect((await cli('sweep', '--world', WORLD, '--config', CONFIG, '--state', state)).out).toContain('Nothing to publish');
  });

  it('shows progress on a terminal only', async () => {
    const lines: string[] = [];
    await run(['sweep', '--world', WORLD, '--config', CONFIG], { out: () => {}, err: () => {}, progress: (s) => lines.push(s) });
    expect(lines.map((l) => l.replace(/: \w+$/, ''))).toEqual(['sweeping 1/2', 'sweeping 2/2', '']); // clusters run in parallel
  });
});

describe('the eks-drift bin', () => {
  it('runs from the built bundle, as `npx eks-drift` does after npm ci', () => {
    if (spawnSync(process.execPath, [join(root, 'bin/eks-drift.js'), '--version']).status !== 0) {
      execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root });
    }
    const out = execFileSync(process.execPath, [join(root, 'bin/eks-drift.js'), 'rules', '--format', 'json'], { cwd: root }).toString();
    expect(JSON.parse(out)).toHaveLength(RULES.length);
  });
});
