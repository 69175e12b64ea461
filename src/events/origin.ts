import type { CloudTrailRecord } from './schema';
import { createdCluster as clusterCreatedBy, LIVE_SOURCE } from '../inventory/creator';

/**
 * Services whose CloudTrail records always say us-east-1 whatever region the deployment watches (their control
 * planes are global): their calls concern every region's clusters.
 */
const GLOBAL_EVENT_SOURCES: ReadonlySet<string> = new Set(['iam.amazonaws.com', 'sts.amazonaws.com', 'organizations.amazonaws.com']);

/**
 * Why a record is not this deployment's business, region-wise: a call made in another region acts on that region's
 * resources (a cluster or security group of the same name elsewhere must never be re-evaluated, nor resolved, here).
 * Undefined when the record concerns the deployment's region.
 */
export function otherRegion(record: Pick<CloudTrailRecord, 'awsRegion' | 'eventSource'>, deploymentRegion: string): string | undefined {
  if (record.awsRegion === deploymentRegion || GLOBAL_EVENT_SOURCES.has(record.eventSource)) return undefined;
  return `call made in region ${record.awsRegion}, this deployment watches ${deploymentRegion}`;
}

/**
 * The cluster this call created (eks:CreateCluster), if any: what that cluster violates at its first evaluation is
 * the caller's doing (cause `event`), not something found on a first check.
 */
export function createdCluster(record: CloudTrailRecord): string | undefined {
  return record.eventName === 'CreateCluster' ? clusterCreatedBy({ record, source: LIVE_SOURCE }) : undefined;
}
