import type { PrefixListView } from '../../inventory/view';

/**
 * The CIDRs of a managed prefix list, for rules that judge what a security group or route admits. AWS-managed lists
 * (e.g. com.amazonaws.global.cloudfront.origin-facing) are expanded like any other: never assumed private. A list that
 * could not be read throws, so the rule reading it is not evaluated rather than passed.
 */
export function prefixListCidrs(lists: readonly PrefixListView[], id: string, referencedBy: string): { cidrs: string[]; name?: string } {
  const pl = lists.find((l) => l.prefixListId === id);
  if (!pl) throw new Error(`prefix list ${id} referenced by ${referencedBy} was not read`);
  if (pl.unreadable) throw new Error(`prefix list ${id} referenced by ${referencedBy} could not be read: ${pl.unreadable}`);
  return { cidrs: pl.entries.map((e) => e.Cidr).filter((c): c is string => !!c), name: pl.prefixList?.PrefixListName };
}

/** Evidence for the prefix lists a finding relies on: id, name and entries. */
export function prefixListEvidence(lists: readonly PrefixListView[], ids: Iterable<string>): { prefixListId: string; prefixListName?: string; entries: string[] }[] {
  return [...new Set(ids)].map((id) => {
    const pl = lists.find((l) => l.prefixListId === id);
    return { prefixListId: id, prefixListName: pl?.prefixList?.PrefixListName, entries: (pl?.entries ?? []).map((e) => e.Cidr ?? '') };
  });
}
