/**
 * Captures what the process writes to stdout and stderr (where Lambda's runtime reads logs and EMF metrics), line by
 * line, without printing it. Powertools writes through its own `Console` on `process.stdout`/`process.stderr`, so
 * spying on the global `console` would see nothing.
 */
export interface CapturedOutput {
  stdout: string[];
  stderr: string[];
  /** Every line of both streams, in write order. */
  all: string[];
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  const out: CapturedOutput = { stdout: [], stderr: [], all: [], restore: () => undefined };
  const spies = (['stdout', 'stderr'] as const).map((name) =>
    jest.spyOn(process[name], 'write').mockImplementation(((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        out[name].push(line);
        out.all.push(line);
      }
      return true;
    }) as typeof process.stdout.write),
  );
  out.restore = () => spies.forEach((s) => s.mockRestore());
  return out;
}
