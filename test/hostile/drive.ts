// Runs an async piece of dom0up under fake timers: virtual time only moves when everything is waiting
// (for a timeout, a sleep, a deadline), so a run that waits 45 minutes for a hung yum takes
// milliseconds, and a run that waits for something no timer will ever end is caught as a hang.
import { vi } from 'vitest';

const realImmediate = setImmediate;
const tick = () => new Promise<void>((r) => realImmediate(r));

export const FAKE = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] as ('setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'Date' | 'performance')[] };

export interface Driven<T> {
  value?: T;
  error?: unknown;
  /** Virtual time the run took. */
  virtualMs: number;
  /** Nothing was left to wait for, yet the run had not ended. */
  hung: boolean;
}

export async function drive<T>(start: () => Promise<T>, maxVirtualMs: number): Promise<Driven<T>> {
  const t0 = Date.now();
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  const p = start().then(
    (v) => {
      value = v;
      settled = true;
    },
    (e: unknown) => {
      error = e;
      settled = true;
    },
  );
  const realMs = () => Number(process.hrtime.bigint() / 1_000_000n);
  let idleSince = realMs();
  while (!settled) {
    await tick();
    if (settled) break;
    if (vi.getTimerCount() === 0) {
      // real work (a dynamic import) may still be under way; nothing for 30 s of real time (a loaded machine): a hang
      if (realMs() - idleSince > 30_000) return { virtualMs: Date.now() - t0, hung: true };
      continue;
    }
    idleSince = realMs();
    await vi.advanceTimersToNextTimerAsync();
    if (Date.now() - t0 > maxVirtualMs) return { virtualMs: Date.now() - t0, hung: true };
  }
  await p;
  return { value, error, virtualMs: Date.now() - t0, hung: false };
}
