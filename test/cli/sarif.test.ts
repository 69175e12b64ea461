import { join } from 'node:path';
import type { Finding, Severity } from '../../src/findings/finding';
import { findingKey } from '../../src/findings/finding';
import { RULES } from '../../src/rules/engine/catalog';
import { sarif } from '../../src/cli/format';
import { scan } from '../../src/cli/main';

/**
 * GitHub code scanning, as its documentation describes it, reduced to what decides which alerts exist: an upload
 * holds runs; each run is one analysis of its category (`automationDetails.id`, else one default category per tool)
 * and replaces that category's previous analysis; a result is the alert of (category, ruleId, fingerprint), where the
 * fingerprint is `partialFingerprints.primaryLocationLineHash` or, when absent, the hash GitHub computes from the
 * file content at `region.startLine` (for a file not in the repository, that is the same for every result of the
 * file); alert severity is the result's `properties["security-severity"]`, else the rule's, shown as Critical above
 * 9.0, High from 7.0, Medium from 4.0, Low below.
 */
type Sarif = {
  runs: {
    tool: { driver: { name: string; rules: { id: string; properties?: Record<string, string> }[] } };
    automationDetails?: { id: string };
    results: {
      ruleId: string;
      locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine?: number } } }[];
      partialFingerprints?: Record<string, string>;
      properties?: Record<string, unknown>;
    }[];
  }[];
};
type Alert = { category: string; ruleId: string; severity: string; open: boolean; uri: string };

class CodeScanning {
  readonly alerts = new Map<string, Alert>();

  upload(doc: unknown): void {
    for (const run of (doc as Sarif).runs) {
      const id = run.automationDetails?.id ?? `${run.tool.driver.name}/`;
      const category = id.endsWith('/') ? id : id.slice(0, id.lastIndexOf('/') + 1);
      const seen = new Set<string>();
      for (const r of run.results) {
        const loc = r.locations[0].physicalLocation;
        const fingerprint = r.partialFingerprints?.primaryLocationLineHash ?? `content-of:${loc.artifactLocation.uri}:${loc.region?.startLine ?? 1}`;
        const key = `${category}|${r.ruleId}|${fingerprint}`;
        const rule = run.tool.driver.rules.find((x) => x.id === r.ruleId);
        const score = Number(r.properties?.['security-severity'] ?? rule?.properties?.['security-severity']);
        seen.add(key);
        this.alerts.set(key, { category, ruleId: r.ruleId, severity: label(score), open: true, uri: loc.artifactLocation.uri });
      }
      for (const [key, a] of this.alerts) if (a.category === category && !seen.has(key)) a.open = false;
    }
  }

  open(): Alert[] {
    return [...this.alerts.values()].filter((a) => a.open);
  }
}

function label(score: number): string {
  if (score > 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

const WORLD = join(__dirname, '../../examples/demo-world.json');
const CONFIG = join(__dirname, '../../examples/eks-drift.config.json');
const io = { out: () => undefined, err: () => undefined };
const scope = (f: Finding[]) => ({ account: f[0].account, region: f[0].region, version: '0.1.0' });
const GH_SEVERITY: Record<Severity, string> = { critical: 'critical', high: 'high', medium: 'medium', low: 'low', info: 'low' };

describe('scan --format sarif in GitHub code scanning', () => {
  let findings: Finding[];
  beforeAll(async () => {
    findings = (await scan({ world: WORLD, config: CONFIG }, io)).findings;
    expect(findings.length).toBeGreaterThan(10);
  });

  it('two runs keep one alert per finding, each with its own severity', () => {
    const gh = new CodeScanning();
    gh.upload(sarif(findings, RULES, scope(findings)));
    // The next run: other order, reworded messages and new evidence, one severity raised by configuration.
    const next = [...findings].reverse().map((f, k) => ({ ...f, message: `${f.message} (run 2)`, evidence: { ...f.evidence, seen: 2 }, severity: k === 0 ? ('critical' as const) : f.severity }));
    gh.upload(sarif(next, RULES, scope(next)));

    expect(gh.alerts.size).toBe(findings.length);
    expect(gh.open()).toHaveLength(findings.length);
    expect(gh.open().map((a) => a.severity).sort()).toEqual(next.map((f) => GH_SEVERITY[f.severity]).sort());
    expect(gh.open().filter((a) => a.severity === 'critical').length).toBe(next.filter((f) => f.severity === 'critical').length);
  });

  it('two findings of one rule on one cluster stay two alerts; a fixed one closes', () => {
    const sameRule = findings.filter((f) => f.ruleId === findings.find((g) => findings.filter((h) => h.ruleId === g.ruleId && h.cluster === g.cluster).length > 1)?.ruleId);
    expect(sameRule.length).toBeGreaterThan(1);
    const gh = new CodeScanning();
    gh.upload(sarif(sameRule, RULES, scope(sameRule)));
    expect(gh.open()).toHaveLength(sameRule.length);
    gh.upload(sarif(sameRule.slice(1), RULES, scope(sameRule)));
    expect(gh.open()).toHaveLength(sameRule.length - 1);
  });

  it('scans of two accounts for one commit do not close each other’s alerts', () => {
    const other = findings.map((f) => ({ ...f, account: '444455556666', clusterArn: f.clusterArn?.replace(f.account, '444455556666') ?? null }));
    const gh = new CodeScanning();
    gh.upload(sarif(findings, RULES, scope(findings)));
    gh.upload(sarif(other, RULES, scope(other)));
    expect(gh.open()).toHaveLength(findings.length * 2);
    expect(new Set(gh.open().map((a) => a.category))).toEqual(new Set(['eks-drift/111122223333/us-east-1/', 'eks-drift/444455556666/us-east-1/']));
  });

  it('points each result at a stable pseudo-path of its account, region, cluster and resource, line 1', () => {
    const doc = sarif(findings, RULES, scope(findings)) as Sarif;
    const byKey = new Map(doc.runs[0].results.map((r) => [r.partialFingerprints!.findingIdentity, r.locations[0].physicalLocation]));
    const sg = findings.find((f) => f.ruleId === 'no-internet-ssh')!;
    expect(byKey.get(findingKey(sg))).toEqual({ artifactLocation: { uri: `aws/${sg.account}/${sg.region}/${sg.cluster}/AWS-EC2-SecurityGroup/${sg.resourceId}` }, region: { startLine: 1 } });
    const account = findings.find((f) => f.cluster === null)!;
    expect(byKey.get(findingKey(account))!.artifactLocation.uri).toMatch(new RegExp(`^aws/${account.account}/${account.region}/_account/`));
    for (const r of doc.runs[0].results) expect(r.locations[0].physicalLocation.artifactLocation.uri).not.toMatch(/[\s]|\/\/|\.\./);
  });
});
