/**
 * Ctrl-C and SIGTERM while dom0up changes hosts. src/main.ts installs the process's signal
 * handlers and aborts the signal below; provisionHost (and the fleet layer) read it, stop between
 * steps, release the host lock and report `interrupted` with the phase. Deliberately import-free:
 * main.ts loads it eagerly and `dom0up grub plan` must start fast.
 */

let processSignal: AbortSignal | undefined;
let running = 0;

/** The signal runs use when their caller gives none (set once by src/main.ts). */
export function setProcessInterruptSignal(signal: AbortSignal | undefined): void {
  processSignal = signal;
}

export function processInterruptSignal(): AbortSignal | undefined {
  return processSignal;
}

/** Counts runs that are changing a host; the returned function ends it (idempotent). */
export function runStarted(): () => void {
  running++;
  let ended = false;
  return () => {
    if (!ended) {
      ended = true;
      running--;
    }
  };
}

/** How many runs are changing hosts now (main.ts: a first Ctrl-C stops them gracefully; with none it quits). */
export function activeRuns(): number {
  return running;
}

/** The signal's name from an abort reason (main.ts aborts with 'SIGINT' or 'SIGTERM'). */
export function interruptName(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  return typeof r === 'string' && /^SIG[A-Z]+$/.test(r) ? r : 'SIGINT';
}

/** Conventional exit status for a run stopped by a signal: 128 + its number. */
export function interruptExitCode(name: string): number {
  return name === 'SIGTERM' ? 143 : 130;
}
