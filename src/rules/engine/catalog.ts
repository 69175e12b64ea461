import type { Rule } from './rule';
import { nodesInPrivateSubnets } from '../nodes-in-private-subnets';
import { nodesNoPublicIp } from '../nodes-no-public-ip';
import { nodegroupNoSshKey } from '../nodegroup-no-ssh-key';
import { noInternetSsh } from '../no-internet-ssh';
import { noInternetIngress } from '../no-internet-ingress';
import { clusterSgRestricted } from '../cluster-sg-restricted';
import { naclBlocksSsh } from '../nacl-blocks-ssh';
import { podSgIsolation } from '../pod-sg-isolation';
import { endpointNotPublic } from '../endpoint-not-public';
import { controlPlaneLogging } from '../control-plane-logging';
import { creatorAdminRemoved } from '../creator-admin-removed';
import { noSystemMasters } from '../no-system-masters';
import { clusterTagged } from '../cluster-tagged';
import { rootUserActivity } from '../root-user-activity';
import { cloudtrailEnabled } from '../cloudtrail-enabled';
import { creatorRoleDedicated } from '../creator-role-dedicated';
import { sshEgressBlocked } from '../ssh-egress-blocked';
import { nodesSsmManaged } from '../nodes-ssm-managed';
import { nodeImdsRestricted } from '../node-imds-restricted';
import { kubernetesVersionSupported } from '../kubernetes-version-supported';
import { secretsEncrypted } from '../secrets-encrypted';

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
  creatorRoleDedicated,
  sshEgressBlocked,
  nodesSsmManaged,
  nodeImdsRestricted,
  kubernetesVersionSupported,
  secretsEncrypted,
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function getRule(id: string): Rule | undefined {
  return BY_ID.get(id);
}

export function ruleIds(): string[] {
  return RULES.map((r) => r.id);
}
