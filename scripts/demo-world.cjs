'use strict';
// examples/demo-world.json is the demo account *after* the calls of the `npm start` story (alice opens SSH to the
// world on the prod cluster security group, makes the prod API endpoint public, stops the trail and turns IMDSv1 back
// on for a prod node; jdoe attaches AdministratorAccess to the role that created prod and creates a self-managed Auto
// Scaling group for prod whose launch template carries an SSH key). The account as it was when eks-drift was deployed
// is the same world with those calls undone: what the baseline sweep saw.

const PROD_CLUSTER_SG = 'sg-0aa1111111111111a';
const PROD_CREATOR_ROLE = 'eks-creator';
const PROD_SELF_MANAGED_GROUP = 'prod-self-managed';
const PROD_NODE = 'i-0aa1111111111111a';

function worldAtDeploy(world) {
  const w = structuredClone(world);
  // Recorded that morning, before the calls (the version calendar is judged as of the recording).
  w.recordedAt = '2026-11-28T08:00:00Z';
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
  const creator = w.iam.roles.find((r) => r.RoleName === PROD_CREATOR_ROLE);
  creator.attachedPolicies = creator.attachedPolicies.filter((p) => p.PolicyName !== 'AdministratorAccess');
  w.autoscaling.groups = w.autoscaling.groups.filter((g) => g.AutoScalingGroupName !== PROD_SELF_MANAGED_GROUP);
  w.ec2.instances.find((i) => i.InstanceId === PROD_NODE).MetadataOptions.HttpTokens = 'required';
  return w;
}

module.exports = { worldAtDeploy };
