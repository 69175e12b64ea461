import { CATALOG, type HandlerName } from './catalog';
import type { EventPattern } from './matcher';
import { CLOUDTRAIL_DETAIL_TYPE } from './schema';

const HANDLERS: HandlerName[] = ['securityGroupChanged', 'networkChanged', 'clusterChanged', 'trailChanged', 'nodesChanged', 'iamChanged'];

/**
 * One EventBridge rule pattern per Lambda function, generated from the catalog so that what is deployed routes
 * exactly the watched calls. Failed calls (`errorCode` present) never reach a function.
 */
export function eventBridgePatterns(): Record<HandlerName, EventPattern> {
  const out = {} as Record<HandlerName, EventPattern>;
  for (const handler of HANDLERS) {
    const entries = CATALOG.filter((e) => e.handler === handler);
    const sources = [...new Set(entries.map((e) => e.eventSource))];
    out[handler] = {
      source: sources.map((s) => `aws.${s.replace(/\.amazonaws\.com$/, '')}`),
      'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
      detail: {
        eventSource: sources,
        eventName: [...new Set(entries.map((e) => e.eventName))],
        errorCode: [{ exists: false }],
      },
    };
  }
  return out;
}
