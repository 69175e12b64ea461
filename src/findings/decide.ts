import type { Suppression } from '../configSchema';
import { severityRank, type Finding } from './finding';
import type { Cause } from './trigger';
import type { ChangeKind, FindingStatus, MarkerRef, PendingChange, StoredFinding } from './store';

export type Change = ChangeKind | null;

export interface Desired {
  /** The violating finding, or null when the finding no longer violates. */
  finding: Finding | null;
  suppression?: Suppression;
}

export interface DecideContext {
  key: string;
  eventId: string;
  delivery: MarkerRef;
  now: Date;
  /** ISO read time of the evaluation deciding. */
  readAt: string;
  /** The cause of an opening on this finding's rule (first-check or the trigger's), and of a resolution. */
  causeOf: (change: ChangeKind) => Cause;
  /** Only the sweep opens a suppressed finding whose suppression ended (no caller did anything). */
  reopenUnsuppressed: boolean;
}

/** An outbox holds at most this many changes of one finding (it only grows while SNS refuses everything). */
export const MAX_PENDING = 8;

/**
 * Decides the write (if any) that brings `current` to `desired`, and the change it represents.
 * - written by an evaluation that read later: nothing (stale)
 * - not stored / resolved → violating: opened (or suppressed when a suppression matches: published apart)
 * - open → no longer violating: resolved
 * - suppressed → suppression gone (expired or removed) and still violating: opened, by the sweep only
 * - suppressed → no longer violating: resolved silently (it was never announced)
 * - open → a suppression now matches: suppressed (published apart, for lifecycle sinks; never paged)
 * - open, still violating with a higher severity: escalated (the entry keeps the severity it had)
 * - open, still violating with a different message/evidence, or a lower severity: stored copy updated silently
 * - suppressed, still violating: stored copy updated silently, whatever its severity (nobody was told of it)
 * An opening, escalation, resolution or suppression is written together with its outbox entry.
 */
export function decide(current: StoredFinding | undefined, desired: Desired, ctx: DecideContext): { write?: StoredFinding; change: Change; stale?: true } {
  if (current?.readAt && current.readAt > ctx.readAt) return { change: null, stale: true };
  const at = ctx.now.toISOString();
  const outbox = (announce: PendingChange | null) => (announce ? [...(current?.pending ?? []), announce].slice(-MAX_PENDING) : current?.pending);
  const keep = (extra: Partial<StoredFinding>): StoredFinding => ({ ...current!, ...extra, version: current!.version + 1, readAt: ctx.readAt });
  const next = (status: FindingStatus, finding: Finding, announce: ChangeKind | null, extra: Partial<StoredFinding> = {}): StoredFinding => {
    const pending = outbox(announce && entry(announce, ctx, at));
    return {
      key: ctx.key,
      status,
      finding,
      version: (current?.version ?? 0) + 1,
      since: at,
      lastEventId: ctx.eventId,
      readAt: ctx.readAt,
      ...(pending?.length ? { pending } : {}),
      ...extra,
    };
  };
  const { finding, suppression } = desired;
  if (!finding) {
    if (!current || current.status === 'resolved') return { change: null };
    const announced = current.status === 'open';
    return { write: next('resolved', current.finding, announced ? 'resolved' : null), change: announced ? 'resolved' : null };
  }
  if (suppression) {
    const info = { reason: suppression.reason, expires: suppression.expires };
    if (current?.status === 'suppressed') {
      if (sameFinding(current.finding, finding) && current.suppression?.expires === info.expires && current.suppression.reason === info.reason) return { change: null };
      return { write: keep({ finding, suppression: info }), change: null };
    }
    return { write: next('suppressed', finding, 'suppressed', { suppression: info }), change: 'suppressed' };
  }
  if (current?.status === 'open' || (current?.status === 'suppressed' && !ctx.reopenUnsuppressed)) {
    if (sameFinding(current.finding, finding)) return { change: null };
    if (current.status === 'open' && severityRank(finding.severity) > severityRank(current.finding.severity)) {
      const rose = { ...entry('escalated', ctx, at), previousSeverity: current.finding.severity };
      return { write: keep({ finding, pending: outbox(rose) }), change: 'escalated' };
    }
    return { write: keep({ finding }), change: null };
  }
  return { write: next('open', finding, 'opened'), change: 'opened' };
}

function entry(change: ChangeKind, ctx: DecideContext, at: string): PendingChange {
  return { change, cause: ctx.causeOf(change), delivery: ctx.delivery, at };
}

/** Key-order-insensitive: DynamoDB maps do not keep the order of their keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function sameFinding(a: Finding, b: Finding): boolean {
  return canonical(a) === canonical(b);
}
