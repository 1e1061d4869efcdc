// The machine-feature detection of the simulated hosts (test/testbed/machine.ts), measured by taking
// features away: DOM0UP_MACHINE_MISSING (a kernel feature's probe then fails for real: an overlay of a
// file system type that does not exist, a loop device that does not exist), a PATH without a tool,
// a state dir that cannot be made. Each missing feature must be named with what it is for and how
// to get it, the others must stay as they are, and the tiers that need them must skip loudly — or,
// in CI, fail — and the demo and the benchmarks must say why instead of crashing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, missingReason, probeMachine, type Feature } from '../testbed/machine.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const isRoot = process.getuid?.() === 0;

/** The environment of a child run: no report file or vitest state of this run leaks into it. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|DOM0UP_TEST_REPORT|DOM0UP_TESTBED_RUN|DOM0UP_MACHINE_MISSING|CI$|NODE_OPTIONS|TEST$)/.test(k)) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  else env[k] = v;
  return env;
}

describe('machine features of the simulated hosts', () => {
  let base: Feature[];
  beforeAll(() => {
    base = probeMachine({ env: childEnv({}) });
  });

  it('probes every feature once, each with what it is for, what was found and how to get it', () => {
    expect(base.map((f) => f.id)).toEqual([...FEATURES]);
    for (const f of base) {
      expect(f.what.length, f.id).toBeGreaterThan(5);
      expect(f.detail.length, f.id).toBeGreaterThan(0);
      expect(f.fix.length, f.id).toBeGreaterThan(5);
    }
    expect(missingReason(base) === null).toBe(base.every((f) => f.ok));
  });

  it.each([...FEATURES])('without %s: that feature is named missing with its fix; the others are unchanged', (id) => {
    const got = probeMachine({ env: childEnv({ DOM0UP_MACHINE_MISSING: id }) });
    const f = got.find((x) => x.id === id)!;
    expect(f.ok).toBe(false);
    expect(f.detail).toContain(`simulated: DOM0UP_MACHINE_MISSING=${id}`);
    const reason = missingReason(got)!;
    expect(reason).toMatch(new RegExp(`^missing (.+, )?${id}(,|:)`));
    expect(reason).toContain(`${id} — ${f.what}: `);
    expect(reason).toContain(`to get it: ${f.fix}`);
    // a missing tool or root hides the kernel features (they cannot be probed without them): those may change too
    const hides = ['linux', 'root', 'util-linux'].includes(id) ? ['namespaces', 'overlayfs', 'loop'] : id === 'e2fsprogs' ? ['loop'] : id === 'python3' ? ['loopback'] : [];
    for (const other of got.filter((x) => x.id !== id && !hides.includes(x.id))) expect(other.ok, other.id).toBe(base.find((b) => b.id === other.id)!.ok);
    for (const h of hides) if (!got.find((x) => x.id === h)!.ok) expect(got.find((x) => x.id === h)!.detail).toMatch(/not probed|simulated/);
  });

  it.runIf(isRoot)('overlayfs and loop devices are probed for real: the simulated absence is the kernel\'s own error', () => {
    const got = probeMachine({ env: childEnv({ DOM0UP_MACHINE_MISSING: 'overlayfs,loop' }) });
    expect(got.find((f) => f.id === 'overlayfs')!.detail).toMatch(/unknown filesystem type 'overlay_simulated_missing'/);
    expect(got.find((f) => f.id === 'loop')!.detail).toMatch(/loop/);
  });

  it('a PATH without unshare or mkfs.ext4: util-linux and e2fsprogs are missing, named by the tool', () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'dom0up-path-'));
    try {
      const keep = ['nsenter', 'mount', 'umount', 'chroot', 'losetup', 'ssh-keygen', 'gcc', 'cc', 'sh', 'as', 'ld', 'collect2', 'hostname', 'mkdir', 'touch', 'test'];
      for (const t of keep) {
        for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
          const p = path.join(d, t);
          if (fs.existsSync(p)) {
            fs.symlinkSync(p, path.join(bin, t));
            break;
          }
        }
      }
      const got = probeMachine({ env: childEnv({ PATH: bin }) });
      const ul = got.find((f) => f.id === 'util-linux')!;
      expect(ul.ok).toBe(false);
      expect(ul.detail).toBe('not on PATH: unshare');
      expect(got.find((f) => f.id === 'e2fsprogs')!.ok).toBe(false);
      expect(missingReason(got)).toMatch(/util-linux — .*not on PATH: unshare; to get it: apt-get install util-linux/);
      expect(missingReason(got)).toMatch(/e2fsprogs — .*to get it: apt-get install e2fsprogs/);
      for (const id of ['namespaces', 'overlayfs', 'loop']) expect(got.find((f) => f.id === id)!.detail).toMatch(/^not probed/);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it.runIf(isRoot)('a state dir that cannot be made: the kernel features say so and how to choose another', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dom0up-state-')), 'a-file');
    fs.writeFileSync(file, '');
    const got = probeMachine({ env: childEnv({}), stateDir: path.join(file, 'state') });
    for (const id of ['namespaces', 'overlayfs', 'loop']) {
      const f = got.find((x) => x.id === id)!;
      expect(f.ok).toBe(false);
      expect(f.detail).toMatch(/cannot make a scratch directory .*set DOM0UP_TESTBED_STATE/);
    }
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});

// The tiers, the demo and the benchmarks, each run as a child with a feature taken away.
describe('what the tiers do when a feature is missing', () => {
  const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const run = (args: string[], env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, args, { cwd: ROOT, env: childEnv({ ...env, NO_COLOR: '1', FORCE_COLOR: '0' }), encoding: 'utf8', timeout: 240_000 });

  it('the SSH tier: skipped loudly with the reason on a developer\'s machine; in CI a failed test that gives it', () => {
    const file = 'test/testbed/hosts.test.ts';
    const local = run([vitest, 'run', '--project', 'ssh', file], { DOM0UP_MACHINE_MISSING: 'loop' });
    const out = local.stdout + local.stderr;
    expect(local.status, out).toBe(0);
    expect(out).toMatch(/\*\*\* dom0up simulated hosts SKIPPED \(project ssh\): missing (.+, )?loop/);
    expect(out).toMatch(/MISSING loop +.*→ modprobe loop/);
    expect(out).toMatch(/Tests +\d+ skipped/);
    const ci = run([vitest, 'run', '--project', 'ssh', file], { DOM0UP_MACHINE_MISSING: 'loop', CI: 'true' });
    const cout = ci.stdout + ci.stderr;
    expect(ci.status, cout).toBe(1);
    expect(cout).toMatch(/CANNOT RUN \(CI: its tests fail\)/);
    expect(cout).toMatch(/the simulated-host tier cannot run on this machine, and in CI a skipped tier is a failure: missing (.+, )?loop/);
    expect(cout).toMatch(/Tests +1 failed/);
  });

  it('the terminal tier without a pseudo-terminal: skipped loudly; in CI a failed test that gives the reason', () => {
    const file = 'test/terminal/help.test.ts';
    const local = run([vitest, 'run', '--project', 'terminal', file], { DOM0UP_MACHINE_MISSING: 'pty' });
    const out = local.stdout + local.stderr;
    expect(local.status, out).toBe(0);
    expect(out).toMatch(/\*\*\* dom0up terminal tier SKIPPED: no pseudo-terminal \(simulated: DOM0UP_MACHINE_MISSING=pty\)/);
    const ci = run([vitest, 'run', '--project', 'terminal', file], { DOM0UP_MACHINE_MISSING: 'pty', CI: 'true' });
    const cout = ci.stdout + ci.stderr;
    expect(ci.status, cout).toBe(1);
    expect(cout).toMatch(/the terminal tier cannot run on this machine, and in CI a skipped tier is a failure: no pseudo-terminal/);
  });

  it('npm run demo: one line that names the missing feature and its fix, exit 1, no stack trace', () => {
    const r = run([path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/demo.ts'], { DOM0UP_MACHINE_MISSING: 'namespaces' });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(1);
    if (isRoot) expect(out).toMatch(/cannot run here: missing (.+, )?namespaces: namespaces — .*to get it: a kernel with namespaces/);
    else expect(out).toMatch(/needs root/);
    expect(out).not.toMatch(/^\s+at /m);
  });

  it('the SSH benchmarks: "skipped" with the reason, no crash', () => {
    const r = run([path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bench/run.mjs', 'overhead'], { DOM0UP_MACHINE_MISSING: 'sshd' });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/skipped: the test bed cannot run here \(missing (.+, )?sshd: sshd — .*apt-get install openssh-server/);
  });
});
