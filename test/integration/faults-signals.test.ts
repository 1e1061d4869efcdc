// Ctrl-C and SIGTERM against the real CLI binary (a child process): the run stops between steps,
// exits 130 / 143, releases the host lock (or leaves one the next run provably takes over), leaves
// grub.conf the old or the new file, and a re-run converges to a verified Dom0.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build } from 'esbuild';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, hostState, readHostFile, waitUp, type TestHost } from '../testbed/index.js';
import { run } from '../testbed/ssh-helpers.js';
import { logDir, XEN_ARGS } from './helpers.js';
import { expectBootsStock, expectNothingLost, expectVerifiedDom0, FAST, LOCK, provision, sleep, snapshot } from './faults-helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// the CLI bundled like `npm run build` does (scripts/bundle.mjs), from the current sources; it lives
// under node_modules so the packages left external resolve
const OUT = path.join(ROOT, 'node_modules', '.cache', `dom0up-faults-${process.pid}`);
const BIN = path.join(OUT, 'dom0up.js');

interface Child {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  /** Resolves when stderr matches. */
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<void>;
  kill: (sig: NodeJS.Signals) => void;
}

function applyChild(fleet: { knownHostsPath: string }, h: TestHost, extra: string[] = []): Child {
  const args = [BIN, 'apply', `root@${h.host}`, '--identity', h.privateKeyPath, '--known-hosts', fleet.knownHostsPath, '-p', String(h.port), '--ssh-config', '/dev/null', ...XEN_ARGS, '--yes', ...extra];
  const c = spawn(process.execPath, args, { env: { ...process.env, DOM0UP_LOG_DIR: logDir, CI: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  c.stdout.on('data', () => undefined);
  c.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    for (const w of [...waiters]) if (w.re.test(err)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => c.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    exit,
    stderr: () => err,
    waitFor: (re, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(err)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${re} on stderr within ${timeoutMs} ms:\n${err}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
        void exit.then(() => setTimeout(() => reject(new Error(`exited before ${re}:\n${err}`)), 50));
      }),
    kill: (sig) => void c.kill(sig),
  };
}

describeTestbed('faults: Ctrl-C and SIGTERM', () => {
  const fleet = useFleet([{ name: 'int-yum' }, { name: 'int-reboot', downtimeMs: 4000 }, { name: 'int-twice' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    await build({
      absWorkingDir: ROOT,
      entryPoints: { dom0up: 'src/main.ts' },
      outdir: OUT,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['ssh2', 'nunjucks', 'ora', 'cpu-features'],
      banner: { js: "import { createRequire as __dom0upRequire } from 'node:module'; const require = __dom0upRequire(import.meta.url);" },
      logLevel: 'error',
    });
  });
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  /** The re-run (in-process) that must converge, saying where the interrupted run stopped. */
  async function rerunConverges(h: TestHost, before: Record<string, string | null>, o: { breakLock?: boolean } = {}) {
    const again = await provision(fleet(), h, o.breakLock ? { breakLock: true } : {});
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
    expect(await readHostFile(h, LOCK)).toBeNull();
    return again.report!;
  }

  it('SIGINT during yum: yum finishes, the run stops before the next step, exit 130, lock released, the stock kernel still boots next', async () => {
    const h = host('int-yum');
    const before = await snapshot(h);
    const c = applyChild(fleet(), h);
    await c.waitFor(/ yum: yum -y .*install xen/);
    await sleep(200);
    c.kill('SIGINT');
    const { code } = await c.exit;
    const err = c.stderr();
    expect(code, err).toBe(130);
    expect(err).toContain('dom0up: SIGINT: stopping after the current step, then releasing the host lock (Ctrl-C again quits at once)');
    expect(err).toMatch(/ yum: done — installed/);
    expect(err).toMatch(/dom0up: error: root@[\d.]+:\d+: \S+: interrupted \(SIGINT\) before \S+: .*Xen is installed; GRUB still boots entry \d+ "CentOS 6 \(2\.6\.32-754\.el6\.x86_64\)" \(2\.6\.32-754\.el6\.x86_64\) as before the run; dom0up rollback \S+ --run \S+ restores every file as it was before this run/);
    expect(err).toMatch(/hint: run dom0up again: it continues from what the host has now/);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectBootsStock(h);
    const rep = await rerunConverges(h, before);
    expect(rep.steps.find((s) => s.id === 'resume')!.detail).toMatch(/stopped at yum \(.*interrupted \(SIGINT\)/);
    expect(rep.steps.find((s) => s.id === 'yum-install')!.status).toBe('skipped');
    expect(rep.steps.find((s) => s.id === 'yum')).toBeUndefined();
  });

  it('SIGTERM while the host reboots: the wait stops at once, exit 143; the host comes up on the one-shot Xen boot, a reset returns to the stock kernel; the next run (--break-lock: the run is gone) commits', async () => {
    const h = host('int-reboot');
    const before = await snapshot(h);
    const c = applyChild(fleet(), h);
    await c.waitFor(/ reboot: rebooting/);
    for (let i = 0; i < 400 && (await hostState(h)) === 'up'; i++) await sleep(25);
    expect(await hostState(h)).not.toBe('up');
    c.kill('SIGTERM');
    const t0 = Date.now();
    const { code } = await c.exit;
    const err = c.stderr();
    expect(code, err).toBe(143);
    // the wait stops at once; releasing the lock of a host that is down gives up after its own deadline
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(err).toMatch(/: reboot: interrupted \(SIGTERM\) during reboot: the host was rebooting into the Xen entry once; GRUB still boots entry \d+ "CentOS 6 \(2\.6\.32-754\.el6\.x86_64\)" .* at the reboot after that/);
    await waitUp(h, 60_000);
    expect((await bootLog(h)).at(-1)).toMatchObject({ hypervisor: 'xen', result: 'up' });
    await expectBootsStock(h);
    // the lock: a reboot lease of a run that is gone
    expect(await readHostFile(h, LOCK)).toMatch(/^rebootUntil=[1-9]\d*$/m);
    const rep = await rerunConverges(h, before, { breakLock: true });
    expect(rep.steps.find((s) => s.id === 'lock')!.detail).toMatch(/took over the lock of \S+/);
    expect(rep.steps.find((s) => s.id === 'reboot')!.status).toBe('skipped');
  });

  it('Ctrl-C twice quits at once and says the lock stays until its lease runs out; yum finishes on the host; once the lease is out the next run takes it over and converges', async () => {
    const h = host('int-twice');
    const before = await snapshot(h);
    const c = applyChild(fleet(), h);
    await c.waitFor(/ yum: yum -y .*install xen/);
    // yum runs on the host (its log in the run's journal has output)
    let runId = '';
    for (let i = 0; i < 300; i++, await sleep(50)) {
      runId = /^run=(\S+)$/m.exec((await readHostFile(h, LOCK)) ?? '')?.[1] ?? '';
      if (runId && ((await readHostFile(h, `/var/lib/dom0up/runs/${runId}/yum.log`)) ?? '').length > 0) break;
    }
    c.kill('SIGINT');
    await c.waitFor(/stopping after the current step/);
    c.kill('SIGINT');
    const { code } = await c.exit;
    const err = c.stderr();
    expect(code, err).toBe(130);
    expect(err).toContain('dom0up: SIGINT: quitting now; the host lock stays until its lease runs out');
    // yum goes on (detached) and finishes
    let rc: string | null = null;
    for (let i = 0; i < 200 && rc === null; i++, await sleep(100)) rc = await readHostFile(h, `/var/lib/dom0up/runs/${runId}/yum.log.rc`);
    expect(rc).toBe('0\n');
    await expectBootsStock(h);
    // two minutes later (the lock's mtime moved back: the test does not wait) the lease is out
    await run(h, `touch -d '3 minutes ago' ${LOCK}`);
    const rep = await rerunConverges(h, before);
    expect(rep.steps.find((s) => s.id === 'lock')!.detail).toMatch(/took over the lock of \S+ \(not renewed for \d+ s\)/);
  });
});
