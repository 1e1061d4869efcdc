// The per-host log is private (directory 0700, file 0600, whatever the umask) and written without
// following a link someone planted at its name; yum's output is in it once, not again as progress.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createProgress, hostLogPath } from '../../src/ui/progress.js';
import { Ui } from '../../src/ui/io.js';

let tmp: string;
let oldUmask: number;
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'dom0up-log-'));
  oldUmask = process.umask(0o022);
});
afterEach(() => {
  process.umask(oldUmask);
  rmSync(tmp, { recursive: true, force: true });
});

function ui(env: NodeJS.ProcessEnv): { ui: Ui; err: () => string } {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (c: Buffer) => chunks.push(c));
  return { ui: new Ui({ stdout: new PassThrough(), stderr, env }), err: () => Buffer.concat(chunks).toString('utf8') };
}

describe('per-host log', () => {
  it('directories 0700 and the file 0600, also under umask 022', async () => {
    const dir = path.join(tmp, 'state', 'dom0up', 'logs');
    const { ui: u } = ui({ XDG_STATE_HOME: path.join(tmp, 'state'), CI: '1' });
    const ev = await createProgress(u, 'root@h1', '20260101T000000Z-abcdef', { spinner: false });
    ev.phase('facts', 'reading the host');
    ev.stop();
    expect(ev.logPath).toBe(path.join(dir, 'root@h1-20260101T000000Z-abcdef.log'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(tmp, 'state', 'dom0up')).mode & 0o777).toBe(0o700);
    expect(statSync(ev.logPath).mode & 0o777).toBe(0o600);
  });

  it('an existing log directory of the user is made private', async () => {
    const dir = path.join(tmp, 'logs');
    mkdirSync(dir, { mode: 0o755 });
    const { ui: u } = ui({ DOM0UP_LOG_DIR: dir, CI: '1' });
    const ev = await createProgress(u, 'h1', 'r1', { spinner: false });
    ev.phase('facts', 'x');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('a link planted at the log file name is not followed', async () => {
    const dir = path.join(tmp, 'logs');
    mkdirSync(dir, { mode: 0o700 });
    const victim = path.join(tmp, 'victim');
    writeFileSync(victim, 'keep\n');
    symlinkSync(victim, hostLogPath('h1', 'r1', { DOM0UP_LOG_DIR: dir }));
    const { ui: u, err } = ui({ DOM0UP_LOG_DIR: dir, CI: '1' });
    const ev = await createProgress(u, 'h1', 'r1', { spinner: false });
    ev.phase('facts', 'x');
    ev.log('yum output\n');
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(err()).toMatch(/log/);
  });

  it("yum's output is logged once (raw), not again as timestamped progress", async () => {
    const dir = path.join(tmp, 'logs');
    const { ui: u } = ui({ DOM0UP_LOG_DIR: dir, CI: '1' });
    const ev = await createProgress(u, 'h1', 'r2', { spinner: false });
    ev.phase('yum', 'yum -y install xen');
    // what provision.ts does with each chunk of yum's stdout
    for (const chunk of ['Loaded plugins: fastestmirror\nResolving Dependencies\n', '--> Running transaction check\n', 'Complete!\n']) {
      ev.log(chunk);
      ev.progress(chunk.trim().split('\n').pop()!.slice(0, 100));
    }
    ev.progress('xl is not ready yet; retrying');
    ev.done('yum', 'ok', 'installed');
    const log = readFileSync(ev.logPath, 'utf8');
    for (const line of ['Resolving Dependencies', '--> Running transaction check', 'Complete!']) expect(log.split(line).length - 1, line).toBe(1);
    expect(log).toContain('xl is not ready yet; retrying');
    expect(existsSync(ev.logPath) && lstatSync(ev.logPath).isFile()).toBe(true);
  });
});
