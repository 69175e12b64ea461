import type { Addon } from '@aws-sdk/client-eks';
import type { ClusterRule } from './engine/rule';
import { RESOURCE } from './semantics/resources';
import { isTrue, vpcCniAddon, vpcCniConfiguration } from './semantics/vpcCni';

const SETTING = 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG';

/** The env value the add-on's configurationValues give the setting. */
function customNetworkSetting(addon: Addon): unknown {
  const env = vpcCniConfiguration(addon).env;
  return env && typeof env === 'object' ? (env as Record<string, unknown>)[SETTING] : undefined;
}

/**
 * The vpc-cni EKS add-on must set env AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG to "true" (custom networking: pods get
 * their own subnets and security groups through ENIConfig instead of sharing the node's). A boolean `true` is
 * accepted as well as the string. When vpc-cni is not installed as an EKS add-on the rule reports a violation:
 * a self-managed aws-node DaemonSet is not visible through the EKS API, so we cannot show the setting is on, and
 * the remediation (manage the CNI as an add-on) makes it visible.
 */
export const podSgIsolation: ClusterRule = {
  id: 'pod-sg-isolation',
  scope: 'cluster',
  title: 'Pods do not share the node security groups',
  guideline: 'Customize the AWS VPC CNI',
  severity: 'low',
  description:
    'The vpc-cni add-on does not set AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true (pods share node security groups).',
  remediation:
    'Install vpc-cni as an EKS add-on and set {"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true"}} in its configuration values (aws eks update-addon --addon-name vpc-cni --configuration-values ...), then create an ENIConfig per availability zone with the pod subnets and security groups.',
  needs: ['addons'],
  evaluate(view) {
    const name = view.name;
    const addon = vpcCniAddon(view.addons);
    if (!addon) {
      return [
        {
          resourceType: RESOURCE.cluster,
          resourceId: name,
          message: `cluster ${name} has no vpc-cni EKS add-on, so custom networking (${SETTING}) cannot be confirmed`,
          evidence: { addon: 'vpc-cni', installed: false, setting: SETTING },
        },
      ];
    }
    const value = customNetworkSetting(addon);
    if (isTrue(value)) return [];
    return [
      {
        resourceType: RESOURCE.cluster,
        resourceId: name,
        message: `vpc-cni add-on of cluster ${name} does not set ${SETTING}=true (${value === undefined ? 'unset' : `set to ${JSON.stringify(value)}`}): pods share the node security groups`,
        evidence: {
          addon: 'vpc-cni',
          addonVersion: addon.addonVersion,
          field: `configurationValues.env.${SETTING}`,
          value: value ?? null,
        },
      },
    ];
  },
};
