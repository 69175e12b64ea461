import type { ClusterVersionInformation } from '@aws-sdk/client-eks';

/** Where a Kubernetes minor version stands on EKS's support calendar. */
export type Support = 'standard' | 'extended' | 'ended';

const RANK: Record<Support, number> = { standard: 0, extended: 1, ended: 2 };

/** Support only ever runs out: of two readings of one version, the later stage is the true one. */
function later(a: Support | undefined, b: Support | undefined): Support | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return RANK[a] >= RANK[b] ? a : b;
}

/** "1.31" (DescribeCluster's `version`, DescribeClusterVersions' `clusterVersion`) as [major, minor]; undefined otherwise. */
export function parseVersion(v: string | undefined): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(v?.trim() ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Negative when `a` is older than `b`. Both must parse. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a)!, parseVersion(b)!];
  return x[0] - y[0] || x[1] - y[1];
}

const day = (d: Date | undefined): string | undefined => d?.toISOString().slice(0, 10);

/** `versionStatus`, else the deprecated `status` (lower-case, hyphenated), as a stage. */
function byStatus(v: ClusterVersionInformation): Support | undefined {
  const s = (v.versionStatus ?? v.status ?? '').toUpperCase().replace(/-/g, '_');
  return s === 'UNSUPPORTED' ? 'ended' : s === 'EXTENDED_SUPPORT' ? 'extended' : s === 'STANDARD_SUPPORT' ? 'standard' : undefined;
}

/** The stage the end-of-support dates put the version in at `at` (each date is the first instant without that support). */
function byDates(v: ClusterVersionInformation, at: Date): Support | undefined {
  const t = at.getTime();
  if (v.endOfExtendedSupportDate && t >= v.endOfExtendedSupportDate.getTime()) return 'ended';
  if (v.endOfStandardSupportDate) return t >= v.endOfStandardSupportDate.getTime() ? 'extended' : 'standard';
  return undefined;
}

/**
 * The version's stage at `at`: its dates at that moment, or its status when it was read (a status is as of the read,
 * and a version only moves on, so the later of the two stages is right whenever both are known).
 */
function supportAt(v: ClusterVersionInformation, at: Date): Support | undefined {
  return later(byDates(v, at), byStatus(v));
}

/** What the calendar says of one version, with what it was read from (for the evidence). */
type CalendarVerdict = { support: Support; basis: string; listed?: ClusterVersionInformation } | { support?: undefined; why: string };

/** A calendar entry as the evidence shows it: dates as days, the status as EKS wrote it. */
export interface CalendarDates {
  endOfStandardSupportDate: string | null;
  endOfExtendedSupportDate: string | null;
  versionStatus: string | null;
}

/** The entry's dates and status (nothing for a version decided without an entry of its own). */
export function calendarFacts(v: ClusterVersionInformation | undefined): Partial<CalendarDates> {
  if (!v) return {};
  return {
    endOfStandardSupportDate: day(v.endOfStandardSupportDate) ?? null,
    endOfExtendedSupportDate: day(v.endOfExtendedSupportDate) ?? null,
    versionStatus: v.versionStatus ?? v.status ?? null,
  };
}

/**
 * Where `version` stands at `at` by DescribeClusterVersions. A version the calendar lists is judged on its own entry.
 * One it does not list is judged by the versions around it: older than every listed version, EKS has dropped it (its
 * extended support is over); otherwise it is at least as far along as any newer listed version (a minor version's
 * support never outlasts a newer one's). Only entries of the `eks` cluster type (or of none) count.
 */
export function calendarVerdict(version: string, calendar: readonly ClusterVersionInformation[], at: Date): CalendarVerdict {
  const eks = calendar.filter((v) => parseVersion(v.clusterVersion) && (v.clusterType === undefined || v.clusterType.toLowerCase() === 'eks'));
  if (!eks.length) return { why: 'DescribeClusterVersions lists no EKS version' };
  const listed = eks.find((v) => compareVersions(v.clusterVersion!, version) === 0);
  if (listed) {
    const support = supportAt(listed, at);
    return support ? { support, listed, basis: `DescribeClusterVersions lists ${version}` } : { why: `DescribeClusterVersions lists ${version} with neither end-of-support dates nor a status` };
  }
  const oldest = eks.reduce((a, b) => (compareVersions(b.clusterVersion!, a.clusterVersion!) < 0 ? b : a));
  if (compareVersions(version, oldest.clusterVersion!) < 0) return { support: 'ended', basis: `DescribeClusterVersions no longer lists ${version}: the oldest version it lists is ${oldest.clusterVersion}` };
  let ahead: { v: ClusterVersionInformation; support: Support } | undefined;
  for (const v of eks.filter((x) => compareVersions(x.clusterVersion!, version) > 0)) {
    const support = supportAt(v, at);
    if (support && (!ahead || RANK[support] > RANK[ahead.support])) ahead = { v, support };
  }
  if (ahead && ahead.support !== 'standard') {
    return { support: ahead.support, basis: `DescribeClusterVersions does not list ${version}, and ${ahead.v.clusterVersion}, a newer version, is ${ahead.support === 'ended' ? 'past its extended support' : 'out of standard support'}` };
  }
  return { why: `DescribeClusterVersions does not list ${version}` };
}
