// `dom0up apply` on several hosts, on a real terminal: the progress board (one line per host, redrawn
// in place) as a person sees it once the terminal emulator has applied every redraw — one final line
// per host, no stale rows, no escape sequence cut in half — then the summary; and the hosts boot Xen.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { bootLog, readHostFile } from '../testbed/index.js';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { BUNDLED, SPINNER_FRAMES, TermSession, personEnv } from './pty.js';
import { describeTerminal } from './tier.js';

const FAST = { downtimeMs: 300, rebootDelayMs: 100, xenPanicRebootMs: 300, xencommonsDelayMs: 200, yumLineDelayMs: 5 } as const;
const home = mkdtempSync(path.join(tmpdir(), 'dom0up-tty-home-'));

describeTerminal('apply on several hosts on a terminal', () => {
  describeTestbed('against simulated hosts', () => {
    const fleet = useFleet([{ name: 'tty-fleet-a' }, { name: 'tty-fleet-b' }], FAST);

    it("asks once, 'y': the board ends with one ✔ line per host, then the summary; both hosts boot Xen", async () => {
      const [a, b] = fleet().hosts;
      const args = ['apply', `root@${a!.host}`, `root@${b!.host}`, '--identity', a!.privateKeyPath, '--known-hosts', fleet().knownHostsPath, '-p', String(a!.port), '--ssh-config', '/dev/null', '--dom0-mem', '1024M', '--dom0-vcpus', '2', '--pin'];
      // 60 columns: the board's rows are cut to the width (colour codes and all)
      const s = TermSession.node(BUNDLED, args, { cols: 60, rows: 30, env: personEnv({ HOME: home, DOM0UP_LOG_DIR: path.join(home, 'logs') }) });
      let boardSeen = false;
      s.watch(() => {
        if (s.viewport().some((r) => /^› (centos|tty|root|127)/.test(r) || / tty-fleet-[ab]\s/.test(r))) boardSeen = true;
      });
      try {
        await s.waitFor(/Apply to 2 host\(s\)\? \[y\/N\] *$/, 90_000);
        s.type('y\r');
        let t: NodeJS.Timeout | undefined;
        const e = await Promise.race([s.exit, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`no exit:\n${s.text()}`)), 170_000)))]);
        clearTimeout(t);
        const text = s.text();
        expect(text).not.toMatch(/dom0up: internal error/);
        expect(text).not.toMatch(/\u001b|\[\d+(;\d+)*m/);
        expect(s.lines().filter((l) => SPINNER_FRAMES.test(l))).toEqual([]);
        expect(e.exitCode, text).toBe(0);
        expect(boardSeen, text).toBe(true);
        // after the answer: each host's final board line once, no row left over from a redraw
        const after = s.lines().slice(s.lines().findIndex((l) => /Apply to 2 host\(s\)\? \[y\/N\] y$/.test(l)) + 1);
        for (const h of [a!, b!]) {
          const rows = after.filter((l) => l.includes(h.host) && /^[✔✖›·] /.test(l));
          expect(rows.length, `${h.host}:\n${after.join('\n')}`).toBe(1);
          expect(rows[0]).toMatch(/^✔ /);
        }
        expect(after.filter((l) => /^[›·] /.test(l))).toEqual([]);
        for (const l of after) expect(l.length, l).toBeLessThanOrEqual(60 * 4);
      } finally {
        s.dispose();
      }
      for (const h of [a!, b!]) {
        expect((await bootLog(h)).at(-1)).toMatchObject({ hypervisor: 'xen', result: 'up', dom0MemMiB: 1024 });
        expect(await readHostFile(h, '/var/lib/dom0up/lock')).toBeNull();
      }
    });
  });
});
