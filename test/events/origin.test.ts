import { createdCluster, otherRegion } from '../../src/events/origin';
import { parseEvent } from '../../src/events/schema';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('otherRegion: a deployment watches its own region', () => {
  it.each([
    ['ec2.amazonaws.com', 'us-east-1', 'eu-west-1', 'call made in region us-east-1, this deployment watches eu-west-1'],
    ['eks.amazonaws.com', 'eu-central-1', 'eu-west-1', 'call made in region eu-central-1, this deployment watches eu-west-1'],
    ['ec2.amazonaws.com', 'eu-west-1', 'eu-west-1', undefined],
    // Global services always say us-east-1: their calls concern every region's clusters.
    ['iam.amazonaws.com', 'us-east-1', 'eu-west-1', undefined],
    ['sts.amazonaws.com', 'us-east-1', 'ap-southeast-2', undefined],
    ['organizations.amazonaws.com', 'us-east-1', 'eu-west-1', undefined],
  ])('%s in %s seen by a %s deployment', (eventSource, awsRegion, deployment, reason) => {
    expect(otherRegion({ eventSource, awsRegion }, deployment)).toBe(reason);
  });
});

describe('createdCluster', () => {
  const record = (file: string) => {
    const p = parseEvent(JSON.parse(readFileSync(join(__dirname, '../../events', file), 'utf8')));
    if (p.kind !== 'ok') throw new Error(p.reason);
    return p.record;
  };
  it('names the cluster an eks:CreateCluster call created, and nothing for other calls', () => {
    expect(createdCluster(record('eks-CreateCluster.json'))).toBe('payments');
    expect(createdCluster(record('eks-UpdateClusterConfig-public-endpoint.json'))).toBeUndefined();
    // ECS has a CreateCluster too.
    expect(createdCluster({ ...record('eks-CreateCluster.json'), eventSource: 'ecs.amazonaws.com' })).toBeUndefined();
  });
});
