import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventBridgePatterns } from '../../src/events/patterns';
import { matchesPattern, type EventPattern } from '../../src/events/matcher';
import { GUARDED_CALLS } from '../../src/guard/catalog';

/**
 * serverless.iam-forwarder.yml, packaged offline like the main stack: the us-east-1 rule that forwards IAM's
 * CloudTrail events to the detector's region. Its deploy parameter `detectorRegion` decides the target bus.
 */
type Resource = { Type: string; Properties: Record<string, unknown> };
const root = join(__dirname, '../..');
const outDir = mkdtempSync(join(tmpdir(), 'eks-drift-forwarder-'));
let template: { Parameters: Record<string, { Default: string; AllowedPattern: string }>; Resources: Record<string, Resource> };

function packageForwarder(args: string[]) {
  return spawnSync(process.execPath, [require.resolve('osls/bin/serverless.js'), 'package', '-c', 'serverless.iam-forwarder.yml', '--stage', 'test', ...args], {
    cwd: root,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'eks-drift-no-such-profile' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

beforeAll(() => {
  const r = packageForwarder(['--param=detectorRegion=eu-west-1', '--package', outDir]);
  if (r.status !== 0) throw new Error(r.stdout + r.stderr);
  template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 150_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('IAM event forwarder (serverless.iam-forwarder.yml)', () => {
  it('forwards exactly the IAM calls the iamChanged function and the guard watch', () => {
    const rule = template.Resources.ForwardIamEvents;
    expect(rule.Type).toBe('AWS::Events::Rule');
    const iamChanged = eventBridgePatterns().iamChanged;
    const guarded = GUARDED_CALLS.filter((c) => c.eventSource === 'iam.amazonaws.com').map((c) => c.eventName);
    const detail = iamChanged.detail as { eventName: string[] };
    expect(rule.Properties.EventPattern).toEqual({ ...iamChanged, detail: { ...detail, eventName: [...new Set([...detail.eventName, ...guarded])] } });
    expect(rule.Properties.EventBusName).toBe('default');
  });

  it("forwards every IAM tampering call of the self-protection samples (the guard rules in the detector's region see them)", () => {
    const dir = join(root, 'events/self-protection');
    const samples = ['iam-AttachRolePolicy.json', 'iam-DeleteRolePolicy.json', 'iam-DetachRolePolicy.json', 'iam-PutRolePermissionsBoundary.json', 'iam-PutRolePolicy-deny.json', 'iam-UpdateAssumeRolePolicy.json'];
    const pattern = template.Resources.ForwardIamEvents.Properties.EventPattern as EventPattern;
    for (const f of samples) expect({ f, forwarded: matchesPattern(pattern, JSON.parse(readFileSync(join(dir, f), 'utf8'))) }).toEqual({ f, forwarded: true });
  });

  it('targets the default bus of the region given by the detectorRegion deploy parameter, through a role allowed nothing else', () => {
    expect(template.Parameters.DetectorRegion.Default).toBe('eu-west-1');
    const [target] = template.Resources.ForwardIamEvents.Properties.Targets as { Arn: unknown; RoleArn: unknown }[];
    expect(target.Arn).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:events:${DetectorRegion}:${AWS::AccountId}:event-bus/default' });
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': ['ForwardIamEventsRole', 'Arn'] });
    const policy = (template.Resources.ForwardIamEventsRole.Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[])[0].PolicyDocument;
    expect(policy.Statement).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: target.Arn }]);
  });

  it('refuses us-east-1 as the detector region (the rule would forward to its own bus) and a missing parameter', () => {
    const allowed = new RegExp(template.Parameters.DetectorRegion.AllowedPattern);
    expect(['eu-west-1', 'ap-southeast-2', 'us-gov-west-1', 'us-east-2'].every((r) => allowed.test(r))).toBe(true);
    expect(allowed.test('us-east-1')).toBe(false);
    const missing = packageForwarder(['--package', mkdtempSync(join(tmpdir(), 'eks-drift-forwarder-'))]);
    expect(missing.status).not.toBe(0);
    expect(missing.stdout + missing.stderr).toContain('Value not found at "param" source');
  }, 150_000);

  const cfnLint = spawnSync('cfn-lint', ['--version']).status === 0;
  (cfnLint ? it : it.skip)('is a template cfn-lint accepts', () => {
    expect(() => execFileSync('cfn-lint', [join(outDir, 'cloudformation-template-update-stack.json')], { stdio: 'pipe' })).not.toThrow();
  });
});
