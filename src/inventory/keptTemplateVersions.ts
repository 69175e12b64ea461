import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { answering, type AwsReader } from './reader';
import type { KeptTemplateVersion } from '../findings/stateStore';

/** Where versions are kept: the state store (the table in Lambda, the CLI's state file), remembered per process. */
export interface TemplateVersionKeeper {
  templateVersion(templateId: string, version: number): Promise<LaunchTemplateVersion | undefined>;
  keepTemplateVersion(v: KeptTemplateVersion): Promise<void>;
}

const NUMBER = /^[1-9]\d*$/;

/**
 * A reader that answers DescribeLaunchTemplateVersions of numbered versions of a template named by id from the store:
 * EC2 never changes a version once created and never gives its number to another, so what it said of `lt-…` version
 * N stays true (a deleted version is what the nodes launched from it still run). The versions not kept are asked in
 * one call and kept. `$Default` and `$Latest` (which version they are changes), and a template named only by name (a
 * name can pass to a new template), are asked every time. The default flag of a kept version is not kept.
 */
export function withKeptTemplateVersions(reader: AwsReader, keeper: TemplateVersionKeeper): AwsReader {
  const describeLaunchTemplateVersions: AwsReader['describeLaunchTemplateVersions'] = async (q) => {
    const id = q.launchTemplateId;
    if (!id || !q.versions.length || !q.versions.every((v) => NUMBER.test(v))) return reader.describeLaunchTemplateVersions(q);
    const kept = await Promise.all(q.versions.map((v) => keeper.templateVersion(id, Number(v))));
    const missing = q.versions.filter((_, i) => !kept[i]);
    const live = missing.length ? await reader.describeLaunchTemplateVersions({ launchTemplateId: id, versions: missing }) : [];
    await Promise.all(
      live.map(({ DefaultVersion: _changes, ...v }) => (v.LaunchTemplateId === id && v.VersionNumber !== undefined ? keeper.keepTemplateVersion({ ...v, LaunchTemplateId: id, VersionNumber: v.VersionNumber }) : undefined)),
    );
    return [...kept.filter((v): v is LaunchTemplateVersion => !!v), ...live];
  };
  return answering(reader, { describeLaunchTemplateVersions });
}
