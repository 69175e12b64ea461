'use strict';
// examples/demo-world.json is the demo account *after* the calls of the `npm start` story (alice opens SSH to the
// world on the prod cluster security group, makes the prod API endpoint public, stops the trail). The account as
// it was when eks-drift was deployed is the same world with those three calls undone: what the baseline sweep saw.

const PROD_CLUSTER_SG = 'sg-0aa1111111111111a';

function worldAtDeploy(world) {
  const w = structuredClone(world);
  const sg = w.ec2.securityGroups.find((g) => g.GroupId === PROD_CLUSTER_SG);
  sg.IpPermissions = sg.IpPermissions.filter((p) => !(p.FromPort === 22 && p.IpRanges.some((r) => r.CidrIp === '0.0.0.0/0')));
  const prod = w.eks.clusters.find((c) => c.name === 'prod');
  prod.resourcesVpcConfig = { ...prod.resourcesVpcConfig, endpointPublicAccess: false, endpointPrivateAccess: true };
  delete prod.resourcesVpcConfig.publicAccessCidrs;
  for (const status of Object.values(w.cloudtrail.trailStatus)) {
    status.IsLogging = true;
    delete status.StopLoggingTime;
    delete status.TimeLoggingStopped;
  }
  return w;
}

module.exports = { worldAtDeploy };
