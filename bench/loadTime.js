// Prints how long require() of the modules named on the command line takes in this fresh process, as JSON
// {wallMs, cpuMs}. Run once per sample by bench/coldStart.mjs; lives in bench/ so bare names resolve from the
// project's node_modules. CPU time is the steadier figure on a shared machine; wall time is what a cold start waits.
'use strict';
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (const m of process.argv.slice(2)) require(m);
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
const c = process.cpuUsage(c0);
process.stdout.write(`${JSON.stringify({ wallMs, cpuMs: (c.user + c.system) / 1000 })}\n`);
