// `npm run demo` (the README's quick start) as a person runs it: scripts/demo.ts on a real terminal,
// once to the end and once interrupted with Ctrl-C while dom0up works. The build is npm test's own
// (the demo script is run with tsx, as `npm run demo` does after building).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeTestbed } from '../testbed/vitest.js';
import { ROOT, SPINNER_FRAMES, TermSession, personEnv } from './pty.js';
import { describeTerminal } from './tier.js';

const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const env = () => personEnv(Object.fromEntries(['DOM0UP_TESTBED_STATE', 'DOM0UP_TESTBED_PORT', 'DOM0UP_TESTBED_RUN'].map((k) => [k, process.env[k]])));

async function exited(s: TermSession, ms: number) {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([s.exit, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`no exit within ${ms} ms:\n${s.text()}`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** The simulated host's fleet dir, from the --known-hosts path the demo shows in its commands. */
const fleetDirOf = (text: string) => /--known-hosts (\S+)\/known_hosts/.exec(text)?.[1] ?? null;

describeTerminal('npm run demo on a terminal', () => {
  describeTestbed('with a simulated host', () => {
    it('runs facts, apply, verify and a second plan; ends with the sentence of success; the host is gone afterwards', async () => {
      const s = TermSession.spawn(process.execPath, [TSX, 'scripts/demo.ts'], { cols: 100, rows: 40, env: env() });
      try {
        const e = await exited(s, 170_000);
        const text = s.text();
        expect(text).not.toMatch(/dom0up: internal error|RangeError|demo: .*Error/);
        expect(e.exitCode, text).toBe(0);
        for (const cmd of ['facts', 'apply', 'verify', 'plan']) expect(text).toMatch(new RegExp(`^\\$ dom0up ${cmd} root@`, 'm'));
        expect(text).toMatch(/^root@[\d.]+:\d+: verified/m);
        expect(s.lines().at(-1)).toBe('demo: the host runs Xen with the requested Dom0, and a second plan has nothing to change.');
        expect(s.lines().filter((l) => SPINNER_FRAMES.test(l))).toEqual([]);
        expect(s.lines().filter((l) => /^\d\d:\d\d:\d\d /.test(l))).toEqual([]);
        const dir = fleetDirOf(text);
        expect(dir).not.toBeNull();
        expect(existsSync(dir!)).toBe(false);
      } finally {
        s.dispose();
      }
    });

    it('Ctrl-C during apply: dom0up stops after its step and releases the lock before the host is stopped; exit 130', async () => {
      const s = TermSession.spawn(process.execPath, [TSX, 'scripts/demo.ts'], { cols: 100, rows: 40, env: env() });
      try {
        await s.waitFor(/^✔ (lock|repo|gpg-key): /m, 120_000);
        s.ctrlC();
        const e = await exited(s, 120_000);
        const text = s.text();
        expect(text).not.toMatch(/dom0up: internal error/);
        expect(e.exitCode, text).toBe(130);
        expect(text).toMatch(/dom0up: SIGINT: stopping after the current step/);
        expect(text).toMatch(/^dom0up: error: root@[\d.]+:\d+: [a-z][a-z -]*: interrupted \(SIGINT\)/m);
        // the host was still there when dom0up released its lock
        expect(text).not.toMatch(/could not release|the connection was lost|does not answer/);
        expect(text).toMatch(/^demo: interrupted \(dom0up exited 130\); stopping the simulated host$/m);
        const dir = fleetDirOf(text);
        expect(dir).not.toBeNull();
        expect(existsSync(dir!)).toBe(false);
      } finally {
        s.dispose();
      }
    });
  });
});
