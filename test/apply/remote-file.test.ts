// The remote atomic writer, run through LocalTransport against local files (same script the
// hosts run). ENOSPC is real: a 64 KiB tmpfs (needs root; skipped otherwise).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalTransport } from '../../src/transport/index.js';
import { readRemoteFile, sha256Hex, writeRemoteFile } from '../../src/apply/remote-file.js';

const t = new LocalTransport({ target: 'local' });
let dir: string;
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'dom0up-rw-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

describe('writeRemoteFile', () => {
  it('replaces the file, keeps its mode, keeps a backup, and refuses when the file changed', async () => {
    const f = path.join(dir, 'grub.conf');
    writeFileSync(f, 'old\n');
    chmodSync(f, 0o600);
    const r = await writeRemoteFile(t, { path: f, content: Buffer.from('new\n'), expect: sha256Hex(Buffer.from('old\n')), mode: 0o644, stamp: '20261127T000000Z' }, 'grub');
    expect(readFileSync(f, 'utf8')).toBe('new\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(r.backupPath).toBe(`${f}.dom0up-20261127T000000Z`);
    expect(readFileSync(r.backupPath!, 'utf8')).toBe('old\n');
    await expect(writeRemoteFile(t, { path: f, content: Buffer.from('x'), expect: sha256Hex(Buffer.from('old\n')), mode: 0o644, stamp: 's' }, 'grub')).rejects.toThrow(/changed since it was read/);
    expect(readFileSync(f, 'utf8')).toBe('new\n');
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('creates a new file with the given mode; refuses when "absent" is expected but a file is there', async () => {
    const f = path.join(dir, 'x.repo');
    await writeRemoteFile(t, { path: f, content: Buffer.from('[a]\n'), expect: 'absent', mode: 0o640, stamp: 's' }, 'repo');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    await expect(writeRemoteFile(t, { path: f, content: Buffer.from('[b]\n'), expect: 'absent', mode: 0o640, stamp: 's' }, 'repo')).rejects.toThrow(/changed/);
  });

  it('keeps at most N backups, same-second backups do not collide', async () => {
    const f = path.join(dir, 'c');
    writeFileSync(f, '0');
    for (let i = 1; i <= 5; i++) {
      await writeRemoteFile(t, { path: f, content: Buffer.from(String(i)), expect: 'any', mode: 0o644, stamp: '20261127T000000Z', keepBackups: 3 }, 'x');
    }
    const backups = readdirSync(dir).filter((n) => n.startsWith('c.dom0up-')).sort();
    expect(backups).toHaveLength(3);
    expect(readFileSync(f, 'utf8')).toBe('5');
  });

  it('binary content and file names with spaces and quotes survive', async () => {
    const f = path.join(dir, "it's a $(file)");
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 39, 36]);
    await writeRemoteFile(t, { path: f, content: bytes, expect: 'absent', mode: 0o600, stamp: 's' }, 'x');
    expect(readFileSync(f).equals(bytes)).toBe(true);
    expect((await readRemoteFile(t, f, 'x'))!.equals(bytes)).toBe(true);
    expect(await readRemoteFile(t, path.join(dir, 'nope'), 'x')).toBeNull();
  });

  it.skipIf(!isRoot)('ENOSPC: the old file is untouched and the error says so and where', async () => {
    const mnt = path.join(dir, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      const f = path.join(mnt, 'grub.conf');
      writeFileSync(f, 'old\n');
      const big = Buffer.alloc(200 * 1024, 'x');
      const err = await writeRemoteFile(t, { path: f, content: big, expect: 'any', mode: 0o600, stamp: 's' }, 'grub').catch((e: Error) => e);
      expect(String(err)).toMatch(/ENOSPC.*grub\.conf.*old file is untouched/);
      expect(readFileSync(f, 'utf8')).toBe('old\n');
      expect(readdirSync(mnt)).toEqual(['grub.conf']);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
