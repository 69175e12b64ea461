import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import { encodeDelivery } from '../../src/audit/delivery';
import { parseConfig } from '../../src/config';
import { MemoryFindingStore } from '../../src/findings/memoryStore';
import type { AwsReader } from '../../src/inventory/reader';
import { loadWorld, type World } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import { MemoryLogger } from '../../src/log';
import type { PipelineDeps } from '../../src/pipeline';
import type { SnsNotification } from '../../src/notify/message';

const root = join(__dirname, '../..');
export const AUDIT_DIR = join(root, 'events/audit');

/** The deliveries in events/audit (what Lambda receives), by file name. */
export function auditSampleFiles(): string[] {
  return readdirSync(AUDIT_DIR).filter((f) => f.endsWith('.json')).sort();
}

export function loadAuditSample(file: string): unknown {
  return JSON.parse(readFileSync(join(AUDIT_DIR, file), 'utf8'));
}

/** The readable source of a generated delivery (events/audit/decoded/<name>.json), with messages as written. */
export function decodedSource(name: string): CloudWatchLogsDecodedData {
  const src = JSON.parse(readFileSync(join(AUDIT_DIR, 'decoded', `${name}.json`), 'utf8')) as CloudWatchLogsDecodedData & { logEvents: { message: unknown }[] };
  return { ...src, logEvents: src.logEvents.map((e) => ({ ...e, message: typeof e.message === 'string' ? e.message : JSON.stringify(e.message) })) };
}

/** A delivery made from a sample's source with its log events replaced (same log group, stream, owner). */
export function deliveryWith(name: string, change: (d: CloudWatchLogsDecodedData) => CloudWatchLogsDecodedData): unknown {
  return encodeDelivery(change(decodedSource(name)));
}

export const demoWorld = (): World => loadWorld(join(root, 'examples/demo-world.json'));
export const demoConfig = parseConfig(JSON.parse(readFileSync(join(root, 'examples/eks-drift.config.json'), 'utf8')));

export type TestDeps = PipelineDeps & { log: MemoryLogger; published: SnsNotification[]; store: MemoryFindingStore };

export function deps(reader: AwsReader, store = new MemoryFindingStore()): TestDeps {
  const published: SnsNotification[] = [];
  return { reader, store, config: demoConfig, log: new MemoryLogger(), published, publish: async (n) => void published.push(...n) };
}

export function worldReader(world: World): AwsReader {
  return new WorldReader(world);
}
