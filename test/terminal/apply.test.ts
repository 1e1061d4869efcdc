// `dom0up apply` as a person runs it: the bundled bin on a real terminal against simulated CentOS
// 6.10 hosts (test/testbed) over real SSH, no --yes. The screen is judged after a terminal emulator
// has applied every cursor movement and erase: the plan and the question are shown, 'n' changes
// nothing, 'y' provisions the host with one finished line per step and no spinner frame left behind,
// Ctrl-C during the run stops it between steps with exit 130, names the step, and releases the lock.
// The host's own state (its disk, its boot log, its GRUB reader) is the judge of what happened.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { bootLog, firmwareBatch, readHostFile, type Fleet, type TestHost } from '../testbed/index.js';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { BUNDLED, SPINNER_FRAMES, TermSession, personEnv } from './pty.js';
import { describeTerminal } from './tier.js';

const LOCK = '/var/lib/dom0up/lock';
const REPO = '/etc/yum.repos.d/xen4centos-410.repo';
const FAST = { downtimeMs: 300, rebootDelayMs: 100, xenPanicRebootMs: 300, xencommonsDelayMs: 200, yumLineDelayMs: 5 } as const;
const DOM0 = ['--dom0-mem', '1024M', '--dom0-vcpus', '2', '--pin'];
const home = mkdtempSync(path.join(tmpdir(), 'dom0up-tty-home-'));
const env = personEnv({ HOME: home, DOM0UP_LOG_DIR: path.join(home, 'logs') });
const PROMPT = /Apply these changes to root@[\d.]+:\d+\? \[y\/N\] *$/;

function apply(fleet: Fleet, h: TestHost, cols = 100, rows = 40, o: { unknownSize?: boolean; extra?: string[] } = {}): TermSession {
  const args = ['apply', `root@${h.host}`, '--identity', h.privateKeyPath, '--known-hosts', fleet.knownHostsPath, '-p', String(h.port), '--ssh-config', '/dev/null', ...DOM0, ...(o.extra ?? [])];
  return TermSession.node(BUNDLED, args, { cols, rows, env, ...(o.unknownSize ? { unknownSize: true } : {}) });
}

/** Waits for the exit, at most ms. */
async function exited(s: TermSession, ms = 150_000) {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([s.exit, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`no exit within ${ms} ms:\n${s.text()}`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** What GRUB (the test bed's own reader) boots from the host's grub.conf. */
async function grubDefault(h: TestHost) {
  const conf = (await readHostFile(h, '/etc/grub.conf'))!;
  const [r] = firmwareBatch([{ conf }]);
  return r!.config!.entries[r!.config!.default]!;
}

/** Records every spinner frame that was on the screen at some moment. */
function spinnerSeen(s: TermSession): { frames: string[] } {
  const seen = { frames: [] as string[] };
  s.watch(() => {
    for (const row of s.viewport()) if (SPINNER_FRAMES.test(row.slice(0, 2)) && seen.frames.length < 500) seen.frames.push(row);
  });
  return seen;
}

function expectCleanScreen(s: TermSession) {
  const text = s.text();
  expect(text).not.toMatch(/dom0up: internal error|RangeError|Maximum call stack/);
  // every spinner frame was erased: none is left anywhere in the scrollback
  expect(s.lines().filter((l) => SPINNER_FRAMES.test(l))).toEqual([]);
  // no escape sequence printed as text (e.g. one cut in half)
  expect(text).not.toMatch(/\u001b|\[\d+(;\d+)*m/);
}

describeTerminal('apply on a terminal', () => {
  describeTestbed('against simulated hosts', () => {
    const fleet = useFleet([{ name: 'tty-no' }, { name: 'tty-yes' }, { name: 'tty-int', yumLineDelayMs: 80 }, { name: 'tty-nosize' }], FAST);
    const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

    it("shows the plan and asks; 'n' changes nothing, exit 0", async () => {
      const h = host('tty-no');
      const before = { grub: await readHostFile(h, '/boot/grub/grub.conf'), boots: (await bootLog(h)).length };
      const s = apply(fleet(), h);
      try {
        await s.waitFor(PROMPT, 60_000);
        // the question is the last thing on the screen, after the plan
        expect(s.lines().at(-1)).toMatch(PROMPT);
        expect(s.text()).toMatch(/^Plan for root@[\d.]+:\d+ \(apply\)$/m);
        expect(s.text()).toMatch(/yum -y install xen/);
        expect(s.text()).toMatch(/^✔ facts: CentOS release 6\.10/m);
        s.type('n\r');
        const e = await exited(s);
        expectCleanScreen(s);
        expect(e.exitCode, s.text()).toBe(0);
        // the answer stays on the question's line, the outcome follows it
        const lines = s.lines();
        const q = lines.findIndex((l) => /^Apply these changes to root@[\d.]+:\d+\? \[y\/N\] n$/.test(l));
        expect(q, s.text()).toBeGreaterThan(0);
        expect(lines.slice(q + 1).join('\n')).toMatch(/cancelled: nothing was changed/);
      } finally {
        s.dispose();
      }
      expect(await readHostFile(h, '/boot/grub/grub.conf')).toBe(before.grub);
      expect(await readHostFile(h, REPO)).toBeNull();
      expect(await readHostFile(h, LOCK)).toBeNull();
      expect((await bootLog(h)).length).toBe(before.boots);
    });

    it('Ctrl-C at the question: stopped as interrupted (exit 130), nothing changed', async () => {
      const h = host('tty-no');
      const grub = await readHostFile(h, '/boot/grub/grub.conf');
      const s = apply(fleet(), h);
      try {
        await s.waitFor(PROMPT, 60_000);
        s.ctrlC();
        const e = await exited(s);
        expectCleanScreen(s);
        // readline holds the terminal in raw mode, so the key is not a signal: dom0up must still
        // treat it as the interrupt it is (exit 130), not as a quiet "no" (exit 0)
        expect(e.exitCode, s.text()).toBe(130);
        expect(s.text()).toMatch(/interrupted/);
        expect(s.text()).toMatch(/nothing was changed|before any change/);
      } finally {
        s.dispose();
      }
      expect(await readHostFile(h, '/boot/grub/grub.conf')).toBe(grub);
      expect(await readHostFile(h, REPO)).toBeNull();
      expect(await readHostFile(h, LOCK)).toBeNull();
    });

    // `script` from a pipe, `ssh -t` from a pipe, a serial console: the terminal says 0 columns. ora then
    // computed Infinity lines to erase and spun forever on the first step ("reading the host"), found
    // by running `npm run demo` under `script`
    it('on a terminal that reports no size (0×0): apply --yes runs to the end, its spinners work, the host boots Xen', async () => {
      const h = host('tty-nosize');
      const s = apply(fleet(), h, 100, 40, { unknownSize: true, extra: ['--yes'] });
      const seen = spinnerSeen(s);
      try {
        const e = await exited(s, 60_000);
        expect(s.text()).not.toMatch(/dom0up: internal error|RangeError|Maximum call stack/);
        expect(e.exitCode, s.text()).toBe(0);
        expect(seen.frames.length, s.text()).toBeGreaterThan(0);
        expect(s.text()).toMatch(/^root@[\d.]+:\d+: verified/m);
      } finally {
        s.dispose();
      }
      expect((await bootLog(h)).at(-1)).toMatchObject({ hypervisor: 'xen', result: 'up', dom0MemMiB: 1024 });
    });

    it("'y' on a 72-column terminal: one finished line per step, spinners erased, the host boots Xen", async () => {
      const h = host('tty-yes');
      const s = apply(fleet(), h, 72, 30);
      const seen = spinnerSeen(s);
      try {
        await s.waitFor(PROMPT, 60_000);
        s.type('y\r');
        const e = await exited(s);
        expectCleanScreen(s);
        expect(e.exitCode, s.text()).toBe(0);
        // the spinner was on the screen while the steps ran (a person saw progress)…
        expect(seen.frames.length, s.text()).toBeGreaterThan(0);
        expect(seen.frames.some((f) => /yum|reboot|verif/i.test(f))).toBe(true);
        // …and each step left one line: ✔ (done) or ℹ (skipped) and its text
        const after = s.lines().slice(s.lines().findIndex((l) => PROMPT.test(l) || /\[y\/N\] y$/.test(l)) + 1);
        const steps = after.filter((l) => /^[✔✖ℹ] /.test(l));
        expect(steps.length, after.join('\n')).toBeGreaterThanOrEqual(4);
        for (const word of ['yum', 'grub', 'reboot', 'verify']) expect(steps.some((l) => l.includes(word)), `${word} in\n${steps.join('\n')}`).toBe(true);
        expect(steps.filter((l) => l.startsWith('✖'))).toEqual([]);
        // nothing in the plain, timestamped format of a non-terminal run between them
        expect(after.filter((l) => /^\d\d:\d\d:\d\d /.test(l))).toEqual([]);
        expect(s.text()).toMatch(/^root@[\d.]+:\d+: verified/m);
      } finally {
        s.dispose();
      }
      const last = (await bootLog(h)).at(-1)!;
      expect(last).toMatchObject({ hypervisor: 'xen', result: 'up', dom0MemMiB: 1024, dom0Vcpus: 2 });
      expect((await grubDefault(h)).commands.join('\n')).toMatch(/kernel \/xen\.gz dom0_mem=1024M,max:1024M/);
      expect(await readHostFile(h, LOCK)).toBeNull();
    });

    it('Ctrl-C while yum runs: the run stops after the step, exit 130, the message names the step, the lock is released', async () => {
      const h = host('tty-int');
      const boots = (await bootLog(h)).length;
      const s = apply(fleet(), h);
      try {
        await s.waitFor(PROMPT, 60_000);
        s.type('y\r');
        // the spinner shows yum working
        const deadline = Date.now() + 60_000;
        while (!s.viewport().some((r) => SPINNER_FRAMES.test(r.slice(0, 2)) && /yum/.test(r))) {
          if (s.exited || Date.now() > deadline) throw new Error(`no yum spinner:\n${s.text()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        s.ctrlC();
        const e = await exited(s);
        expectCleanScreen(s);
        expect(e.exitCode, s.text()).toBe(130);
        expect(s.text()).toMatch(/dom0up: SIGINT: stopping after the current step, then releasing the host lock/);
        const m = /^dom0up: error: root@[\d.]+:\d+: ([a-z][a-z -]*[a-z]): interrupted \(SIGINT\)/m.exec(s.text());
        expect(m, s.text()).not.toBeNull();
        expect(s.text()).toMatch(/^hint: /m);
      } finally {
        s.dispose();
      }
      expect(await readHostFile(h, LOCK)).toBeNull();
      // no reboot, and GRUB still boots the kernel the host runs
      expect((await bootLog(h)).length).toBe(boots);
      expect((await grubDefault(h)).title).toMatch(/2\.6\.32-754/);
    });
  });
});
