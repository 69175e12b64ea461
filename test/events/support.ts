import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsReader } from '../../src/inventory/reader';
import { WorldReader } from '../../src/inventory/worldReader';
import { loadWorld, parseWorld } from '../../src/inventory/world';
import { createClusterIndexCache, type ClusterIndexCache } from '../../src/events/clusterIndex';

export const EVENTS_DIR = join(__dirname, '../../events');
export const DEMO_WORLD = join(__dirname, '../../examples/demo-world.json');

export function sampleFiles(): string[] {
  return readdirSync(EVENTS_DIR).filter((f) => f.endsWith('.json')).sort();
}

export function loadSample(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8'));
}

/** An AwsReader that counts every call by operation, so tests can assert the cost of a resolution. */
export interface Counted {
  reader: AwsReader;
  calls: Record<string, number>;
  total(): number;
  reset(): void;
}

/** `inner` with every method call counted by name. */
export function countingCalls<T extends object>(inner: T): { proxy: T; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { proxy, calls };
}

export function counting(inner: AwsReader): Counted {
  const { proxy: reader, calls } = countingCalls(inner);
  return {
    reader,
    calls,
    total: () => Object.entries(calls).filter(([op]) => op !== 'identity').reduce((n, [, c]) => n + c, 0),
    reset: () => {
      for (const k of Object.keys(calls)) delete calls[k];
    },
  };
}

/** A cluster index built over `c.reader`, the build's calls forgotten: what a Lambda container holds after its first event. */
export async function warmIndex(c: Counted): Promise<ClusterIndexCache> {
  const cache = createClusterIndexCache();
  await cache.get(c.reader);
  c.reset();
  return cache;
}

export function demoReader(): AwsReader {
  return new WorldReader(loadWorld(DEMO_WORLD));
}

/** A world reader over a small inline world (sections left out mean "no such resources"). */
export function worldReader(partial: Record<string, unknown>): AwsReader {
  return new WorldReader(parseWorld({ account: '111122223333', region: 'us-east-1', ...partial }, 'test world'));
}
