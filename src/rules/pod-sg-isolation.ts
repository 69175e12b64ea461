import { load as parse } from 'js-yaml';
import type { ClusterRule } from './engine/rule';
import { RESOURCE } from './semantics/resources';

const SETTING = 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG';

/** The env value the add-on's configurationValues (JSON or YAML: the `yaml` parser reads both) give the setting. */
function customNetworkSetting(configurationValues: string | undefined): unknown {
  if (!configurationValues || configurationValues.trim() === '') return undefined;
  let doc: unknown;
  try {
    doc = parse(configurationValues);
  } catch (e) {
    // A value we cannot read must not pass: the engine reports the rule as not evaluated.
    throw new Error(`vpc-cni configurationValues is neither JSON nor YAML: ${(e as Error).message}`, { cause: e });
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const env = (doc as { env?: unknown }).env;
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
    const addon = view.addons.find((a) => a.addonName === 'vpc-cni');
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
    const value = customNetworkSetting(addon.configurationValues);
    if (value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true')) return [];
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
