import type { ClusterVersionInformation } from '@aws-sdk/client-eks';
import { answering, type AwsReader } from './reader';

export interface ClusterVersionsCacheOptions {
  /** How long a read calendar is used before it is read again. */
  freshMs?: number;
  /** How old a read calendar may be and still stand in for a read that fails. */
  staleMs?: number;
  /** How long a failed read is the answer (the clusters of one sweep do not each ask again). */
  failedMs?: number;
  now?: () => number;
}

const MINUTE = 60_000;
export const CLUSTER_VERSIONS_CACHE = { freshMs: 60 * MINUTE, staleMs: 24 * 60 * MINUTE, failedMs: MINUTE } as const;

/**
 * A reader whose DescribeClusterVersions is read once and kept, for one long-lived process (a Lambda container, a CLI
 * run): the calendar is the same for every cluster of the account and region, and changes a few times a year. The
 * rule compares its dates with each evaluation's own moment, so a calendar an hour old still sees the day a version
 * leaves support; after `freshMs` it is read again (a new version, a moved date). A failed read is the answer for
 * `failedMs` (a sweep under AccessDenied asks once, not once per cluster), unless a calendar read less than `staleMs`
 * ago can stand in: a throttled refresh then keeps the calendar's verdicts instead of falling back to the configured
 * minimum version and back.
 */
export function withClusterVersionsCache(reader: AwsReader, o: ClusterVersionsCacheOptions = {}): AwsReader {
  const { freshMs, staleMs, failedMs } = { ...CLUSTER_VERSIONS_CACHE, ...o };
  const now = o.now ?? Date.now;
  let read: { at: number; versions: ClusterVersionInformation[] } | undefined;
  let failed: { at: number; error: unknown } | undefined;
  let pending: Promise<ClusterVersionInformation[]> | undefined;

  const stale = () => (read && now() - read.at < staleMs ? read.versions : undefined);
  const describeClusterVersions = (): Promise<ClusterVersionInformation[]> => {
    if (read && now() - read.at < freshMs) return Promise.resolve(read.versions);
    if (failed && now() - failed.at < failedMs) {
      const standIn = stale();
      return standIn ? Promise.resolve(standIn) : Promise.reject(failed.error);
    }
    pending ??= reader
      .describeClusterVersions()
      .then(
        (versions) => {
          read = { at: now(), versions };
          failed = undefined;
          return versions;
        },
        (error: unknown) => {
          failed = { at: now(), error };
          const standIn = stale();
          if (standIn) return standIn;
          throw error;
        },
      )
      .finally(() => (pending = undefined));
    return pending;
  };

  return answering(reader, { describeClusterVersions });
}
