// rebootAndWait's failure paths, over a scripted transport (what the host answers is the test's:
// the old boot_id, a new one, no answer, a non-zero exit): the reboot command failing, the host
// never going down, the marker missing, the host never coming back, and the success it must see
// (a new boot_id on a new connection). The reboot command itself is judged by /bin/sh below.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rebootAndWait, rebootCommand, REBOOT_MARKER } from '../../src/apply/reboot.js';
import type { ExecResult, Transport } from '../../src/transport/index.js';

const OLD = '6f3e054e-cb93-4824-9e97-3a666a09d9af';
const NEW = '0b6c2b1e-2d5f-4d8e-9a1a-1c2d3e4f5a6b';
const res = (code: number | null, stdout = '', stderr = '', lost = false): ExecResult => ({ code, signal: null, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), lost, timedOut: false, durationMs: 1 });

/** A transport answering each command with `answer`; `drop()` closes it as a lost connection would. */
function fake(answer: (script: string) => ExecResult) {
  const closers: (() => void)[] = [];
  const sent: string[] = [];
  const t: Transport & { sent: string[]; drop(): void } = {
    target: 'root@h',
    roundTrips: 0,
    sent,
    async exec(script) {
      sent.push(script);
      return answer(script);
    },
    async close() {},
    onClose(cb) {
      closers.push(() => cb('end' as never));
    },
    drop() {
      for (const c of closers) c();
    },
  };
  return t;
}

describe('rebootAndWait', () => {
  it('the reboot command fails: the error names the phase and the exit status, no reconnect is tried', async () => {
    const t = fake(() => res(1, '', 'sudo: a password is required'));
    let reconnects = 0;
    await expect(rebootAndWait({ transport: t, reconnect: async () => (reconnects++, t), bootId: OLD, deadline: Date.now() + 10_000 })).rejects.toMatchObject({
      host: 'root@h', phase: 'reboot', message: expect.stringMatching(/the reboot command failed \(exit 1\): sudo: a password is required/),
    });
    expect(reconnects).toBe(0);
  });

  it('the host never goes down (the connection stays, the old boot answers): refused after the drop timeout, naming the phase', async () => {
    const t = fake((s) => (s.includes('boot_id') && !s.includes('shutdown') ? res(0, `${OLD}\n`) : res(0)));
    const started = Date.now();
    await expect(rebootAndWait({ transport: t, reconnect: async () => t, bootId: OLD, deadline: Date.now() + 30_000, dropTimeoutMs: 1000 })).rejects.toMatchObject({
      phase: 'reboot', message: 'root@h: reboot: the host did not go down within 1 s of the reboot command',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the old boot answers again without the marker (the command never ran) and the caller knows what that means: its error is thrown', async () => {
    const t = fake(() => res(0));
    setTimeout(() => t.drop(), 50);
    const again = fake((s) => res(0, `${OLD}\n\n`));
    await expect(rebootAndWait({ transport: t, reconnect: async () => again, bootId: OLD, deadline: Date.now() + 10_000, onMarkerMissing: () => new Error('marker missing'), send: async () => res(0) })).rejects.toThrow('marker missing');
  });

  it('the host never comes back: the deadline error names the phase and carries the advice', async () => {
    const t = fake(() => res(0));
    setTimeout(() => t.drop(), 50);
    await expect(rebootAndWait({ transport: t, reconnect: async () => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); }, bootId: OLD, deadline: Date.now() + 1500, pollMs: 50, advice: 'use the console' })).rejects.toMatchObject({
      phase: 'reboot (waiting for the host)', hint: 'use the console', message: expect.stringMatching(/the host did not come back within the deadline .*last error: connect ECONNREFUSED/),
    });
  });

  it('success is a new boot_id on a new connection (the old one seen first does not count)', async () => {
    const t = fake(() => res(0));
    setTimeout(() => t.drop(), 50);
    const token = { v: '' };
    let n = 0;
    const conns = [fake(() => res(0, `${OLD}\n${token.v}\n`)), fake(() => res(0, `${NEW}\n`))];
    const r = await rebootAndWait({ transport: t, reconnect: async () => conns[Math.min(n++, 1)]!, bootId: OLD, deadline: Date.now() + 10_000, send: async (tok) => ((token.v = tok), res(0)) });
    expect(r).toMatchObject({ newBootId: NEW, attempts: 2 });
    expect(r.transport).toBe(conns[1]);
  });
});

describe('the reboot command, run by /bin/sh', () => {
  it('leaves the marker with the token before it starts the shutdown, detached (the command returns at once)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-reboot-'));
    try {
      // the marker and shutdown pointed into the temp dir: the text of the command is what runs
      const script = rebootCommand('TOKEN 123').replaceAll(REBOOT_MARKER, path.join(dir, 'marker')).replace('/sbin/shutdown -r now', `touch ${path.join(dir, 'shutdown-ran')}`);
      execFileSync('/bin/sh', ['-c', script]);
      // returned before the shutdown ran (it waits half a second, detached)
      expect(existsSync(path.join(dir, 'shutdown-ran'))).toBe(false);
      expect(readFileSync(path.join(dir, 'marker'), 'utf8')).toBe('TOKEN 123\n');
      execFileSync('/bin/sh', ['-c', `i=0; while [ ! -e ${path.join(dir, 'shutdown-ran')} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`]);
      expect(() => readFileSync(path.join(dir, 'shutdown-ran'))).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
