import type { Config } from '../configSchema';
import type { ClusterView } from '../inventory/view';
import type { ClusterRule, Violation } from './engine/rule';
import { partProblem } from './engine/parts';
import { calendarFacts, calendarVerdict, compareVersions, parseVersion, type CalendarDates, type Support } from './semantics/kubernetesVersions';
import { RESOURCE } from './semantics/resources';

/** The source of a verdict, named in the evidence. */
const CALENDAR = 'DescribeClusterVersions';
const MINIMUM = 'config minimumKubernetesVersion';

function message(name: string, version: string, support: Exclude<Support, 'standard'>, dates: Partial<CalendarDates>): string {
  const { endOfStandardSupportDate: standardEnd, endOfExtendedSupportDate: extendedEnd } = dates;
  if (support === 'ended') return `cluster ${name} runs Kubernetes ${version}, past the end of extended support${extendedEnd ? ` (${extendedEnd})` : ''}`;
  return `cluster ${name} runs Kubernetes ${version}, out of standard support${standardEnd ? ` since ${standardEnd}` : ''}${extendedEnd ? ` (extended support ends ${extendedEnd})` : ''}`;
}

/** What every finding says of the cluster: how EKS will treat it at the end of support, and whether an upgrade is under way. */
function clusterFacts(view: ClusterView): Record<string, unknown> {
  return {
    field: 'version',
    version: view.cluster.version,
    platformVersion: view.cluster.platformVersion ?? null,
    // STANDARD: EKS upgrades the cluster when standard support ends; EXTENDED (the default): it stays, billed extra.
    supportType: view.cluster.upgradePolicy?.supportType ?? null,
    ...(view.cluster.status && view.cluster.status !== 'ACTIVE' ? { clusterStatus: view.cluster.status } : {}),
  };
}

function byCalendar(view: ClusterView, version: string): Violation[] | string {
  const problem = partProblem(view, 'clusterVersions');
  if (problem) return problem;
  const verdict = calendarVerdict(version, view.clusterVersions, view.asOf);
  if (verdict.support === undefined) return verdict.why;
  if (verdict.support === 'standard') return [];
  const facts = calendarFacts(verdict.listed);
  return [
    {
      resourceType: RESOURCE.cluster,
      resourceId: view.name,
      message: message(view.name, version, verdict.support, facts),
      evidence: { ...clusterFacts(view), support: verdict.support, decidedBy: CALENDAR, basis: verdict.basis, ...facts },
      ...(verdict.support === 'ended' ? { severity: 'high' as const } : {}),
    },
  ];
}

function byMinimum(view: ClusterView, version: string, config: Config, calendarSilent: string): Violation[] {
  const minimum = config.minimumKubernetesVersion;
  if (compareVersions(version, minimum) >= 0) return [];
  return [
    {
      resourceType: RESOURCE.cluster,
      resourceId: view.name,
      message: `cluster ${view.name} runs Kubernetes ${version}, older than the configured minimum ${minimum}`,
      evidence: { ...clusterFacts(view), support: 'below minimum', decidedBy: MINIMUM, minimumKubernetesVersion: minimum, calendarUnavailable: calendarSilent },
    },
  ];
}

/**
 * The cluster's Kubernetes version must be in standard support at the evaluation's moment (`view.asOf`, so the sweep
 * catches the calendar). EKS's own calendar decides (DescribeClusterVersions: end-of-support dates, status); past the
 * end of extended support the finding is high. When the calendar cannot be read, or does not decide the version, the
 * configured minimum version does, and the evidence names which source decided. A cluster reporting no version is
 * not evaluated.
 */
export const kubernetesVersionSupported: ClusterRule = {
  id: 'kubernetes-version-supported',
  scope: 'cluster',
  title: 'Kubernetes version is in standard support',
  guideline: 'Beyond the guide: supported Kubernetes versions',
  severity: 'medium',
  description: "The cluster's Kubernetes version is out of EKS standard support (high past the end of extended support) by DescribeClusterVersions, or older than minimumKubernetesVersion when that calendar cannot decide.",
  remediation:
    'Upgrade the control plane one minor version at a time (aws eks update-cluster-version --name <cluster> --kubernetes-version <next>), then the node groups and add-ons; aws eks describe-cluster-versions lists each version\'s end-of-support dates.',
  needs: [],
  mayNeed: ['clusterVersions'],
  evaluate(view, config) {
    const version = view.cluster.version;
    if (!version || !parseVersion(version)) throw new Error(`cluster ${view.name} reports no Kubernetes version${version ? ` this rule can read ("${version}")` : ''}`);
    const decided = byCalendar(view, version);
    return typeof decided === 'string' ? byMinimum(view, version, config, decided) : decided;
  },
};
