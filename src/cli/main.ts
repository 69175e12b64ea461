import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config';
import { InputError } from '../errors';
import { SEVERITIES, severityRank, type Finding, type NotEvaluated, type Severity } from '../findings/finding';
import { FileFindingStore } from '../findings/fileStore';
import { MemoryFindingStore } from '../findings/memoryStore';
import type { AwsReader } from '../inventory/reader';
import { SdkReader } from '../inventory/sdkReader';
import { WorldReader } from '../inventory/worldReader';
import { withClusterVersionsCache } from '../inventory/clusterVersions';
import { loadWorld } from '../inventory/world';
import { buildAccountView, buildClusterView } from '../inventory/buildView';
import { snapshotAccount } from '../inventory/snapshot';
import { withSharedLookups } from '../inventory/sharedLookups';
import { withAccountReads } from '../inventory/accountReads';
import { RULES } from '../rules/engine/catalog';
import { evaluateAccount, evaluateCluster, neededParts } from '../rules/engine/evaluate';
import { createClusterIndexCache } from '../events/resolve';
import { MemoryLogger } from '../log';
import { creatorSourcesFor, processEvent, sweep } from '../pipeline';
import { bySeverity, findingsTable, replayJson, replayText, rulesTable, sarif, sweepJson, sweepText } from './format';
import { toAsff } from '../sinks/asff';
import { processAuditDelivery } from '../audit/pipeline';
import { isSubscriptionDelivery } from '../audit/delivery';

const VERSION = '0.1.0';

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Progress lines on live scans: only when a person is watching a terminal. */
  progress?: (s: string) => void;
}

/** The account to read; its version calendar is read once per run, not once per cluster. */
function readerFor(worldPath: string | undefined): AwsReader {
  return withClusterVersionsCache(worldPath ? new WorldReader(loadWorld(worldPath)) : new SdkReader({}));
}

/** The pipeline's store, cluster index and CreateCluster records: in `--state FILE`, else in memory for this run. */
function stateDeps(statePath: string | undefined) {
  const store = statePath ? new FileFindingStore(statePath) : new MemoryFindingStore();
  return { store, state: store.state, indexCache: createClusterIndexCache({ state: store.state }) };
}

function severityOption(v: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}

export async function scan(opts: { world?: string; cluster?: string[]; config?: string; state?: string }, io: Io) {
  const config = loadConfig(opts.config);
  const reader = withSharedLookups(withAccountReads(readerFor(opts.world)));
  // With --state, the CreateCluster records kept there come before LookupEvents, and what LookupEvents finds is kept.
  const creatorSources = creatorSourcesFor({ reader, state: opts.state ? new FileFindingStore(opts.state).state : undefined });
  const ids = await reader.identity();
  const all = await reader.listClusters();
  const wanted = opts.cluster?.length ? opts.cluster : all;
  const missing = wanted.filter((n) => !all.includes(n));
  if (missing.length) throw new InputError(`no such cluster in ${opts.world ?? `account ${ids.account} ${ids.region}`}: ${missing.join(', ')}`);

  const findings: Finding[] = [];
  const notEvaluated: NotEvaluated[] = [];
  const parts = neededParts();
  let done = 0;
  for (const name of wanted) {
    io.progress?.(`scanning ${++done}/${wanted.length}: ${name}`);
    const view = await buildClusterView(reader, name, parts, ids, { creatorSources });
    if (!view) continue; // deleted between listing and reading
    const r = evaluateCluster(view, config);
    findings.push(...r.findings);
    notEvaluated.push(...r.notEvaluated);
  }
  const acc = evaluateAccount(await buildAccountView(reader, ids), config);
  findings.push(...acc.findings);
  notEvaluated.push(...acc.notEvaluated);
  return { findings, notEvaluated, ids };
}

export function buildProgram(io: Io): { program: Command; exitCode: () => number } {
  let code: number = EXIT.ok;
  const program = new Command('eks-drift')
    .description('Detect security drift on Amazon EKS clusters against the guideline catalog.')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('rules')
    .description('list the guideline catalog')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action((o: { format: string }) => {
      if (o.format === 'json') {
        io.out(
          JSON.stringify(
            RULES.map((r) => ({ id: r.id, title: r.title, severity: r.severity, scope: r.scope, guideline: r.guideline, description: r.description, remediation: r.remediation })),
            null,
            2,
          ) + '\n',
        );
      } else io.out(rulesTable(RULES) + '\n');
    });

  program
    .command('scan')
    .description('evaluate every cluster (the live account when no --world)')
    .option('--world <file>', 'a recorded account (world file) instead of the live account')
    .option('--cluster <name>', 'only this cluster (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--config <file>', 'eks-drift.config.json')
    .option('--state <file>', 'state file of replay and sweep: its CreateCluster records are used, and those found are kept')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'sarif', 'asff']).default('table'))
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity', severityOption, 'info' as Severity)
    .action(async (o: { world?: string; cluster: string[]; config?: string; state?: string; format: string; failOn: Severity }) => {
      const { findings, notEvaluated, ids } = await scan(o, { ...io, progress: o.world ? undefined : io.progress });
      if (o.format === 'json') io.out(JSON.stringify({ findings, notEvaluated }, null, 2) + '\n');
      else if (o.format === 'sarif') io.out(JSON.stringify(sarif(findings, RULES, { ...ids, version: VERSION }), null, 2) + '\n');
      // The records the Security Hub sink imports, as `aws securityhub batch-import-findings --findings` takes them.
      else if (o.format === 'asff') {
        const at = new Date().toISOString();
        io.out(JSON.stringify([...findings].sort(bySeverity).map((f) => toAsff(f, 'opened', at)), null, 2) + '\n');
      }
      else io.out(findingsTable(findings, notEvaluated) + '\n');
      if (findings.some((f) => severityRank(f.severity) >= severityRank(o.failOn))) code = EXIT.findings;
    });

  program
    .command('replay')
    .description('run CloudTrail events (EventBridge JSON) and EKS audit-log deliveries through exactly the Lambda pipeline')
    .argument('<event...>', 'event files: EventBridge events or CloudWatch Logs subscription deliveries ({"awslogs": …})')
    .option('--world <file>', 'a recorded account (world file) instead of the live account')
    .option('--state <file>', 'findings state kept between runs (JSON file)')
    .option('--config <file>', 'eks-drift.config.json')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (files: string[], o: { world?: string; state?: string; config?: string; format: string }) => {
      const deps = { reader: readerFor(o.world), config: loadConfig(o.config), log: new MemoryLogger(), ...stateDeps(o.state) };
      const results: ReturnType<typeof replayJson>[] = [];
      for (const file of files) {
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(file, 'utf8'));
        } catch (e) {
          code = EXIT.usage;
          const reason = `unreadable: ${(e as Error).message}`;
          results.push({ file, eventId: null, eventName: null, status: 'invalid', reason, clusters: [], findings: [], notifications: [], notEvaluated: [] });
          if (o.format === 'text') io.out(`== ${file}\ninvalid: ${reason}\n\n`);
          continue;
        }
        const outcome = isSubscriptionDelivery(raw) ? await processAuditDelivery(raw, deps) : await processEvent(raw, deps);
        if (outcome.status === 'invalid') code = EXIT.usage;
        results.push(replayJson(file, outcome));
        if (o.format === 'text') io.out(replayText(file, outcome) + '\n');
      }
      if (o.format === 'json') io.out(JSON.stringify(results, null, 2) + '\n');
    });

  program
    .command('sweep')
    .description('run exactly the scheduled sweep Lambda over every cluster and the account (the first over an empty --state is the baseline)')
    .option('--world <file>', 'a recorded account (world file) instead of the live account')
    .option('--state <file>', 'findings state kept between runs (JSON file)')
    .option('--config <file>', 'eks-drift.config.json')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { world?: string; state?: string; config?: string; format: string }) => {
      const deps = { reader: readerFor(o.world), config: loadConfig(o.config), log: new MemoryLogger(), ...stateDeps(o.state) };
      const progress = io.progress;
      const out = await sweep(deps, { onProgress: progress && ((done, total, name) => progress(`sweeping ${done}/${total}: ${name}`)) });
      progress?.('');
      const findings = (await deps.store.listFindings({ status: 'open' })).map((f) => f.finding);
      io.out(o.format === 'json' ? JSON.stringify(sweepJson(out, findings), null, 2) + '\n' : sweepText(out, findings));
    });

  program
    .command('snapshot')
    .description('record the live account into a world file')
    .requiredOption('--out <file>', 'where to write the world file')
    .action(async (o: { out: string }) => {
      const world = await snapshotAccount(withSharedLookups(withAccountReads(new SdkReader({}))));
      writeFileSync(o.out, JSON.stringify(world, null, 2) + '\n');
      io.err(`wrote ${o.out}\n`);
    });

  return { program, exitCode: () => code };
}

/** Runs the CLI; returns the exit code instead of exiting, so tests drive it in-process. */
export async function run(argv: string[], io: Io): Promise<number> {
  const { program, exitCode } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    if (err.code?.startsWith('commander.')) return EXIT.usage;
    if (e instanceof InputError) {
      io.err(`eks-drift: ${e.message}\n`);
      return EXIT.usage;
    }
    io.err(`eks-drift: ${err.message ?? String(e)}\n`);
    if (process.env.EKS_DRIFT_DEBUG && e instanceof Error) io.err(`${e.stack}\n`);
    return EXIT.usage;
  }
}

/** Entry point of the `eks-drift` bin. */
export function main(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const io: Io = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    progress: process.stderr.isTTY ? (s) => process.stderr.write(`\r\x1b[K${s}`) : undefined,
  };
  run(process.argv.slice(2), io).then((c) => {
    process.exitCode = c;
  });
}
