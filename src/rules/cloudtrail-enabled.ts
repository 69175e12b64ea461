import type { AdvancedEventSelector } from '@aws-sdk/client-cloudtrail';
import type { TrailView } from '../inventory/view';
import type { AccountRule, Violation } from './engine/rule';
import { RESOURCE } from './semantics/resources';

/** The services whose management calls the detector watches: a selector excluding one of them blinds it. */
const WATCHED_SOURCES = ['ec2.amazonaws.com', 'eks.amazonaws.com', 'cloudtrail.amazonaws.com'];

type Coverage = { writes: true } | { writes: false; why: string } | { writes: 'unknown'; why: string };

function advancedCoverage(selectors: AdvancedEventSelector[]): Coverage {
  for (const s of selectors) {
    const fields = s.FieldSelectors ?? [];
    const category = fields.find((f) => f.Field === 'eventCategory');
    if (!category?.Equals?.includes('Management')) continue;
    const ro = fields.find((f) => f.Field === 'readOnly');
    const readsOnly = !!ro && ((ro.Equals?.includes('true') && !ro.Equals.includes('false')) || !!ro.NotEquals?.includes('false'));
    if (readsOnly) continue;
    const src = fields.find((f) => f.Field === 'eventSource');
    const excludes = WATCHED_SOURCES.filter((w) => (src?.Equals && !src.Equals.includes(w)) || src?.NotEquals?.includes(w));
    if (excludes.length > 0) return { writes: false, why: `advanced event selector "${s.Name ?? ''}" excludes ${excludes.join(', ')}` };
    return { writes: true };
  }
  return { writes: false, why: 'no advanced event selector logs management write events (eventCategory Management with readOnly not limited to true)' };
}

/** Whether the trail's selectors log management write events. Unknown when custom selectors could not be read. */
function selectorCoverage(t: TrailView): Coverage {
  const sel = t.eventSelectors;
  if (!sel) {
    // Without custom selectors a trail logs all management events (the CloudTrail default).
    return t.trail.HasCustomEventSelectors === true ? { writes: 'unknown', why: 'event selectors not read' } : { writes: true };
  }
  if (sel.AdvancedEventSelectors && sel.AdvancedEventSelectors.length > 0) return advancedCoverage(sel.AdvancedEventSelectors);
  const basic = sel.EventSelectors ?? [];
  if (basic.length === 0) return { writes: false, why: 'no event selectors: the trail logs no management events' };
  const ok = basic.some((s) => s.IncludeManagementEvents !== false && (s.ReadWriteType ?? 'All') !== 'ReadOnly');
  if (ok) return { writes: true };
  const why = basic.every((s) => s.IncludeManagementEvents === false) ? 'IncludeManagementEvents is false' : 'ReadWriteType is ReadOnly';
  return { writes: false, why: `event selectors exclude management write events (${why})` };
}

function selectorEvidence(t: TrailView): Record<string, unknown> {
  const sel = t.eventSelectors;
  if (!sel) return {};
  if (sel.AdvancedEventSelectors?.length) return { AdvancedEventSelectors: sel.AdvancedEventSelectors };
  return { EventSelectors: (sel.EventSelectors ?? []).map((s) => ({ ReadWriteType: s.ReadWriteType, IncludeManagementEvents: s.IncludeManagementEvents })) };
}

/**
 * CloudTrail must record management write events everywhere, or the detector goes blind.
 * - Per trail (resourceId = trail ARN): a multi-region trail that is stopped (GetTrailStatus IsLogging false) or whose
 *   selectors exclude management write events (EventSelectors IncludeManagementEvents false / ReadWriteType ReadOnly;
 *   AdvancedEventSelectors without a Management selector, one limited to readOnly=true, or one excluding ec2/eks/
 *   cloudtrail by eventSource).
 * - Account (resourceId = account id, resourceType AWS::::Account): no trail gives coverage (logging + multi-region +
 *   management write events) and no per-trail violation explains why (e.g. no trail at all, only single-region trails).
 * A trail whose status or custom selectors are unknown cannot give coverage; if the verdict hinges on it the rule
 * throws (not evaluated) rather than raise a possibly false account finding. A deleted trail simply disappears:
 * its per-trail finding resolves and the account finding opens when nothing else covers.
 */
export const cloudtrailEnabled: AccountRule = {
  id: 'cloudtrail-enabled',
  scope: 'account',
  title: 'CloudTrail records management write events in every region',
  guideline: 'Cloud Infrastructure Security (CloudTrail)',
  severity: 'high',
  description:
    'No logging multi-region trail with management write events, or a trail was stopped/deleted/blinded by its event selectors.',
  remediation:
    'Restart logging (aws cloudtrail start-logging --name <trail ARN>) and restore selectors that log management events (aws cloudtrail put-event-selectors --trail-name <trail> --event-selectors ReadWriteType=All,IncludeManagementEvents=true), or create a multi-region trail (aws cloudtrail create-trail --is-multi-region-trail ...).',
  evaluate(view) {
    const out: Violation[] = [];
    let covered = false;
    const unknown: string[] = [];
    for (const t of view.trails) {
      const arn = String(t.trail.TrailARN ?? t.trail.Name);
      if (t.trail.IsMultiRegionTrail !== true) continue;
      const logging = t.status?.IsLogging;
      const cov = selectorCoverage(t);
      if (logging === true && cov.writes === true) {
        covered = true;
        continue;
      }
      const problems: string[] = [];
      if (logging === false) problems.push('logging is stopped (IsLogging false)');
      if (cov.writes === false) problems.push(cov.why);
      if (problems.length === 0) {
        unknown.push(`${arn}: ${logging === undefined ? 'status not read' : 'why' in cov ? cov.why : ''}`);
        continue;
      }
      out.push({
        resourceType: RESOURCE.trail,
        resourceId: arn,
        message: `multi-region trail ${t.trail.Name ?? arn} in account ${view.account}: ${problems.join('; ')}`,
        evidence: {
          trailArn: arn,
          homeRegion: t.trail.HomeRegion,
          isMultiRegionTrail: true,
          isOrganizationTrail: t.trail.IsOrganizationTrail ?? false,
          IsLogging: logging,
          ...(t.status?.LatestDeliveryError ? { LatestDeliveryError: t.status.LatestDeliveryError } : {}),
          ...(t.status?.StopLoggingTime ? { StopLoggingTime: t.status.StopLoggingTime } : {}),
          problems,
          ...selectorEvidence(t),
        },
      });
    }
    if (covered || out.length > 0) return out;
    if (unknown.length > 0) throw new Error(`cannot tell whether CloudTrail covers the account: ${unknown.join('; ')}`);
    return [
      {
        resourceType: RESOURCE.account,
        resourceId: view.account,
        message: `account ${view.account} has no logging multi-region trail recording management write events`,
        evidence: {
          trails: view.trails.map((t) => ({ trailArn: t.trail.TrailARN, isMultiRegionTrail: t.trail.IsMultiRegionTrail ?? false, IsLogging: t.status?.IsLogging })),
        },
      },
    ];
  },
};
