// The properties every hostile run must keep, shared by the CLI and the apply suites.
import { expect } from 'vitest';
import { bookkeepingOnly, changesHost, classify, describeSpec, unreadableByContract, type Spec } from './mutate.js';
import type { ReplayHost } from './session.js';
import { TIMEOUT_GRACE_MS } from '../../src/transport/bounded.js';

export const TARGET = 'root@hostile.example';
/** Longest timeout dom0up gives one command (yum install xen). */
export const MAX_COMMAND_MS = 45 * 60_000;

/** Characters that act on a terminal (ESC only in the UI's own colour codes; TAB and LF are fine). */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/;
export function terminalSafe(out: string): string | null {
  // the UI's own colour codes, and CRLF line endings (a CR right before a LF moves nothing) are fine
  const rest = out.replace(/\u001b\[(?:1|2|22|31|32|33|36|39)m/g, '').replace(/\r\n/g, '\n');
  const m = ACTIVE.exec(rest);
  return m ? JSON.stringify(rest.slice(Math.max(0, m.index - 40), m.index + 40)) : null;
}

/** "HOST: PHASE: …": the error names the host and the phase. */
export const NAMES_HOST_AND_PHASE = new RegExp(`^${TARGET.replace(/\./g, '\\.')}: [a-z][a-z0-9 .()_-]*: \\S`);

/**
 * Every command had a finite timeout and was answered within it (+ the bounds' grace); after an answer
 * that cannot be read by the facts' contract, nothing that changes the host was sent (dom0up's own
 * bookkeeping of the failed run — the journal entry, releasing its lock — excepted).
 */
export function checkCommands(host: ReplayHost, specs: readonly Spec[], ctx: string): void {
  for (const e of host.log) {
    const t = e.opts.timeoutMs;
    expect(t !== undefined && Number.isFinite(t) && t > 0 && t <= MAX_COMMAND_MS, `${ctx}: a command without a bounded timeout (${t}): ${e.key.slice(0, 80)}`).toBe(true);
    if (e.endedAt !== null) expect(e.endedAt - e.startedAt, `${ctx}: answered after its timeout: ${e.key.slice(0, 80)}`).toBeLessThanOrEqual((t ?? 0) + TIMEOUT_GRACE_MS);
  }
  const unreadable = new Set(specs.filter(unreadableByContract).map(describeSpec));
  if (unreadable.size === 0) return;
  const first = host.log.findIndex((e) => e.mutated !== null && e.mutated.split('; ').some((l) => unreadable.has(l)));
  if (first < 0) return;
  const after = host.log.slice(first + 1).filter((e) => changesHost(e.script) && !bookkeepingOnly(e.script));
  expect(after.map((e) => `${classify(e.script)}: ${e.key.slice(0, 100)}`), `${ctx}: the host was changed after an answer dom0up could not read (${host.log[first]!.mutated})`).toEqual([]);
}
