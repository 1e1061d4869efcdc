/**
 * Hosts worked on at once by default (--forks). Measured (docs/benchmarks.md, bench/scale.ts):
 * `plan` of 500 hosts took 86 / 73 / 64 / 58 / 59 s with 8 / 16 / 32 / 64 / 128 forks, with the
 * controller's peak memory 136 / 153 / 156 / 191 / 274 MiB and its CPU flat (~23 ms per host).
 * 32 is within 10 % of the fastest at no memory cost over 16; beyond it the run was bound by CPU,
 * not by waiting, and each fork adds an `ssh -G` process and a connection's buffers. With ~23 ms
 * of controller CPU per host, 32 hosts in flight with ~1 s latency each keep one core ~75 % busy:
 * near what one node process can drive.
 */
export const DEFAULT_FORKS = 32;

/** A counting semaphore: at most `size` tasks hold a slot. */
export class Slots {
  private free: number;
  private waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = Math.max(1, size);
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** "N" or "P%" → a count out of `total` (at least 1 for sizes, may be 0 for budgets). */
export function countOf(spec: string, total: number, min: number): number {
  const m = /^(\d+)(%?)$/.exec(spec.trim());
  if (!m) throw new Error(`not a count or percentage: ${spec}`);
  const n = Number(m[1]);
  const v = m[2] ? Math.floor((total * n) / 100) : n;
  return Math.max(min, v);
}

/**
 * Reboots in batches: `enter()` resolves true when the host's batch may reboot; a batch starts
 * only when the previous one is done. Once more hosts failed than the budget allows, enter()
 * resolves false (no further host is rebooted) and `spent` is true.
 */
export class RebootGate {
  private running = 0;
  private batchLeft: number;
  private queue: ((ok: boolean) => void)[] = [];
  failures = 0;
  constructor(private readonly batchSize: number, private readonly maxFail: number) {
    this.batchLeft = batchSize;
  }
  get spent(): boolean {
    return this.failures > this.maxFail;
  }
  enter(): Promise<boolean> {
    if (this.spent) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.pump();
    });
  }
  /** A host of the current batch is done. */
  done(ok: boolean): void {
    this.running--;
    if (!ok) this.failures++;
    this.pump();
  }
  /** A host failed outside a batch (before its reboot). */
  fail(): void {
    this.failures++;
    this.pump();
  }
  private pump(): void {
    if (this.spent) {
      for (const r of this.queue.splice(0)) r(false);
      return;
    }
    if (this.batchLeft === 0 && this.running === 0) this.batchLeft = this.batchSize; // the batch is done: next one
    while (this.batchLeft > 0 && this.queue.length > 0) {
      this.batchLeft--;
      this.running++;
      this.queue.shift()!(true);
    }
  }
}
