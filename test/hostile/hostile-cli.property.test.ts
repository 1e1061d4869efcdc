// Hostile hosts against `dom0up facts`, `plan` and `verify` (the CLI, end to end): every command a real
// simulated host answered, replayed with one to three answers made hostile (test/hostile/mutate.ts).
// Properties of every run: never exit 70 (an internal error) nor anything but 0/1/2; an error names
// the host and the phase; nothing that changes the host is ever sent; every command has a bounded
// timeout; the run ends (in virtual time) within the sum of its timeouts; nothing from the host reaches
// the output unescaped (JSON stays JSON); no run reads a flood to its end or takes long for a number.
// Seeded: DOM0UP_HOSTILE_SEED=N reproduces a run of the suite (fast-check prints seed and path).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { captureStreams } from '../helpers/run-cli.js';
import { reportError, run } from '../../src/cli.js';
import { Ui } from '../../src/ui/io.js';
import { factsCli, planCli, verifyCli } from '../../src/commands/remote.js';
import type { ProvisionRequest } from '../../src/plan/plan.js';
import { ReplayHost } from './session.js';
import { sessions } from './recordings.js';
import { behaviourArb, describeSpec, mutator } from './mutate.js';
import { checkCommands, NAMES_HOST_AND_PHASE, TARGET, terminalSafe } from './check.js';
import { drive, FAKE } from './drive.js';
import { MAX_OUTPUT_BYTES } from '../../src/transport/bounded.js';

const current = vi.hoisted(() => ({ host: null as null | { connect(): unknown } }));
vi.mock('../../src/transport/ssh.js', async (orig) => ({
  ...(await orig<typeof import('../../src/transport/ssh.js')>()),
  connectSsh: async () => {
    if (!current.host) throw new Error('no replay host');
    return current.host.connect();
  },
}));

const SEED = Number(process.env.DOM0UP_HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.DOM0UP_HOSTILE_RUNS ?? 1);
console.log(`hostile CLI suite: seed ${SEED} (DOM0UP_HOSTILE_SEED=${SEED} reproduces it)`);

function streams() {
  const c = captureStreams();
  return { io: { stdout: c.stdout, stderr: c.stderr, env: { CI: '1' } as NodeJS.ProcessEnv }, out: () => c.out().toString('utf8'), err: c.err };
}

interface Command {
  argv: string[];
  session: string;
  /** The same, called as the CLI calls it (yargs parses in ~50-250 ms; the property runs thousands). */
  call: (ui: Ui) => Promise<number>;
}
const common = (json: boolean) => ({ host: TARGET, ssh: { knownHosts: ['/dev/null'], sshConfig: '/dev/null' }, json });
const plan = (req: ProvisionRequest, json: boolean, detailedExitcode = false) => (ui: Ui) => planCli(ui, { ...common(json), req, mode: 'apply', detailedExitcode });
const COMMANDS: Command[] = [
  { argv: ['facts'], session: 'tune-xen', call: (ui) => factsCli(ui, common(false)) },
  { argv: ['facts', '--json'], session: 'apply-fresh', call: (ui) => factsCli(ui, common(true)) },
  { argv: ['plan', '--dom0-mem', '1024M'], session: 'apply-fresh', call: plan({ dom0Mem: '1024M' }, false) },
  { argv: ['plan', '--keep-plain', '--json'], session: 'apply-helper', call: plan({ keepPlain: true }, true) },
  { argv: ['plan', '--dom0-vcpus', '2', '--pin', '--detailed-exitcode'], session: 'tune-xen', call: plan({ dom0Vcpus: '2', pin: true }, false, true) },
  { argv: ['verify'], session: 'verify-xen', call: (ui) => verifyCli(ui, { ...common(false), req: {} }) },
  { argv: ['verify', '--pin', '--json'], session: 'verify-xen', call: (ui) => verifyCli(ui, { ...common(true), req: { pin: true } }) },
  { argv: ['verify', '--dom0-mem', '1024M'], session: 'tune-xen', call: (ui) => verifyCli(ui, { ...common(false), req: { dom0Mem: '1024M' } }) },
];

async function once(cmd: Command, specs: Parameters<typeof mutator>[0], viaRun: boolean): Promise<void> {
  const session = sessions.find((s) => s.name === cmd.session)!;
  const m = mutator(specs);
  const host = new ReplayHost(session, m, TARGET);
  current.host = host;
  const s = streams();
  const ctx = `${cmd.argv.join(' ')} [${specs.map(describeSpec).join(' | ')}]`;
  const heap0 = process.memoryUsage().heapUsed;
  const wall0 = process.hrtime.bigint(); // performance.now and Date are faked
  const r = await drive(() => (viaRun ? run([cmd.argv[0]!, TARGET, ...cmd.argv.slice(1), '--known-hosts', '/dev/null', '--ssh-config', '/dev/null'], s.io) : direct(cmd, s.io)), 6 * 3600_000);
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  expect(r.hung, `${ctx}: hangs (virtual ${r.virtualMs} ms)`).toBe(false);
  expect(r.error, `${ctx}: run() threw`).toBeUndefined();
  const exit = r.value as number;
  const err = s.err();
  const out = s.out();
  expect(err, `${ctx}: internal error`).not.toMatch(/internal error/);
  expect([0, 1, 2], `${ctx}: exit ${exit}\n${err}`).toContain(exit);
  const errorLine = /^dom0up: error: (.*)$/m.exec(err)?.[1];
  if (errorLine !== undefined) expect(errorLine, `${ctx}: the error does not name the host and the phase`).toMatch(NAMES_HOST_AND_PHASE);
  if (exit === 1 && errorLine === undefined) expect(out, `${ctx}: exit 1 without an error or a refusal`).toMatch(/refused|does not match|"ok": false|"refusals": \[\s*\{/);
  expect(terminalSafe(err), `${ctx}: stderr`).toBeNull();
  if (cmd.argv.includes('--json')) {
    if (exit !== 1 || errorLine === undefined) expect(() => JSON.parse(out), `${ctx}: --json output is not JSON`).not.toThrow();
  } else expect(terminalSafe(out), `${ctx}: stdout`).toBeNull();
  // facts, plan and verify only read
  checkCommands(host, specs, ctx);
  expect(host.log.filter((e) => !/^(sudo|user)\|(LC_ALL=C|cat \/proc)/.test(e.key)).map((e) => e.key.slice(0, 80)), `${ctx}: a command that is not a read`).toEqual([]);
  // floods are stopped at the bound, numbers do not cost time or memory
  expect(host.flooded, `${ctx}: a flood past the bound was read to its end`).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
  expect(wallMs, `${ctx}: took ${Math.round(wallMs)} ms of real time`).toBeLessThan(60_000);
  expect(process.memoryUsage().heapUsed - heap0, `${ctx}: heap grew`).toBeLessThan(512 * 1024 * 1024);
}

/** What run() does around a command: the command, or its error reported (reportError picks the exit code). */
async function direct(cmd: Command, io: ReturnType<typeof streams>['io']): Promise<number> {
  const ui = new Ui(io);
  try {
    return await cmd.call(ui);
  } catch (e) {
    return reportError(ui, e);
  }
}

describe('hostile hosts: facts, plan, verify', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE);
  });
  afterEach(() => {
    vi.useRealTimers();
    current.host = null;
  });

  it('the recorded hosts unchanged: every command runs to its result (no error)', async () => {
    for (const cmd of COMMANDS) {
      const session = sessions.find((s) => s.name === cmd.session)!;
      current.host = new ReplayHost(session, undefined, TARGET);
      const s = streams();
      const r = await drive(() => run([cmd.argv[0]!, TARGET, ...cmd.argv.slice(1), '--known-hosts', '/dev/null', '--ssh-config', '/dev/null'], s.io), 3600_000);
      expect([0, 1, 2], `${cmd.argv.join(' ')}: ${s.err()}`).toContain(r.value);
      expect(s.err()).not.toMatch(/dom0up: error|internal error/);
    }
  });

  it(`${2500 * RUNS} hostile host behaviours (the commands as the CLI calls them)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), behaviourArb, async (cmd, specs) => {
        await once(cmd, specs, false);
      }),
      { seed: SEED, numRuns: 2500 * RUNS, endOnFailure: true },
    );
  }, 900_000);

  it(`${60 * RUNS} hostile host behaviours through the whole CLI (argv to exit code)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), behaviourArb, async (cmd, specs) => {
        await once(cmd, specs, true);
      }),
      { seed: SEED + 1, numRuns: 60 * RUNS, endOnFailure: true },
    );
  }, 900_000);
});
