import type { ClusterRule } from './engine/rule';
import { cidrsVerdict, culprits } from './semantics/internet';
import { cidrSetsOf, withinAny } from './semantics/net';
import { RESOURCE } from './semantics/resources';

/**
 * The Kubernetes API endpoint must not be open to the internet: endpointPublicAccess true with publicAccessCidrs that
 * add up to the internet (0.0.0.0/0, 0.0.0.0/1 + 128.0.0.0/1, a public block wider than `internetPrefix`; see
 * semantics/internet.ts). A public endpoint with no publicAccessCidrs is treated as 0.0.0.0/0, the EKS default. When `config.allowedPublicEndpointCidrs` is non-empty, public CIDRs outside that allow-list are reported
 * too; with an empty allow-list, narrower CIDRs are accepted. Public access off is compliant whatever the CIDRs say.
 */
export const endpointNotPublic: ClusterRule = {
  id: 'endpoint-not-public',
  scope: 'cluster',
  title: 'API endpoint is not open to the internet',
  guideline: 'private Kubernetes API endpoint',
  severity: 'high',
  description: 'endpointPublicAccess with publicAccessCidrs containing 0.0.0.0/0 (or CIDRs that add up to the internet).',
  remediation:
    'Turn on the private endpoint and turn off public access (aws eks update-cluster-config --name <cluster> --resources-vpc-config endpointPrivateAccess=true,endpointPublicAccess=false), or at least restrict publicAccessCidrs to your admin CIDRs.',
  needs: [],
  evaluate(view, config) {
    const vpc = view.cluster.resourcesVpcConfig ?? {};
    if (vpc.endpointPublicAccess !== true) return [];
    const cidrs = vpc.publicAccessCidrs && vpc.publicAccessCidrs.length > 0 ? vpc.publicAccessCidrs : ['0.0.0.0/0'];
    const verdict = cidrsVerdict(cidrs, config.internetPrefix);
    const internet = verdict ? culprits(cidrs, cidrSetsOf, config.internetPrefix).culprits : [];
    const allowList = config.allowedPublicEndpointCidrs;
    const outside = allowList.length > 0 ? cidrs.filter((c) => !internet.includes(c) && !withinAny(c, allowList)) : [];
    if (internet.length === 0 && outside.length === 0) return [];
    const offending = [...internet, ...outside];
    return [
      {
        resourceType: RESOURCE.cluster,
        resourceId: view.name,
        message: `API endpoint of cluster ${view.name} is public to ${offending.join(', ')}${internet.length === 0 ? ' (outside allowedPublicEndpointCidrs)' : ''}`,
        evidence: {
          field: 'resourcesVpcConfig',
          endpointPublicAccess: true,
          endpointPrivateAccess: vpc.endpointPrivateAccess ?? false,
          publicAccessCidrs: vpc.publicAccessCidrs ?? [],
          offendingCidrs: offending,
          ...(verdict ? { internet: verdict } : {}),
          ...(allowList.length > 0 ? { allowedPublicEndpointCidrs: allowList } : {}),
        },
      },
    ];
  },
};
