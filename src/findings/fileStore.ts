import { readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { InputError, formatZodError } from '../errors';
import { findingSchema } from './finding';
import { MemoryBackend, emptyMemoryState, type MemoryState } from './memoryStore';
import { BackendFindingStore } from './backendStore';
import { causeSchema, triggerSchema } from './trigger';

const ref = z.object({ eventId: z.string(), scope: z.string() });
const findingItem = z.object({
  key: z.string(),
  status: z.enum(['open', 'resolved', 'suppressed']),
  finding: findingSchema,
  version: z.number().int(),
  since: z.string(),
  lastEventId: z.string(),
  readAt: z.string().optional(),
  pending: z.array(z.object({ change: z.enum(['opened', 'resolved', 'suppressed']), cause: causeSchema, delivery: ref, at: z.string() })).optional(),
  suppression: z.object({ reason: z.string(), expires: z.string() }).optional(),
});

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
  return { findings: r.data.findings, markers: r.data.markers, scopes: r.data.scopes } as MemoryState;
}

function save(path: string, s: MemoryState): void {
  const cutoff = Date.now() - MARKER_RETENTION_MS;
  const markers = Object.fromEntries(Object.entries(s.markers).filter(([, m]) => m.status === 'pending' || Date.parse(m.createdAt) >= cutoff));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, JSON.stringify({ version: 2, findings: s.findings, markers, scopes: s.scopes }, null, 2) + '\n');
    // rename is atomic on one file system: a crash leaves either the old or the new state, never half a file.
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`cannot write state file ${path}: ${(e as Error).message}`);
  }
}

/**
 * The CLI's `--state FILE`: findings, rule records and event markers in one JSON file, rewritten atomically after every change.
 * One process at a time (no file locking); a missing file is an empty state, a malformed one a clear error.
 */
export class FileFindingStore extends BackendFindingStore {
  constructor(readonly path: string) {
    super(new MemoryBackend(load(path), async (s) => save(path, s)));
  }
}
