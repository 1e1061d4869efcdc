// Local writes (`grub apply -o OUT`, `--in-place`) never follow a symbolic link that another user could
// have planted, and `--in-place` is a compare-and-swap: a file changed between the read and the write is
// refused, never overwritten. The links are planted as another user would (lchown to nobody), so these
// cases need root; the controller runs dom0up as root, which is when a planted link is dangerous.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { runCli } from '../helpers/run-cli.js';
import { writeFileAtomic } from '../../src/io/text-file.js';

// between the read of --in-place and its write, another program edits the file (see the CAS test)
const between = vi.hoisted(() => ({ fn: null as null | (() => void) }));
vi.mock('../../src/plan/unified-diff.js', async (orig) => {
  const m = await orig<typeof import('../../src/plan/unified-diff.js')>();
  return { ...m, unifiedDiff: (...a: Parameters<typeof m.unifiedDiff>) => { between.fn?.(); return m.unifiedDiff(...a); } };
});

const FRESH = fileURLToPath(new URL('../../golden/fresh-after-yum/input.conf', import.meta.url));
const root = process.getuid?.() === 0;
if (!root) console.warn('*** local-write tests that plant links as another user are SKIPPED: they need root (lchown) ***');
const NOBODY = 65534;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let tmp: string;
let victim: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'dom0up-lw-'));
  mkdirSync(path.join(tmp, 'private'), { mode: 0o700 });
  victim = path.join(tmp, 'private', 'secret');
  writeFileSync(victim, 'root-only secret\n', { mode: 0o600 });
});
afterEach(() => {
  between.fn = null;
  rmSync(tmp, { recursive: true, force: true });
});

/** A world-writable sticky directory like /tmp. */
function stickyDir(): string {
  const d = path.join(tmp, 'shared');
  mkdirSync(d);
  chmodSync(d, 0o1777);
  return d;
}
function plant(link: string, target: string, uid = NOBODY): void {
  symlinkSync(target, link);
  lchownSync(link, uid, uid);
}

describe.skipIf(!root)('local writes refuse links another user could have planted', () => {
  it('-o through a link another user planted in a sticky world-writable directory: refused, the target untouched', async () => {
    const link = path.join(stickyDir(), 'out.conf');
    plant(link, victim);
    const r = await runCli(['grub', 'apply', FRESH, '-o', link]);
    expect(r.stderr).toMatch(/^dom0up: error: .*out\.conf: a symbolic link owned by uid 65534: dom0up does not follow links another user could have planted$/m);
    expect(r.exit).toBe(1);
    expect(readFileSync(victim, 'utf8')).toBe('root-only secret\n');
    expect(readdirSync(path.dirname(victim))).toEqual(['secret']);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('-o through a link in a directory another user owns: refused', async () => {
    const d = path.join(tmp, 'home');
    mkdirSync(d);
    chownSync(d, NOBODY, NOBODY);
    plant(path.join(d, 'out.conf'), victim);
    const r = await runCli(['grub', 'apply', FRESH, '-o', path.join(d, 'out.conf')]);
    expect(r.exit).toBe(1);
    expect(readFileSync(victim, 'utf8')).toBe('root-only secret\n');
  });

  it('a planted link as a directory component is refused too', async () => {
    const elsewhere = path.join(tmp, 'private');
    plant(path.join(stickyDir(), 'sub'), elsewhere);
    const r = await runCli(['grub', 'apply', FRESH, '-o', path.join(tmp, 'shared', 'sub', 'secret')]);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/sub: a symbolic link owned by uid 65534/);
    expect(readFileSync(victim, 'utf8')).toBe('root-only secret\n');
  });

  it('--in-place through a planted link: refused before reading or writing', async () => {
    const real = path.join(tmp, 'private', 'grub.conf');
    writeFileSync(real, readFileSync(FRESH), { mode: 0o600 });
    const before = readFileSync(real);
    plant(path.join(stickyDir(), 'grub.conf'), real);
    const r = await runCli(['grub', 'apply', path.join(tmp, 'shared', 'grub.conf'), '--in-place', '--dom0-mem', '1024M']);
    expect(r.exit).toBe(1);
    expect(readFileSync(real).equals(before)).toBe(true);
  });

  it('links of the user (or root) in a safe directory are still followed', async () => {
    const real = path.join(tmp, 'private', 'grub.conf');
    writeFileSync(real, readFileSync(FRESH), { mode: 0o600 });
    const d = stickyDir();
    symlinkSync(real, path.join(d, 'mine.conf')); // owned by us (root)
    const r = await runCli(['grub', 'apply', path.join(d, 'mine.conf'), '--in-place', '--dom0-mem', '1024M']);
    expect(r.exit, r.stderr).toBe(0);
    expect(readFileSync(real, 'utf8')).toContain('kernel /xen.gz');
    expect(lstatSync(path.join(d, 'mine.conf')).isSymbolicLink()).toBe(true);
  });

  it('a planted file name in a sticky directory is replaced, never written through', async () => {
    const d = stickyDir();
    const out = path.join(d, 'out.conf');
    writeFileSync(out, 'theirs\n');
    chownSync(out, NOBODY, NOBODY);
    const r = await runCli(['grub', 'apply', FRESH, '-o', out]);
    expect(r.exit, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('kernel /xen.gz');
  });
});

describe('--in-place is a compare-and-swap', () => {
  it('a file edited between the read and the write is refused, and the edit is kept', async () => {
    const real = path.join(tmp, 'grub.conf');
    writeFileSync(real, readFileSync(FRESH), { mode: 0o600 });
    const edited = readFileSync(FRESH, 'utf8').replace('timeout=5', 'timeout=7');
    between.fn = () => writeFileSync(real, edited); // grubby, an editor, a package
    const r = await runCli(['grub', 'apply', real, '--in-place', '--dom0-mem', '1024M']);
    expect(r.stderr).toMatch(/changed since it was read/);
    expect(r.exit).toBe(1);
    expect(readFileSync(real, 'utf8')).toBe(edited);
    expect(readdirSync(tmp).filter((n) => n.includes('dom0up'))).toEqual([]);
  });

  it('writeFileAtomic checks the expected sha256 right before the rename', async () => {
    const f = path.join(tmp, 'f');
    writeFileSync(f, 'one\n');
    await expect(writeFileAtomic(f, Buffer.from('two\n'), { expectSha256: sha('zero\n') })).rejects.toThrow(/changed since it was read/);
    expect(readFileSync(f, 'utf8')).toBe('one\n');
    await writeFileAtomic(f, Buffer.from('two\n'), { expectSha256: sha('one\n') });
    expect(readFileSync(f, 'utf8')).toBe('two\n');
    await expect(writeFileAtomic(path.join(tmp, 'new'), Buffer.from('x'), { expectSha256: 'absent' })).resolves.toMatchObject({ backupPath: null });
    await expect(writeFileAtomic(path.join(tmp, 'new'), Buffer.from('y'), { expectSha256: 'absent' })).rejects.toThrow(/changed since it was read/);
    expect(statSync(f).mode & 0o777).toBe(0o644);
  });
});
