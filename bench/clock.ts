/**
 * Time for the simulated AWS calls. The virtual clock lets a 200-cluster run with thousands of 30 ms calls finish in
 * seconds while still giving the exact simulated duration of the critical path under bounded concurrency.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * A discrete-event clock. `sleep` parks the caller; once every runnable promise chain has settled (the microtask queue
 * is empty, which is when a `setImmediate` callback runs), time jumps to the earliest parked wake-up and releases every
 * sleeper due then. Everything else in the process is in memory, so "all chains parked" means "waiting for AWS".
 * CPU work takes no virtual time: it is measured separately with `process.cpuUsage`.
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];
  private tickScheduled = false;

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve });
      this.scheduleTick();
    });
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.tickScheduled = false;
    if (this.timers.length === 0) return;
    let next = Infinity;
    for (const tm of this.timers) next = Math.min(next, tm.at);
    this.t = next;
    const due = this.timers.filter((tm) => tm.at === next).sort((a, b) => a.seq - b.seq);
    this.timers = this.timers.filter((tm) => tm.at !== next);
    for (const tm of due) tm.resolve();
    if (this.timers.length > 0) this.scheduleTick();
  }
}
