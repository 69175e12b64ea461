import { readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { InputError, formatZodError } from '../errors';
import { findingSchema } from './finding';
import { MemoryBackend, type MemoryState } from './memoryStore';
import { BackendFindingStore } from './store';

const stateSchema = z.object({
  version: z.literal(1),
  findings: z.record(
    z.string(),
    z.object({
      key: z.string(),
      status: z.enum(['open', 'resolved', 'suppressed']),
      finding: findingSchema,
      version: z.number().int(),
      since: z.string(),
      lastEventId: z.string(),
      announced: z.boolean().optional(),
      suppression: z.object({ reason: z.string(), expires: z.string() }).optional(),
    }),
  ),
  markers: z.record(
    z.string(),
    z.object({
      eventId: z.string(),
      scope: z.string(),
      status: z.enum(['pending', 'published']),
      changes: z.object({ opened: z.array(findingSchema), resolved: z.array(findingSchema) }),
      createdAt: z.string(),
      leaseUntil: z.string(),
    }),
  ),
});

/** Event markers older than this are forgotten (the findings themselves already make a late redelivery harmless). */
const MARKER_RETENTION_MS = 14 * 24 * 3600_000;

function load(path: string): MemoryState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { findings: {}, markers: {} };
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
  return { findings: r.data.findings, markers: r.data.markers } as MemoryState;
}

function save(path: string, s: MemoryState): void {
  const cutoff = Date.now() - MARKER_RETENTION_MS;
  const markers = Object.fromEntries(Object.entries(s.markers).filter(([, m]) => Date.parse(m.createdAt) >= cutoff));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, JSON.stringify({ version: 1, findings: s.findings, markers }, null, 2) + '\n');
    // rename is atomic on one file system: a crash leaves either the old or the new state, never half a file.
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`cannot write state file ${path}: ${(e as Error).message}`);
  }
}

/**
 * The CLI's `--state FILE`: findings and event markers in one JSON file, rewritten atomically after every change.
 * One process at a time (no file locking); a missing file is an empty state, a malformed one a clear error.
 */
export class FileFindingStore extends BackendFindingStore {
  constructor(readonly path: string) {
    super(new MemoryBackend(load(path), async (s) => save(path, s)));
  }
}
