import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Starts a real moto server (the Python AWS emulator) on a free 127.0.0.1 port for a test file.
 * Where moto is not installed the emulator suites are skipped with one line saying how to install it;
 * CI sets EKS_DRIFT_REQUIRE_MOTO=1, which turns that skip into a failure.
 */
export const MOTO_PYTHON = process.env.EKS_DRIFT_PYTHON ?? 'python3';

export function motoAvailable(): boolean {
  const r = spawnSync(MOTO_PYTHON, ['-c', 'import moto.server, flask, werkzeug'], { stdio: 'ignore' });
  return r.status === 0;
}

const available = motoAvailable();
if (!available) {
  if (process.env.EKS_DRIFT_REQUIRE_MOTO === '1') {
    throw new Error(`moto is required (EKS_DRIFT_REQUIRE_MOTO=1) but "${MOTO_PYTHON} -m moto.server" is not available: pip install "moto[server]"`);
  }
  console.warn('Skipping AWS emulator suites: moto is not installed. Install it with: pip install "moto[server]"');
}

/** `describe` for suites that need moto: skipped (with the line above) when it is absent. */
export const describeWithMoto: jest.Describe = available ? describe : describe.skip;

export interface Moto {
  endpoint: string;
  port: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`moto.server exited early with code ${proc.exitCode}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto.server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = spawn(MOTO_PYTHON, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_CALL_RESET_API: 'true' },
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  try {
    await waitUntilUp(endpoint, proc, 20000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`, { cause: e });
  }
  return {
    endpoint,
    port,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      if (proc.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}

/** SDK client config pointing at moto, with fixed fake credentials. */
export function motoClientConfig(endpoint: string, region = 'us-east-1') {
  return {
    endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  };
}
