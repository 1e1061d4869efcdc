import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { runCli } from '../helpers/run-cli.js';
import { run } from '../../src/cli.js';

const golden = (p: string) => fileURLToPath(new URL(`../../golden/${p}`, import.meta.url));
const FRESH = golden('fresh-after-yum/input.conf');
let tmp: string;
beforeEach(() => { tmp = mkdtempSync(path.join(tmpdir(), 'dom0up-cli-')); });
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('grub show', () => {
  it('--json follows the documented contract', async () => {
    const r = await runCli(['grub', 'show', golden('already-xen-retune/input.conf'), '--json']);
    expect(r.exit).toBe(0);
    const v = JSON.parse(r.stdout.toString());
    expect(Object.keys(v)).toEqual(expect.arrayContaining(['entries', 'default', 'boots', 'fallback', 'findings']));
    expect(v.default).toBe('0');
    expect(v.boots).toBe(0);
    expect(v.fallback).toEqual([]);
    expect(v.entries[0]).toMatchObject({ index: 0, kind: 'xen', title: 'CentOS (4.9.241-37.el6.x86_64)', version: '4.9.241-37.el6.x86_64', kernel: { path: '/xen.gz' }, initrd: null });
    expect(v.entries[0].modules).toHaveLength(2);
    expect(v.entries[1]).toMatchObject({ index: 1, kind: 'linux', initrd: '/initramfs-2.6.32-754.el6.x86_64.img' });
  });
  it('human output marks the entry GRUB boots', async () => {
    const r = await runCli(['grub', 'show', FRESH]);
    expect(r.stdout.toString()).toMatch(/^\* +0 +CentOS \(4\.9\.241-37\.el6\.x86_64\)/m);
  });
  it('reads stdin with -', async () => {
    const stdin = new PassThrough();
    const out: Buffer[] = [];
    const stdout = new PassThrough();
    stdout.on('data', (c: Buffer) => out.push(c));
    stdin.end('title A\n\tkernel /vmlinuz-4.9 ro\n');
    const code = await run(['grub', 'show', '-', '--json'], { stdout, stderr: new PassThrough(), stdin, env: {} });
    expect(code).toBe(0);
    expect(JSON.parse(Buffer.concat(out).toString()).entries[0].kernel.path).toBe('/vmlinuz-4.9');
  });
});

describe('grub lint', () => {
  it('prints FILE:LINE: severity: message and exits 1 on errors', async () => {
    const r = await runCli(['grub', 'lint', golden('menu-command-in-entry-refused/input.conf')]);
    expect(r.exit).toBe(1);
    expect(r.stdout.toString()).toMatch(/input\.conf:5: error: "default" after a title/);
  });
  it('exits 0 with warnings only', async () => {
    const r = await runCli(['grub', 'lint', golden('seed-centos610/input.conf')]);
    expect(r.exit).toBe(0);
    expect(r.stdout.toString().trim().split('\n')).toHaveLength(4);
    expect(r.stdout.toString()).toContain('input.conf:16: warning: backslash-newline inside a word');
  });
});

describe('grub plan', () => {
  it('--detailed-exitcode: 2 with changes, 0 without, 1 on error', async () => {
    expect((await runCli(['grub', 'plan', FRESH, '--detailed-exitcode'])).exit).toBe(2);
    expect((await runCli(['grub', 'plan', FRESH])).exit).toBe(0);
    expect((await runCli(['grub', 'plan', golden('already-xen-nothing-to-do/input.conf'), '--detailed-exitcode', '--dom0-mem', '1024M'])).exit).toBe(0);
    expect((await runCli(['grub', 'plan', FRESH, '--detailed-exitcode', '--dom0-vcpus', '0'])).exit).toBe(1);
  });
  it('colour only when asked or on a TTY, never with NO_COLOR', async () => {
    expect((await runCli(['grub', 'plan', FRESH])).stdout.toString()).not.toContain('\u001b[');
    expect((await runCli(['grub', 'plan', FRESH, '--color'])).stdout.toString()).toContain('\u001b[32m+');
    const tty = new PassThrough() as PassThrough & { isTTY: boolean };
    tty.isTTY = true;
    const chunks: Buffer[] = [];
    tty.on('data', (c: Buffer) => chunks.push(c));
    await run(['grub', 'plan', FRESH], { stdout: tty, stderr: new PassThrough(), env: { NO_COLOR: '1' } });
    expect(Buffer.concat(chunks).toString()).not.toContain('\u001b[');
    chunks.length = 0;
    await run(['grub', 'plan', FRESH], { stdout: tty, stderr: new PassThrough(), env: {} });
    expect(Buffer.concat(chunks).toString()).toContain('\u001b[');
  });
  it('--json is one document on stdout', async () => {
    const r = await runCli(['grub', 'plan', FRESH, '--json', '--dom0-mem', '2G']);
    const j = JSON.parse(r.stdout.toString());
    expect(j).toMatchObject({ changed: true, action: 'converted', kernel: '4.9.241-37.el6.x86_64', hypervisorArgs: 'dom0_mem=2G,max:2G', boots: { before: 0, after: 0 } });
    expect(j.diff).toMatch(/^--- a\/etc\/grub\.conf\n\+\+\+ b\/etc\/grub\.conf\n/);
  });
  it('user errors are one line and a hint, exit 1; usage errors too', async () => {
    const missing = await runCli(['grub', 'plan', path.join(tmp, 'nope.conf')]);
    expect(missing.exit).toBe(1);
    expect(missing.stderr).toMatch(/^dom0up: error: .*nope\.conf: no such file\nhint: /);
    const usage = await runCli(['grub', 'plan', FRESH, '--dom0-memory', '1G']);
    expect(usage.exit).toBe(1);
    expect(usage.stderr).toMatch(/Unknown argument/);
    expect(usage.stderr).not.toMatch(/ at .*\.ts:/);
  });
});

describe('grub apply', () => {
  function centosLayout(content: string) {
    mkdirSync(path.join(tmp, 'etc'));
    mkdirSync(path.join(tmp, 'boot/grub'), { recursive: true });
    const real = path.join(tmp, 'boot/grub/grub.conf');
    writeFileSync(real, content, { mode: 0o600 });
    chmodSync(real, 0o600);
    symlinkSync('grub.conf', path.join(tmp, 'boot/grub/menu.lst'));
    symlinkSync('../boot/grub/grub.conf', path.join(tmp, 'etc/grub.conf'));
    return { real, link: path.join(tmp, 'etc/grub.conf'), menu: path.join(tmp, 'boot/grub/menu.lst') };
  }

  it('--in-place writes the real file through the symlinks, keeps mode and a backup', async () => {
    const before = readFileSync(FRESH);
    const { real, link, menu } = centosLayout(before.toString());
    const r = await runCli(['grub', 'apply', link, '--in-place', '--dom0-mem', '1024M']);
    expect(r.exit).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../boot/grub/grub.conf');
    expect(lstatSync(menu).isSymbolicLink()).toBe(true);
    expect(statSync(real).mode & 0o777).toBe(0o600);
    expect(readFileSync(real, 'utf8')).toContain('kernel /xen.gz dom0_mem=1024M,max:1024M');
    const backups = readdirSync(path.dirname(real)).filter((f) => f.startsWith('grub.conf.dom0up-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(path.join(path.dirname(real), backups[0]!)).equals(before)).toBe(true);
    expect(r.stderr).toContain(`wrote ${real}`);
    // a second run writes nothing
    const again = await runCli(['grub', 'apply', link, '--in-place', '--dom0-mem', '1024M']);
    expect(again.stderr).toContain('nothing written');
    expect(readdirSync(path.dirname(real)).filter((f) => f.startsWith('grub.conf.dom0up-'))).toHaveLength(1);
  });

  it('also through a two-level chain /etc/grub.conf -> menu.lst -> grub.conf', async () => {
    const { real, menu } = centosLayout(readFileSync(FRESH, 'utf8'));
    rmSync(path.join(tmp, 'etc/grub.conf'));
    symlinkSync('../boot/grub/menu.lst', path.join(tmp, 'etc/grub.conf'));
    expect((await runCli(['grub', 'apply', path.join(tmp, 'etc/grub.conf'), '--in-place'])).exit).toBe(0);
    expect(lstatSync(menu).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain('kernel /xen.gz');
  });

  it('refused input writes nothing at all', async () => {
    const { real } = centosLayout(readFileSync(FRESH, 'utf8'));
    const r = await runCli(['grub', 'apply', real, '--in-place', '--xen-arg', 'cpufrep=xen']);
    expect(r.exit).toBe(1);
    expect(readFileSync(real).equals(readFileSync(FRESH))).toBe(true);
    expect(readdirSync(path.dirname(real)).sort()).toEqual(['grub.conf', 'menu.lst']);
  });

  it('keeps non-UTF-8 bytes exactly', async () => {
    const bytes = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\n'), readFileSync(FRESH)]);
    const f = path.join(tmp, 'latin1.conf');
    writeFileSync(f, bytes);
    const out = path.join(tmp, 'out.conf');
    expect((await runCli(['grub', 'apply', f, '-o', out])).exit).toBe(0);
    const result = readFileSync(out);
    expect(result.subarray(0, 8).equals(bytes.subarray(0, 8))).toBe(true);
    expect(result.toString('latin1')).toContain('kernel /xen.gz');
  });

  it('needs exactly one of -o and --in-place', async () => {
    expect((await runCli(['grub', 'apply', FRESH])).exit).toBe(1);
    expect((await runCli(['grub', 'apply', FRESH, '-o', path.join(tmp, 'x'), '--in-place'])).exit).toBe(1);
    expect(existsSync(path.join(tmp, 'x'))).toBe(false);
  });
});
