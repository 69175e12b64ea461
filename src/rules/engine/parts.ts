import type { ClusterView, ViewPart } from '../../inventory/view';

/**
 * Thrown when a rule needs a view part that was not read (or could not be read). The engine reports the rule as
 * not evaluated — never as a pass — and the rule's stored findings stay as they are.
 */
export class PartNotLoadedError extends Error {
  constructor(
    readonly part: ViewPart,
    reason: string,
  ) {
    super(reason);
    this.name = 'PartNotLoadedError';
  }
}

/** Why `part` cannot be read from `view`, or undefined when it was loaded. */
export function partProblem(view: ClusterView, part: ViewPart): string | undefined {
  const bad = view.unreadable.find((u) => u.part === part);
  if (bad) return `${part} could not be read: ${bad.reason}`;
  if (!view.loaded.has(part)) return `${part} was not read`;
  return undefined;
}

/**
 * For a part a rule needs only in some cases (e.g. Kubernetes objects in CONFIG_MAP mode): call before reading it,
 * so an unread part is never mistaken for an empty one.
 */
export function requirePart(view: ClusterView, part: ViewPart): void {
  const problem = partProblem(view, part);
  if (problem) throw new PartNotLoadedError(part, problem);
}

/** True when the part was read successfully (for parts that only sharpen a rule, e.g. the CreateCluster record). */
export function hasPart(view: ClusterView, part: ViewPart): boolean {
  return partProblem(view, part) === undefined;
}

/**
 * For rules that read how a node group launches its nodes (managed or self-managed): a group pinning a launch
 * template version or a launch configuration that could not be found is not "a group without one" (its nodes still
 * run it), so the rule is not evaluated.
 */
export function requireLaunchTemplate(ng: { launchTemplateProblem?: string }): void {
  if (ng.launchTemplateProblem) throw new Error(ng.launchTemplateProblem);
}
