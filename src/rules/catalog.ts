import type { Rule } from './rule';
import { nodesInPrivateSubnets } from './nodesInPrivateSubnets';
import { nodesNoPublicIp } from './nodesNoPublicIp';
import { nodegroupNoSshKey } from './nodegroupNoSshKey';
import { noInternetSsh } from './noInternetSsh';
import { noInternetIngress } from './noInternetIngress';
import { clusterSgRestricted } from './clusterSgRestricted';
import { naclBlocksSsh } from './naclBlocksSsh';
import { podSgIsolation } from './podSgIsolation';
import { endpointNotPublic } from './endpointNotPublic';
import { controlPlaneLogging } from './controlPlaneLogging';
import { creatorAdminRemoved } from './creatorAdminRemoved';
import { noSystemMasters } from './noSystemMasters';
import { clusterTagged } from './clusterTagged';
import { rootUserActivity } from './rootUserActivity';
import { cloudtrailEnabled } from './cloudtrailEnabled';

/** The guideline catalog, in DESIGN order. Rule ids are part of the contract. */
export const RULES: readonly Rule[] = [
  nodesInPrivateSubnets,
  nodesNoPublicIp,
  nodegroupNoSshKey,
  noInternetSsh,
  noInternetIngress,
  clusterSgRestricted,
  naclBlocksSsh,
  podSgIsolation,
  endpointNotPublic,
  controlPlaneLogging,
  creatorAdminRemoved,
  noSystemMasters,
  clusterTagged,
  rootUserActivity,
  cloudtrailEnabled,
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function getRule(id: string): Rule | undefined {
  return BY_ID.get(id);
}

export function ruleIds(): string[] {
  return RULES.map((r) => r.id);
}
