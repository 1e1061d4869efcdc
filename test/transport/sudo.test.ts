/**
 * The sudo protocol (detection, plain, requiretty/pty staging) run against a local shell with a
 * FAKE sudo and id on PATH. The "pty" is simulated by an environment variable the fake sudo
 * checks; the real pty path is covered by ssh-live.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/transport/errors.js';
import { detectSudo, execSudoPty, sudoCommand, withRemoteTimeout, type RawExec } from '../../src/transport/sudo.js';
import { LocalTransport } from '../../src/transport/transport.js';

let tmp: string;
let remoteTmp: string;
let modeFile: string;
let local: LocalTransport;
let calls: { cmd: string; pty: boolean }[];

const FAKE_SUDO = `#!/bin/sh
mode=$(cat "$FAKE_SUDO_MODE_FILE")
[ "$mode" = missing ] && { echo "sh: 1: sudo: not found" >&2; exit 127; }
[ "$1" = "-n" ] || { echo "fake sudo: expected -n" >&2; exit 2; }
shift; [ "$1" = "--" ] && shift
case $mode in
  requiretty*) [ -n "$DOM0UP_FAKE_TTY" ] || { echo "sudo: sorry, you must have a tty to run sudo" >&2; exit 1; }
               printf 'pty noise\\r\\n' ;;
esac
case $mode in *password) echo "sudo: a password is required" >&2; exit 1 ;; esac
case $mode in denied) echo "sudo: user is not allowed to execute this" >&2; exit 1 ;; esac
DOM0UP_FAKE_SUDO=1; export DOM0UP_FAKE_SUDO
exec "$@"
`;
const FAKE_ID = `#!/bin/sh
[ "$1" = "-u" ] && { echo 4242; exit 0; }
exec /usr/bin/id "$@"
`;

const raw: RawExec = (cmd, opts = {}) => {
  calls.push({ cmd, pty: !!opts.pty });
  return local.exec(opts.pty ? `DOM0UP_FAKE_TTY=1; export DOM0UP_FAKE_TTY; ${cmd}` : cmd, opts);
};
const setMode = (m: string): void => writeFileSync(modeFile, m);

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dom0up-sudo-'));
  const bin = join(tmp, 'bin');
  remoteTmp = join(tmp, 'remote-tmp');
  mkdirSync(bin);
  mkdirSync(remoteTmp);
  writeFileSync(join(bin, 'sudo'), FAKE_SUDO, { mode: 0o755 });
  writeFileSync(join(bin, 'id'), FAKE_ID, { mode: 0o755 });
  modeFile = join(tmp, 'mode');
  local = new LocalTransport({ env: { PATH: `${bin}:/usr/bin:/bin`, TMPDIR: remoteTmp, FAKE_SUDO_MODE_FILE: modeFile, LC_ALL: 'C' } });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function detect(mode: string): Promise<string> {
  setMode(mode);
  calls = [];
  return detectSudo(raw, 'tester@h', 'tester');
}

describe('detectSudo', () => {
  it('root by name needs no round trip', async () => {
    calls = [];
    expect(await detectSudo(raw, 'root@h', 'root')).toBe('root');
    expect(calls).toEqual([]);
  });

  it('plain sudo: one non-pty round trip', async () => {
    expect(await detect('plain')).toBe('plain');
    expect(calls.map((c) => c.pty)).toEqual([false]);
  });

  it('requiretty: a second check under a pty', async () => {
    expect(await detect('requiretty')).toBe('pty');
    expect(calls.map((c) => c.pty)).toEqual([false, true]);
  });

  it('password prompts and other refusals are typed errors', async () => {
    for (const mode of ['password', 'requiretty-password']) {
      const e = await detect(mode).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TransportError);
      expect(e).toMatchObject({ code: 'sudo-password-required', target: 'tester@h' });
      expect((e as TransportError).hint).toContain('NOPASSWD');
    }
    await expect(detect('missing')).rejects.toMatchObject({ code: 'sudo-failed', message: expect.stringContaining('not installed') });
    await expect(detect('denied')).rejects.toMatchObject({ code: 'sudo-failed', message: expect.stringContaining('not allowed') });
  });
});

describe('running as root through sudo', () => {
  it('plain: sudo -n -- /bin/sh -c with stdin and exit code', async () => {
    setMode('plain');
    const r = await raw(sudoCommand('echo "$DOM0UP_FAKE_SUDO"; cat; exit 5'), { stdin: 'abc' });
    expect(r.stdout.toString()).toBe('1\nabc');
    expect(r.code).toBe(5);
  });

  it('requiretty: stdin staged, output and exit status read back without the pty, temp dir removed', async () => {
    setMode('requiretty');
    calls = [];
    const input = Buffer.concat([Buffer.from("x'y\r\n\0\u00ff"), randomBytes(100_000)]);
    const seen: Buffer[] = [];
    const r = await execSudoPty(raw, 'tester@h', 'tester', 'echo "$DOM0UP_FAKE_SUDO" >&2; cat; printf "\\n%s" "$1"; exit 6', {
      stdin: input,
      onStdout: (c) => seen.push(c),
    });
    expect(calls.map((c) => c.pty)).toEqual([false, true, false]);
    expect(r.code).toBe(6);
    expect(r.stdout.equals(Buffer.concat([input, Buffer.from('\n')]))).toBe(true);
    expect(r.stderr.toString()).toBe('1\n');
    expect(r.stdout.includes('pty noise')).toBe(false);
    expect(Buffer.concat(seen).equals(r.stdout)).toBe(true);
    expect(readdirSync(remoteTmp)).toEqual([]);
  });

  it('requiretty with no stdin and empty output', async () => {
    setMode('requiretty');
    const r = await execSudoPty(raw, 'tester@h', 'tester', 'true');
    expect(r).toMatchObject({ code: 0, lost: false, timedOut: false });
    expect(r.stdout.length + r.stderr.length).toBe(0);
  });

  it('requiretty but a password is asked: typed error, temp dir removed', async () => {
    setMode('requiretty-password');
    await expect(execSudoPty(raw, 'tester@h', 'tester', 'true')).rejects.toMatchObject({ code: 'sudo-password-required' });
    expect(readdirSync(remoteTmp)).toEqual([]);
  });

  it('withRemoteTimeout kills the script on the host', async () => {
    const started = Date.now();
    const r = await local.exec(withRemoteTimeout('sleep 30', 10, 0));
    // GNU timeout signals its whole process group, itself included
    expect(r.code === 137 || (r.code === null && r.signal === 'SIGKILL')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    const ok = await local.exec(withRemoteTimeout('echo "$0:ok"', 1000, 0));
    expect(ok.stdout.toString()).toBe('/bin/sh:ok\n');
  });
});
