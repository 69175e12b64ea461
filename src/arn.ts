/** The partition of a region's ARNs: China and GovCloud regions have their own, every other region is `aws`. */
export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** An EKS cluster's ARN, for a cluster known only by name (deleted, or not yet described). */
export function clusterArnOf(name: string, account: string, region: string): string {
  return `arn:${partitionOf(region)}:eks:${region}:${account}:cluster/${name}`;
}
