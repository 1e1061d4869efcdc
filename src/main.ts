#!/usr/bin/env node
import { setMaxListeners } from 'node:events';
import { run } from './cli.js';
import { activeRuns, interruptExitCode, setProcessInterruptSignal } from './apply/interrupt.js';

// Ctrl-C / SIGTERM: while a run changes a host, the first one stops it between steps (it
// releases the host lock and reports `interrupted` with the phase; exit 130/143/129); a second one
// quits at once. With no run in progress, quit at once.
const interrupt = new AbortController();
// every host of a fleet run listens on it (--forks 32 and more at once): no MaxListenersExceededWarning
// in the middle of the progress board
setMaxListeners(0, interrupt.signal);
setProcessInterruptSignal(interrupt.signal);
let signals = 0;
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    signals++;
    if (signals === 1 && activeRuns() > 0) {
      process.stderr.write(`\ndom0up: ${name}: stopping after the current step, then releasing the host lock (${name === 'SIGINT' ? 'Ctrl-C' : name} again quits at once)\n`);
      interrupt.abort(name);
      return;
    }
    if (activeRuns() > 0) process.stderr.write(`\ndom0up: ${name}: quitting now; the host lock stays until its lease runs out (2 minutes after the host's last step of this run)\n`);
    process.exit(interruptExitCode(name));
  });
}

// The command is over once run() settles. A connection left open (e.g. after a failed step) must
// not keep the process alive: give normal shutdown a moment, then exit (the timer is unref'd, so
// a clean exit does not wait for it).
const exitSoon = () => setTimeout(() => process.exit(), 1000).unref();

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    exitSoon();
  },
  (err: unknown) => {
    process.stderr.write(`dom0up: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 70;
    exitSoon();
  },
);
