import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string | string[]; Condition?: string; DeletionPolicy?: string; UpdateReplacePolicy?: string };
export interface PackagedTemplate {
  path: string;
  resources: Record<string, Resource>;
  parameters: Record<string, { Type?: string; Default?: string }>;
  conditions: Record<string, unknown>;
  ofType(type: string): [string, Resource][];
  remove(): void;
}

/**
 * `serverless package` runs offline with no AWS credentials and writes the CloudFormation template that a deploy
 * would send: tests read that, so what they check is what is deployed.
 */
export function packageTemplate(stage: string, region: string, params: Record<string, string> = {}): PackagedTemplate {
  const outDir = mkdtempSync(join(tmpdir(), 'eks-drift-sls-'));
  const paramArgs = Object.entries(params).map(([k, v]) => `--param=${k}=${v}`);
  execFileSync(process.execPath, [require.resolve('osls/bin/serverless.js'), 'package', '--stage', stage, '--region', region, '--package', outDir, ...paramArgs], {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'eks-drift-no-such-profile' },
    stdio: 'pipe',
    timeout: 120_000,
  });
  const path = join(outDir, 'cloudformation-template-update-stack.json');
  const template = JSON.parse(readFileSync(path, 'utf8')) as { Resources: Record<string, Resource>; Parameters?: PackagedTemplate['parameters']; Conditions?: PackagedTemplate['conditions'] };
  const resources = template.Resources;
  return {
    path,
    resources,
    parameters: template.Parameters ?? {},
    conditions: template.Conditions ?? {},
    ofType: (type) => Object.entries(resources).filter(([, r]) => r.Type === type),
    remove: () => rmSync(outDir, { recursive: true, force: true }),
  };
}

/** The values CloudFormation would give the template's references in one account and region. */
export interface Deployment {
  account: string;
  region: string;
  partition: string;
  /** Logical id → what Ref returns (a topic's ARN, a key's id, a rule's name…). */
  refs: Record<string, string>;
  /** "LogicalId.Attribute" → what Fn::GetAtt returns. */
  attributes: Record<string, string>;
  /** The template's conditions as this deployment evaluates them (Fn::If picks a branch by them). */
  conditions?: Record<string, boolean>;
}

/** What `Ref: AWS::NoValue` leaves: the member or element is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

/** `node` with every `Fn::If` decided by `conditions` (and `AWS::NoValue` dropped); other references stay as written. */
export function decideConditions(node: unknown, conditions: Record<string, boolean> = {}): unknown {
  const walk = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(walk).filter((x) => x !== NO_VALUE);
    if (!n || typeof n !== 'object') return n;
    const o = n as Record<string, unknown>;
    if (o.Ref === 'AWS::NoValue') return NO_VALUE;
    if ('Fn::If' in o) {
      const [condition, whenTrue, whenFalse] = o['Fn::If'] as [string, unknown, unknown];
      const value = conditions[condition];
      if (value === undefined) throw new Error(`no value for condition ${condition} in the test deployment`);
      return walk(value ? whenTrue : whenFalse);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]).filter(([, v]) => v !== NO_VALUE));
  };
  return walk(node);
}

/** Resolves Fn::If, Ref, Fn::GetAtt, Fn::Sub, Fn::Join and Fn::Split the way CloudFormation would for `d`; anything else stays. */
export function resolveIntrinsics(node: unknown, d: Deployment): unknown {
  const pseudo: Record<string, string> = { 'AWS::AccountId': d.account, 'AWS::Region': d.region, 'AWS::Partition': d.partition, 'AWS::URLSuffix': 'amazonaws.com' };
  const ref = (name: string): string => {
    const v = pseudo[name] ?? d.refs[name] ?? d.attributes[name];
    if (v === undefined) throw new Error(`no value for ${name} in the test deployment`);
    return v;
  };
  const walk = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(walk);
    if (!n || typeof n !== 'object') return n;
    const o = n as Record<string, unknown>;
    if ('Ref' in o) return ref(o.Ref as string);
    if ('Fn::GetAtt' in o) return ref((o['Fn::GetAtt'] as string[]).join('.'));
    if ('Fn::Sub' in o) return (o['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => ref(name));
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return (walk(parts) as string[]).join(sep);
    }
    if ('Fn::Split' in o) {
      const [sep, text] = o['Fn::Split'] as [string, unknown];
      return (walk(text) as string).split(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]));
  };
  return walk(decideConditions(node, d.conditions));
}

/**
 * cfn-lint (installed beside moto: pip install cfn-lint). On PATH, else through the Python that has it. Where it is
 * absent the lint is skipped with one line, unless EKS_DRIFT_REQUIRE_MOTO=1 or CI is set (the emulator suites' rule).
 */
function cfnLintCommand(): string[] | undefined {
  if (spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' }).status === 0) return ['cfn-lint'];
  const python = process.env.EKS_DRIFT_PYTHON ?? 'python3';
  const viaPython = [python, '-c', 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())'];
  if (spawnSync(viaPython[0], [...viaPython.slice(1), '--version'], { stdio: 'ignore' }).status === 0) return viaPython;
  return undefined;
}

export const CFN_LINT = cfnLintCommand();
if (!CFN_LINT) {
  if (process.env.EKS_DRIFT_REQUIRE_MOTO === '1' || process.env.CI) {
    throw new Error('cfn-lint is required (EKS_DRIFT_REQUIRE_MOTO=1 or CI) but neither cfn-lint nor a Python with the cfnlint package is installed: pip install cfn-lint');
  }
  console.warn('Skipping the cfn-lint check of the packaged template: cfn-lint is not installed. Install it with: pip install cfn-lint');
}

/** cfn-lint's findings on a template (every level it reports by default: errors and warnings), and its exit status. */
export function cfnLint(templatePath: string): { status: number; output: string } {
  const [cmd, ...args] = CFN_LINT!;
  const r = spawnSync(cmd, [...args, '--format', 'parseable', '--', templatePath], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
}
