#!/usr/bin/env node
// Encodes the readable audit-log samples in events/audit/decoded/ into the deliveries Lambda receives:
// events/audit/<name>.json = {"awslogs": {"data": base64(gzip(JSON))}}, as CloudWatch Logs sends them.
//   decoded/<name>.json  a subscription payload; a log event's `message` written as an object is serialised the
//                        way the API server writes it (compact JSON), a string is kept as it is (a broken line)
//   decoded/<name>.txt   raw bytes to gzip (a payload that is not JSON)
// Deliveries broken below the gzip layer (not base64, not gzip, no awslogs) are written by hand and have no source.
// `node scripts/audit-samples.mjs` rewrites the deliveries; test/audit/samples.test.ts fails when one is stale.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'events', 'audit');

/** The payload CloudWatch Logs would gzip for a readable source. */
export function payloadOf(source) {
  return { ...source, logEvents: source.logEvents.map((e) => ({ ...e, message: typeof e.message === 'string' ? e.message : JSON.stringify(e.message) })) };
}

for (const file of readdirSync(join(dir, 'decoded')).sort()) {
  const text = readFileSync(join(dir, 'decoded', file), 'utf8');
  const bytes = file.endsWith('.json') ? JSON.stringify(payloadOf(JSON.parse(text))) : text;
  const delivery = { awslogs: { data: gzipSync(Buffer.from(bytes, 'utf8')).toString('base64') } };
  const out = join(dir, `${basename(file).replace(/\.(json|txt)$/, '')}.json`);
  writeFileSync(out, JSON.stringify(delivery, null, 2) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}
