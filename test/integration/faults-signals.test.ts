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
import { bootLog, hostState, readHostFile, type TestHost } from '../testbed/index.js';
import { run } from '../testbed/ssh-helpers.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { logDir, XEN_ARGS } from './helpers.js';
import { expectBootable, expectNothingLost, expectVerifiedDom0, FAST, GRUB, LOCK, provision, sleep, snapshot } from './faults-helpers.js';

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
  const fleet = useFleet([{ name: 'int-yum' }, { name: 'int-grub' }, { name: 'int-reboot', downtimeMs: 4000 }, { name: 'int-twice' }], FAST);
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
  async function rerunConverges(h: TestHost, before: Record<string, string | null>) {
    const again = await provision(fleet(), h);
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
    expect(await readHostFile(h, LOCK)).toBeNull();
    return again.report!;
  }

  it('SIGINT during yum: yum finishes, the run stops before the next step, exit 130, lock released, grub.conf untouched by dom0up', async () => {
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
    // the packages moved the default to the new kernel; dom0up put it back on the running one before stopping
    expect(err).toMatch(/dom0up: error: root@[\d.]+:\d+: plan after yum: interrupted \(SIGINT\) before plan after yum: Xen is installed; grub\.conf's default stays on the kernel the host runs; run again to continue/);
    expect(err).toMatch(/hint: run dom0up again: it continues from what the host has now/);
    expect(await readHostFile(h, LOCK)).toBeNull();
    const g0 = parseGrubConf((await readHostFile(h, '/boot/grub/grub.conf'))!);
    expect(g0.entries.some((e) => e.kind === 'xen')).toBe(false);
    expect(g0.bootEntry!.version).toBe('2.6.32-754.el6.x86_64');
    await expectBootable(h);
    const rep = await rerunConverges(h, before);
    expect(rep.steps.find((s) => s.id === 'resume')!.detail).toMatch(/stopped at plan after yum \(.*interrupted \(SIGINT\)/);
    expect(rep.steps.find((s) => s.id === 'yum-install' || s.id === 'yum')).toBeUndefined();
  });

  it('SIGINT right after the grub.conf write: stops before the one-shot boot, exit 130; grub.conf is the new staged file; the re-run converges', async () => {
    const h = host('int-grub');
    const before = await snapshot(h);
    const boots = (await bootLog(h)).length;
    const c = applyChild(fleet(), h);
    await c.waitFor(/ grub: done — written/);
    c.kill('SIGINT');
    const { code } = await c.exit;
    const err = c.stderr();
    expect(code, err).toBe(130);
    // the signal lands before the one-shot step, or (the child is fast) just after it
    const stopped = /: (one-shot|reboot): interrupted \(SIGINT\) before (one-shot|reboot): grub\.conf has the Xen entry(,| and the host boots it once at its next reboot \()the permanent default is unchanged\)?; run again to (continue|reboot, verify and commit); the previous versions are kept beside the files \(dom0up rollback \S+ restores them\)/.exec(err);
    expect(stopped, err).not.toBeNull();
    expect(stopped![1]).toBe(stopped![2]);
    expect(err).not.toMatch(/ reboot: rebooting/);
    expect(await readHostFile(h, LOCK)).toBeNull();
    // a whole file: the Xen entry, and the default still the kernel that runs
    const g = parseGrubConf((await readHostFile(h, GRUB))!);
    expect(g.entries.some((e) => e.kind === 'xen')).toBe(true);
    expect(g.bootEntry!.version).toBe('2.6.32-754.el6.x86_64');
    expect((await bootLog(h)).length).toBe(boots);
    await expectBootable(h);
    const rep = await rerunConverges(h, before);
    expect(rep.steps.find((s) => s.id === 'resume')!.detail).toContain(`stopped at ${stopped![1]} (`);
    expect(rep.steps.find((s) => s.id === 'grub')!.status).toBe('skipped');
  });

  it('SIGTERM while the host reboots: the wait stops at once, exit 143; the host comes up on the one-shot Xen boot; the next run takes over the lock and commits', async () => {
    const h = host('int-reboot');
    const before = await snapshot(h);
    const c = applyChild(fleet(), h);
    await c.waitFor(/ reboot: rebooting/);
    // the host is down (it stays down 4 s)
    for (let i = 0; i < 400 && (await hostState(h)) === 'up'; i++) await sleep(25);
    expect(await hostState(h)).not.toBe('up');
    c.kill('SIGTERM');
    const t0 = Date.now();
    const { code } = await c.exit;
    const err = c.stderr();
    expect(code, err).toBe(143);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err).toMatch(/: reboot: interrupted \(SIGTERM\) during reboot: the host was rebooting into the Xen entry once; its permanent default is unchanged; run again to verify and make Xen the default/);
    // the host was down: the lock could not be released, and the run said what happens to it
    expect(err).toMatch(/unlock: FAILED — could not release \/var\/lib\/dom0up\/lock/);
    const last = await expectBootable(h);
    expect(last.hypervisor).toBe('xen');
    expect(await readHostFile(h, LOCK)).toMatch(/"pid":\d+/);
    const rep = await rerunConverges(h, before);
    expect(rep.steps.find((s) => s.id === 'lock')!.detail).toMatch(/took over the lock of run .*: its process is gone/);
    expect(rep.steps.find((s) => s.id === 'reboot')!.status).toBe('skipped');
  });

  it('Ctrl-C twice quits at once and says the lock stays; the next run takes it over and converges', async () => {
    const h = host('int-twice');
    const before = await snapshot(h);
    const c = applyChild(fleet(), h);
    await c.waitFor(/ yum: yum -y .*install xen/);
    c.kill('SIGINT');
    await c.waitFor(/stopping after the current step/);
    c.kill('SIGINT');
    const { code } = await c.exit;
    const err = c.stderr();
    expect(code, err).toBe(130);
    expect(err).toContain('dom0up: SIGINT: quitting now; the host lock stays (the next run from this machine takes it over)');
    expect(await readHostFile(h, LOCK)).toMatch(/"pid":\d+/);
    await expectBootable(h);
    const rep = await rerunConverges(h, before);
    expect(rep.steps.find((s) => s.id === 'lock')!.detail).toMatch(/took over the lock of run .*: its process is gone/);
  });
});
