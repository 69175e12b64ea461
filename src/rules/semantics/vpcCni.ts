import type { Addon } from '@aws-sdk/client-eks';
import { load as parse } from 'js-yaml';

/** The vpc-cni EKS add-on, when the cluster runs it as one. */
export function vpcCniAddon(addons: readonly Addon[]): Addon | undefined {
  return addons.find((a) => a.addonName === 'vpc-cni');
}

/**
 * The add-on's configurationValues (JSON or YAML: the YAML parser reads both) as an object; empty when unset. A value
 * that does not parse throws, so the rule reading it is not evaluated rather than passed.
 */
export function vpcCniConfiguration(addon: Addon): Record<string, unknown> {
  const text = addon.configurationValues;
  if (!text || text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`vpc-cni configurationValues is neither JSON nor YAML: ${(e as Error).message}`, { cause: e });
  }
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
}

/** `true`, or the string "true" in any case: how the add-on's schema and its users spell an enabled flag. */
export const isTrue = (v: unknown): boolean => v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
