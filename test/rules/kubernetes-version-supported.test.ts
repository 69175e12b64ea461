import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { CLUSTER_VERSIONS, calendarEntry, check, clusterView, config, type ViewOverrides } from './fixtures';

const RULE = 'kubernetes-version-supported';
const DAY = 86_400_000;
/** A calendar entry for 1.32 whose standard support ends at `standardEnd` and extended support at `extendedEnd`. */
const v132 = (standardEnd: string, extendedEnd = '2027-03-23') => [calendarEntry('1.32', standardEnd, extendedEnd), calendarEntry('1.35', '2027-03-27', '2028-03-27')];
const at = (iso: string, offsetDays = 0) => new Date(Date.parse(`${iso}T00:00:00Z`) + offsetDays * DAY);
const run = (o: ViewOverrides & { version?: string }, cfg = config()) => check(RULE, clusterView({ ...o, cluster: { version: o.version ?? '1.35', ...o.cluster } }), cfg);

describe('kubernetes-version-supported', () => {
  describe('by DescribeClusterVersions, at the view\'s moment', () => {
    it('fires one day past the end of standard support (medium), not one day before', () => {
      const [f] = run({ version: '1.32', clusterVersions: v132('2026-03-23'), asOf: at('2026-03-23', 1) });
      expect(f).toMatchObject({ ruleId: RULE, severity: 'medium', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
      expect(f.message).toBe('cluster demo runs Kubernetes 1.32, out of standard support since 2026-03-23 (extended support ends 2027-03-23)');
      expect(f.evidence).toMatchObject({ version: '1.32', support: 'extended', decidedBy: 'DescribeClusterVersions', endOfStandardSupportDate: '2026-03-23', endOfExtendedSupportDate: '2027-03-23' });
      expect(run({ version: '1.32', clusterVersions: v132('2026-03-23'), asOf: at('2026-03-23', -1) })).toEqual([]);
    });

    it('is high past the end of extended support, and says so', () => {
      const [f] = run({ version: '1.32', clusterVersions: v132('2026-03-23', '2027-03-23'), asOf: at('2027-03-23', 1) });
      expect(f).toMatchObject({ severity: 'high', evidence: { support: 'ended', decidedBy: 'DescribeClusterVersions' } });
      expect(f.message).toBe('cluster demo runs Kubernetes 1.32, past the end of extended support (2027-03-23)');
    });

    it('judges the moment of the view, not the status read earlier: a status only ever moves on', () => {
      // Read while 1.32 was in standard support, judged after its date: the date wins.
      const read = [{ ...calendarEntry('1.32', '2026-03-23', '2027-03-23'), versionStatus: 'STANDARD_SUPPORT' as const }];
      expect(run({ version: '1.32', clusterVersions: read, asOf: at('2026-04-01') })[0].evidence).toMatchObject({ support: 'extended' });
      // A status already further than the dates say (EKS ended support early): the status wins.
      const ended = [{ ...calendarEntry('1.32', '2026-03-23', '2027-03-23'), versionStatus: 'UNSUPPORTED' as const }];
      expect(run({ version: '1.32', clusterVersions: ended, asOf: at('2026-04-01') })[0]).toMatchObject({ severity: 'high', evidence: { support: 'ended', versionStatus: 'UNSUPPORTED' } });
    });

    it('reads the status alone when the calendar gives no dates (the deprecated lower-case `status` too)', () => {
      expect(run({ version: '1.33', clusterVersions: [calendarEntry('1.33', undefined, undefined, 'EXTENDED_SUPPORT')] })[0].evidence).toMatchObject({ support: 'extended' });
      expect(run({ version: '1.33', clusterVersions: [{ clusterVersion: '1.33', status: 'unsupported' }] })[0]).toMatchObject({ severity: 'high' });
      expect(run({ version: '1.35', clusterVersions: [calendarEntry('1.35', undefined, undefined, 'STANDARD_SUPPORT')] })).toEqual([]);
    });

    it('a version EKS no longer lists, older than every listed one, is past extended support', () => {
      const [f] = run({ version: '1.31' });
      expect(f).toMatchObject({ severity: 'high', message: 'cluster demo runs Kubernetes 1.31, past the end of extended support' });
      expect(f.evidence).toMatchObject({ support: 'ended', basis: 'DescribeClusterVersions no longer lists 1.31: the oldest version it lists is 1.32' });
    });

    it('an unlisted version is at least as far along as a newer listed one', () => {
      const calendar = [calendarEntry('1.30', '2025-07-23', '2026-07-23'), calendarEntry('1.32', '2026-03-23', '2027-03-23')];
      const [f] = run({ version: '1.31', clusterVersions: calendar, asOf: at('2026-06-01') });
      expect(f.evidence).toMatchObject({ support: 'extended', basis: 'DescribeClusterVersions does not list 1.31, and 1.32, a newer version, is out of standard support' });
    });

    it('compares versions as numbers (1.100 is newer than 1.35) and ignores other cluster types', () => {
      const calendar = [...CLUSTER_VERSIONS, { ...calendarEntry('1.36', '2020-01-01', '2020-06-01'), clusterType: 'eks-local-outposts' }];
      expect(run({ version: '1.35', clusterVersions: calendar })).toEqual([]);
      // 1.100 is newer than anything listed: the calendar does not decide it, the minimum does (and accepts it).
      expect(run({ version: '1.100' })).toEqual([]);
    });

    it('says when an upgrade is under way and what EKS does at the end of support', () => {
      const [f] = run({ version: '1.33', cluster: { status: 'UPDATING', upgradePolicy: { supportType: 'STANDARD' }, platformVersion: 'eks.12' } });
      expect(f.evidence).toMatchObject({ clusterStatus: 'UPDATING', supportType: 'STANDARD', platformVersion: 'eks.12' });
    });
  });

  describe('the configured minimum, when the calendar cannot decide', () => {
    it('decides when DescribeClusterVersions could not be read, naming why', () => {
      const unreadable = { unreadable: [{ part: 'clusterVersions' as const, reason: 'eks:DescribeClusterVersions failed: AccessDeniedException: not authorized' }] };
      const [f] = run({ version: '1.34', ...unreadable });
      expect(f).toMatchObject({ severity: 'medium', message: 'cluster demo runs Kubernetes 1.34, older than the configured minimum 1.35' });
      expect(f.evidence).toMatchObject({ decidedBy: 'config minimumKubernetesVersion', minimumKubernetesVersion: '1.35', calendarUnavailable: expect.stringContaining('AccessDeniedException') });
      expect(run({ version: '1.35', ...unreadable })).toEqual([]);
      expect(run({ version: '1.33', ...unreadable }, config({ minimumKubernetesVersion: '1.33' }))).toEqual([]);
    });

    it('decides when the calendar was not read at all, or lists nothing for EKS', () => {
      expect(run({ version: '1.32', loaded: ['nodegroups'] })[0].evidence).toMatchObject({ decidedBy: 'config minimumKubernetesVersion', calendarUnavailable: 'clusterVersions was not read' });
      expect(run({ version: '1.32', clusterVersions: [] })[0].evidence).toMatchObject({ calendarUnavailable: 'DescribeClusterVersions lists no EKS version' });
    });

    it('refuses a minimum that is not a Kubernetes minor version', () => {
      expect(() => config({ minimumKubernetesVersion: '1.35.2' })).toThrow(/minimumKubernetesVersion: must be a Kubernetes minor version such as "1.35"/);
      expect(() => config({ minimumKubernetesVersion: 'v1.35' })).toThrow(/minimumKubernetesVersion/);
    });
  });

  it('is not evaluated, never passed, when the cluster reports no version it can read', () => {
    for (const version of [undefined, 'latest']) {
      const r = evaluateCluster(clusterView({ cluster: { version } }), config(), [RULE]);
      expect(r.findings).toEqual([]);
      expect(r.evaluatedRuleIds).toEqual([]);
      expect(r.notEvaluated).toEqual([expect.objectContaining({ ruleId: RULE, reason: expect.stringMatching(/^cluster demo reports no Kubernetes version/) })]);
    }
  });

  it('passes the versions in standard support at the view\'s moment (1.34 on its last day)', () => {
    expect(run({ version: '1.35' })).toEqual([]);
    expect(run({ version: '1.34' })).toEqual([]);
    expect(run({ version: '1.34', asOf: at('2026-12-02') })[0].evidence).toMatchObject({ support: 'extended' });
  });
});
