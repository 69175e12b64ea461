import { readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { InputError, formatZodError } from '../errors';
import { findingSchema, SEVERITIES } from './finding';
import { MemoryBackend, emptyMemoryState, type MemoryState } from './memoryStore';
import { BackendFindingStore } from './backendStore';
import { causeSchema, triggerSchema } from './trigger';
import { StateStore } from './stateStore';
import { CHANGE_KINDS } from './store';

const ref = z.object({ eventId: z.string(), scope: z.string() });
const findingItem = z.object({
  key: z.string(),
  status: z.enum(['open', 'resolved', 'suppressed']),
  finding: findingSchema,
  version: z.number().int(),
  since: z.string(),
  lastEventId: z.string(),
  readAt: z.string().optional(),
  pending: z.array(z.object({ change: z.enum(CHANGE_KINDS), cause: causeSchema, previousSeverity: z.enum(SEVERITIES).optional(), delivery: ref, at: z.string() })).optional(),
  suppression: z.object({ reason: z.string(), expires: z.string() }).optional(),
});

const stringList = z.array(z.string());
const indexEntry = z.object({
  cluster: z.string(),
  facts: z
    .object({
      subnetIds: stringList,
      securityGroupIds: stringList,
      launchTemplateIds: stringList,
      launchTemplateNames: stringList,
      autoScalingGroupNames: stringList,
      nodeRoleNames: stringList,
    })
    .optional(),
  gone: z.boolean().optional(),
  readAt: z.string().optional(),
  dirtyAt: z.string().optional(),
  version: z.number().int(),
});
/** A CreateCluster record as LookupEvents returns it (EventTime as an ISO string in the file). */
const creatorRecord = z.object({
  cluster: z.string(),
  event: z
    .object({
      EventId: z.string().optional(),
      EventName: z.string().optional(),
      EventSource: z.string().optional(),
      EventTime: z.coerce.date().optional(),
      Username: z.string().optional(),
      Resources: z.array(z.object({ ResourceType: z.string().optional(), ResourceName: z.string().optional() })).optional(),
      CloudTrailEvent: z.string().optional(),
    })
    .passthrough(),
});
/** A launch template version as DescribeLaunchTemplateVersions returns it (CreateTime as an ISO string in the file). */
const templateVersion = z.object({ LaunchTemplateId: z.string(), VersionNumber: z.number().int(), CreateTime: z.coerce.date().optional() }).passthrough();
/** An AWS managed policy's default version as last checked (src/findings/stateStore.ts AwsPolicyEntry). */
const awsPolicy = z.object({
  arn: z.string(),
  policy: z.object({ PolicyName: z.string().optional(), PolicyId: z.string().optional(), Arn: z.string().optional(), Path: z.string().optional(), DefaultVersionId: z.string().optional() }),
  version: z.object({ VersionId: z.string().optional(), IsDefaultVersion: z.boolean().optional(), Document: z.string().optional() }).optional(),
  checkedAt: z.string(),
});
const head = z.object({ generation: z.number().int(), indexBuiltAt: z.string().optional(), creatorsPrimedAt: z.string().optional() });

const stateSchema = z.discriminatedUnion('version', [
  z.object({
    version: z.literal(2),
    findings: z.record(z.string(), findingItem),
    markers: z.record(
      z.string(),
      ref.extend({
        status: z.enum(['pending', 'published']),
        trigger: triggerSchema,
        causes: z.array(causeSchema),
        delivered: z.array(causeSchema),
        createdAt: z.string(),
        leaseUntil: z.string(),
      }),
    ),
    scopes: z.record(
      z.string(),
      z.object({
        scope: z.string(),
        version: z.number().int(),
        rules: z.record(z.string(), z.object({ firstAt: z.string(), readAt: z.string() })),
        lease: z.object({ owner: z.string(), until: z.string() }).optional(),
      }),
    ),
    // Written since the state kept the cluster index and CreateCluster records; older files start without them.
    clusters: z.record(z.string(), indexEntry).optional(),
    creators: z.record(z.string(), creatorRecord).optional(),
    // Written since the state kept launch template versions and AWS managed policies; older files start without them.
    templateVersions: z.record(z.string(), templateVersion).optional(),
    awsPolicies: z.record(z.string(), awsPolicy).optional(),
    head: head.optional(),
  }),
  // Written before causes and the outbox: its findings carry over; its event markers and the (then unknown) rule
  // records do not, so the next evaluation of each rule is its first check.
  z.object({ version: z.literal(1), findings: z.record(z.string(), findingItem) }).passthrough(),
]);

/** Delivered event markers older than this are forgotten (a pending one is kept until it is delivered). */
const MARKER_RETENTION_MS = 14 * 24 * 3600_000;

function load(path: string): MemoryState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyMemoryState();
    throw new InputError(`cannot read state file ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`state file ${path}: not valid JSON: ${(e as Error).message}`);
  }
  const r = stateSchema.safeParse(raw);
  if (!r.success) throw new InputError(`state file ${path}: ${formatZodError(r.error)}`);
  if (r.data.version === 1) return { ...emptyMemoryState(), findings: r.data.findings as MemoryState['findings'] };
  const empty = emptyMemoryState();
  const d = r.data;
  return { findings: d.findings, markers: d.markers, scopes: d.scopes, clusters: d.clusters ?? empty.clusters, creators: d.creators ?? empty.creators, templateVersions: d.templateVersions ?? empty.templateVersions, awsPolicies: d.awsPolicies ?? empty.awsPolicies, head: d.head ?? empty.head } as MemoryState;
}

function save(path: string, s: MemoryState): void {
  const cutoff = Date.now() - MARKER_RETENTION_MS;
  const markers = Object.fromEntries(Object.entries(s.markers).filter(([, m]) => m.status === 'pending' || Date.parse(m.createdAt) >= cutoff));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, JSON.stringify({ version: 2, findings: s.findings, markers, scopes: s.scopes, clusters: s.clusters, creators: s.creators, templateVersions: s.templateVersions, awsPolicies: s.awsPolicies, head: s.head }, null, 2) + '\n');
    // rename is atomic on one file system: a crash leaves either the old or the new state, never half a file.
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`cannot write state file ${path}: ${(e as Error).message}`);
  }
}

/**
 * The CLI's `--state FILE`: findings, rule records, event markers, the cluster index, CreateCluster records, launch
 * template versions and AWS managed policies in one
 * JSON file, rewritten atomically after every change.
 * One process at a time (no file locking); a missing file is an empty state, a malformed one a clear error.
 */
export class FileFindingStore extends BackendFindingStore {
  /** The cluster index and CreateCluster records, in the same file (src/findings/stateStore.ts). */
  readonly state: StateStore;
  constructor(readonly path: string) {
    const backend = new MemoryBackend(load(path), async (s) => save(path, s));
    super(backend);
    this.state = new StateStore(backend);
  }
}
