// Cold start of the Lambda handlers: minified size and module-load time of each bundle, against loading the same
// AWS SDK v3 clients unbundled from node_modules, every figure the median of N fresh `node` processes.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { bundleOptions } from '../scripts/build.mjs';

const LOADER = resolve('bench/loadTime.js');

/** Newest modification time (ms) of the files under `dir` with one of `exts`. */
function newest(dir, exts) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Rebuilds dist/handlers with the project's own build script when a bundle is missing or older than its sources. */
export function ensureHandlerBundles(log) {
  const handlers = readdirSync('handlers').filter((f) => f.endsWith('.ts')).map((f) => basename(f, '.ts'));
  const bundles = handlers.map((h) => `dist/handlers/${h}.js`);
  const missing = bundles.filter((b) => !existsSync(b));
  const oldest = missing.length ? 0 : Math.min(...bundles.map((b) => statSync(b).mtimeMs));
  const sources = Math.max(newest('src', ['.ts']), newest('handlers', ['.ts']), statSync('scripts/build.mjs').mtimeMs, statSync('package-lock.json').mtimeMs);
  if (missing.length || sources > oldest) {
    log(missing.length ? `building handler bundles (missing: ${missing.join(', ')})` : 'building handler bundles (sources changed)');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return handlers.map((name) => ({ name, file: resolve(`dist/handlers/${name}.js`), source: `handlers/${name}.ts` }));
}

/** What each bundle is made of (the esbuild options of scripts/build.mjs), from esbuild's metafile. */
export async function bundleComposition(handlers) {
  const dir = mkdtempSync(join(tmpdir(), 'eks-drift-bench-meta-'));
  try {
    const out = {};
    for (const h of handlers) {
      const r = await build({ ...bundleOptions, entryPoints: [h.source], outfile: join(dir, `${h.name}.js`), logLevel: 'silent', metafile: true });
      const output = Object.values(r.metafile.outputs)[0];
      const byPackage = {};
      const clients = new Set();
      for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
        const pkg = m ? m[1] : path.startsWith('src/') || path.startsWith('handlers/') ? '(project)' : '(other)';
        byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput;
        if (m && /^@aws-sdk\/client-/.test(m[1])) clients.add(m[1]);
      }
      const top = Object.entries(byPackage)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([pkg, bytes]) => ({ package: pkg, bytes }));
      out[h.name] = { sdkClients: [...clients].sort(), topPackages: top };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Stands in for a removed dependency: any property, call or construction yields itself, so the bundle still loads
 * and the difference in bytes and load time is what the dependency costs.
 */
const STUB = `'use strict';
const h = { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : k === '__esModule' ? false : p), apply: () => p, construct: () => p, getPrototypeOf: () => p };
const p = new Proxy(function () {}, h);
module.exports = p;`;

function stubPlugin(pkgs) {
  const escaped = pkgs.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  return {
    name: 'stub-dependency',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^(${escaped})(/.*)?$`) }, (a) => ({ path: a.path, namespace: 'stub' }));
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: STUB, loader: 'js' }));
    },
  };
}

/**
 * What each heavy dependency of one handler costs: the handler rebuilt without it (stubbed), its size and load time
 * against the unchanged build, in the same round-robin. Shows which dependency earns its bytes.
 */
export async function dependencyCosts(handler, packages, runs, combined = []) {
  const dir = mkdtempSync(join(tmpdir(), 'eks-drift-bench-deps-'));
  try {
    const variants = [
      { name: 'as built', without: null },
      ...packages.map((p) => ({ name: `without ${p}`, without: [p] })),
      ...(combined.length ? [{ name: `without ${combined.join(' + ')}`, without: combined }] : []),
    ];
    for (const [i, v] of variants.entries()) {
      v.file = join(dir, `variant-${i}.js`);
      // The stub resolves first, so the project's own plugins never see the removed package.
      await build({
        ...bundleOptions,
        entryPoints: [handler.source],
        outfile: v.file,
        logLevel: 'silent',
        plugins: [...(v.without ? [stubPlugin(v.without)] : []), ...(bundleOptions.plugins ?? [])],
      });
    }
    const times = loadTimes(variants.map((v) => ({ name: v.name, modules: [v.file] })), runs);
    const r1 = (n) => Math.round(n * 10) / 10;
    const full = { bytes: statSync(variants[0].file).size, loadMs: times[0].medianMs, loadCpuMs: times[0].cpuMedianMs };
    return {
      handler: handler.name,
      runs,
      asBuilt: { bytes: full.bytes, loadMs: r1(full.loadMs), loadCpuMs: r1(full.loadCpuMs) },
      // What removing the package saves: bytes, median wall time and median CPU time of loading.
      dependencies: variants.slice(1).map((v, i) => ({
        package: v.without.join(' + '),
        bytes: full.bytes - statSync(v.file).size,
        loadMs: r1(full.loadMs - times[i + 1].medianMs),
        loadCpuMs: r1(full.loadCpuMs - times[i + 1].cpuMedianMs),
      })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function loadOnce(modules) {
  const r = spawnSync(process.execPath, [LOADER, ...modules], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' },
  });
  if (r.status !== 0) throw new Error(`loading ${modules.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Median require() time of each target over `runs` fresh processes. Targets are sampled round-robin so a burst of
 * load on this shared machine hits them all alike. One unmeasured round first warms the OS file cache.
 */
export function loadTimes(targets, runs) {
  const samples = targets.map(() => []);
  for (const t of targets) loadOnce(t.modules);
  for (let r = 0; r < runs; r++) targets.forEach((t, i) => samples[i].push(loadOnce(t.modules)));
  return targets.map((t, i) => {
    const wall = samples[i].map((s) => s.wallMs);
    return { name: t.name, medianMs: median(wall), minMs: Math.min(...wall), maxMs: Math.max(...wall), cpuMedianMs: median(samples[i].map((s) => s.cpuMs)) };
  });
}

/**
 * Packages worth weighing: everything big that is not the SDK's shared core (which any AWS client needs), plus the
 * default credential chain as a whole (SSO, ini files, web identity, process, IMDS: spread over many small packages;
 * a Lambda function only ever needs the environment credentials).
 */
function candidates(topPackages) {
  const big = topPackages
    .filter((p) => p.bytes >= 15_000 && !/^\(|^@smithy\/|^@aws-sdk\/(core|nested-clients|credential-provider)/.test(p.package))
    .map((p) => p.package);
  return topPackages.some((p) => /^@aws-sdk\/(nested-clients|credential-provider)/.test(p.package)) ? [...big, '@aws-sdk/credential-provider-node'] : big;
}

export async function coldStart({ runs, log, dependencyRuns = 7 }) {
  const handlers = ensureHandlerBundles(log);
  const composition = await bundleComposition(handlers);
  const clientSets = new Map();
  for (const h of handlers) {
    const key = composition[h.name].sdkClients.join(' ');
    if (key && !clientSets.has(key)) clientSets.set(key, composition[h.name].sdkClients);
  }
  const allClients = [...new Set(handlers.flatMap((h) => composition[h.name].sdkClients))].sort();
  log(`cold start: ${handlers.length} handlers, SDK clients ${allClients.join(', ')}; ${runs} fresh processes each`);
  const targets = [
    ...handlers.map((h) => ({ name: `handler:${h.name}`, modules: [h.file] })),
    ...[...clientSets].map(([key, clients]) => ({ name: `sdk:${key}`, modules: clients })),
    { name: 'empty', modules: [] },
  ];
  const times = Object.fromEntries(loadTimes(targets, runs).map((t) => [t.name, t]));
  const round = (n) => Math.round(n * 10) / 10;
  // The largest handler stands for the event handlers: they share the runtime wiring and its SDK clients.
  const representative = [...handlers].sort((a, b) => statSync(b.file).size - statSync(a.file).size)[0];
  const repKey = composition[representative.name].sdkClients.join(' ');
  const weighed = candidates(composition[representative.name].topPackages);
  log(`dependency costs for ${representative.name}: ${weighed.join(', ')} (${dependencyRuns} processes each)`);
  // The combination docs/PERFORMANCE.md proposes taking off the load path: the account id from the Lambda context
  // instead of STS, the YAML parser imported lazily where aws-auth or add-on configuration is parsed, environment
  // credentials instead of the default chain in the Lambda bundles.
  const proposal = ['@aws-sdk/client-sts', 'yaml', 'js-yaml', '@aws-sdk/credential-provider-node'].filter((p) => weighed.includes(p));
  const deps = await dependencyCosts(representative, weighed, dependencyRuns, proposal.length > 1 ? proposal : []);
  const sdkFor = (h) => {
    const key = composition[h.name].sdkClients.join(' ');
    return key ? round(times[`sdk:${key}`].medianMs) : null;
  };
  return {
    handlers: handlers.map((h) => ({
      name: h.name,
      file: relative(process.cwd(), h.file),
      bytes: statSync(h.file).size,
      loadMs: round(times[`handler:${h.name}`].medianMs),
      loadMsRange: [round(times[`handler:${h.name}`].minMs), round(times[`handler:${h.name}`].maxMs)],
      loadCpuMs: round(times[`handler:${h.name}`].cpuMedianMs),
      sdkClients: composition[h.name].sdkClients,
      sdkUnbundledLoadMs: sdkFor(h),
      topPackages: composition[h.name].topPackages,
    })),
    sdkUnbundledLoadMs: repKey ? round(times[`sdk:${repKey}`].medianMs) : null,
    sdkUnbundledLoadCpuMs: repKey ? round(times[`sdk:${repKey}`].cpuMedianMs) : null,
    sdkUnbundledClients: composition[representative.name].sdkClients,
    representativeHandler: representative.name,
    emptyLoadMs: round(times.empty.medianMs),
    loadRuns: runs,
    dependencyCosts: deps,
  };
}
