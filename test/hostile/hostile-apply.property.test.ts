// Hostile hosts against the apply path (provisionHost, its public entry, as `dom0up apply`/`tune` call
// it): a real simulated host's whole run — facts, plan, lock, repo and key, yum, grub.conf, one-shot
// boot, reboot, verify, commit — replayed with one to three answers made hostile. Properties of every
// run: it ends with a report or a user-facing error (never an internal error: exit 70) that names the
// host and the phase; every command has a bounded timeout and the run ends within them (virtual time);
// after an answer the facts' contract calls unreadable nothing changes the host (only dom0up's own
// journal entry and lock release); floods are cut at the bound; what is printed is escaped.
// Seeded: DOM0UP_HOSTILE_SEED=N reproduces a run of the suite (fast-check prints seed and path).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { provisionHost, type HostReport, type ProvisionEvents } from '../../src/apply/provision.js';
import { bounded, MAX_OUTPUT_BYTES } from '../../src/transport/bounded.js';
import { userFacing } from '../../src/errors.js';
import { reportError } from '../../src/cli.js';
import { Ui } from '../../src/ui/io.js';
import { renderReport } from '../../src/ui/render-remote.js';
import { ReplayHost } from './session.js';
import { sessions } from './recordings.js';
import { behaviourArb, describeSpec, mutator, type Spec } from './mutate.js';
import { checkCommands, NAMES_HOST_AND_PHASE, TARGET, terminalSafe } from './check.js';
import { drive, FAKE } from './drive.js';

const SEED = Number(process.env.DOM0UP_HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.DOM0UP_HOSTILE_RUNS ?? 1);
console.log(`hostile apply suite: seed ${SEED} (DOM0UP_HOSTILE_SEED=${SEED} reproduces it)`);

const APPLY = sessions.filter((s) => s.kind === 'apply');
const OUTCOMES = ['verified', 'unchanged', 'cancelled', 'reboot-pending', 'skipped', 'xen-boot-failed', 'verify-failed', 'failed'];
let runs = 0;
/** How far the runs got: the outcome, or the phase of the error (so the suite cannot go vacuous). */
const reached = new Map<string, number>();
const count = (k: string) => reached.set(k, (reached.get(k) ?? 0) + 1);

function tty() {
  const chunks: Buffer[] = [];
  const s = new PassThrough() as PassThrough & { isTTY: boolean };
  s.isTTY = true;
  s.on('data', (c: Buffer) => chunks.push(c));
  return { s, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function onceApply(sessionName: string, specs: Spec[], force: boolean): Promise<void> {
  const session = APPLY.find((s) => s.name === sessionName)!;
  const m = mutator(specs);
  const host = new ReplayHost(session, m, TARGET);
  const ctx = `${sessionName}${force ? ' --force' : ''} [${specs.map(describeSpec).join(' | ')}]`;
  const texts: string[] = [];
  const events: ProvisionEvents = { phase: (_i, t) => texts.push(t), progress: (t) => texts.push(t), done: (_i, _s, t) => texts.push(t), log: () => undefined };
  const heap0 = process.memoryUsage().heapUsed;
  const wall0 = process.hrtime.bigint();
  const r = await drive(
    () =>
      provisionHost({
        target: TARGET,
        transport: bounded(host.connect()),
        reconnect: async () => bounded(host.connect()),
        req: { ...session.req, ...(force ? { force: true } : {}) },
        mode: session.mode,
        confirm: async () => true,
        events,
        ...session.timing,
        runId: `20260303T000000Z-${(runs++).toString(16).padStart(6, '0')}`,
        ...session.who!,
      }),
    24 * 3600_000,
  );
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  expect(r.hung, `${ctx}: hangs (virtual ${r.virtualMs} ms)`).toBe(false);
  const ui = tty();
  const u = new Ui({ stdout: ui.s, stderr: ui.s, env: {} }, true);
  if (r.error !== undefined) {
    const e = r.error as Error;
    expect(userFacing(e), `${ctx}: an internal error (exit 70): ${e?.stack ?? String(e)}`).not.toBeNull();
    expect(e.message, `${ctx}: the error does not name the host and the phase`).toMatch(NAMES_HOST_AND_PHASE);
    expect(reportError(u, e)).not.toBe(70);
    count(`error in ${e.message.slice(TARGET.length + 2).split(':')[0]}`);
  } else {
    const report = r.value as HostReport;
    expect(OUTCOMES, ctx).toContain(report.outcome);
    count(report.outcome);
    u.print(renderReport(report, u.out));
  }
  expect(terminalSafe(ui.text()), `${ctx}: output`).toBeNull();
  checkCommands(host, specs, ctx);
  expect(host.flooded, `${ctx}: a flood past the bound was read to its end`).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
  expect(wallMs, `${ctx}: took ${Math.round(wallMs)} ms of real time`).toBeLessThan(60_000);
  expect(process.memoryUsage().heapUsed - heap0, `${ctx}: heap grew`).toBeLessThan(512 * 1024 * 1024);
}

describe('hostile hosts: the apply path', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it(`${1500 * RUNS} hostile host behaviours`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...APPLY.map((s) => s.name)), behaviourArb, fc.boolean(), async (name, specs, force) => {
        await onceApply(name, specs, force);
      }),
      { seed: SEED, numRuns: 1500 * RUNS, endOnFailure: true },
    );
    console.log('hostile apply runs ended:', Object.fromEntries([...reached].sort((a, b) => b[1] - a[1])));
    // the hostile answers reach every part of the run: the recorded hosts still get it to the end
    const total = [...reached.values()].reduce((a, b) => a + b, 0);
    expect(reached.get('verified') ?? 0, 'runs that still verified').toBeGreaterThan(total * 0.05);
    for (const phases of [['facts'], ['begin', 'lock'], ['yum'], ['grub'], ['reboot', 'verify']]) {
      expect([...reached.keys()].some((k) => phases.some((p) => k.startsWith(`error in ${p}`))), `no run stopped in ${phases.join(' or ')}: the hostile answers do not reach it`).toBe(true);
    }
  }, 900_000);
});
