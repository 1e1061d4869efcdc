// Red Hat's GRUB (grub-0.97-99.el6, built from its source RPM by setup.sh) without booting: its shell's one-shot
// word against dom0up's own check, the test bed's `grub --batch` stand-in against the real shell, the emulated
// (qemu-i386) path forced on any machine, and the ext4 /boot the tier makes. A few seconds; no QEMU system boots.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ONCE_FLAG, STAGE2_SAVED_OFFSET, onceWord } from '../../src/apply/one-shot.js';
import { loadArtifacts } from './artifacts.js';
import { mkfsArgs, PART_OFFSET } from './disk.js';
import { grubExec, runGrubShell } from './grub-shell.js';
import { BootDisk } from './harness.js';
import { oneShotOnDisk } from './one-shot-host.js';
import { skipReason, testbedShell } from './tier.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dom0up-grub-el6-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A copy of the stage2 Red Hat's build produced. */
function freshStage2(): string {
  const p = path.join(tmp, `stage2.${++n}`);
  copyFileSync(loadArtifacts().rhelGrub.stage2, p);
  return p;
}

/** Red Hat's grub shell, in batch mode, on a stage2 file (commands get `--stage2=FILE`). */
async function rhelShell(stage2: string, commands: string[]): Promise<string> {
  const art = loadArtifacts();
  const dm = path.join(tmp, 'device.map');
  writeFileSync(dm, '');
  const script = commands.map((c) => c.replace(/^savedefault\b/, `savedefault --stage2=${stage2}`)).join('\n') + '\nquit\n';
  return runGrubShell(art.rhelGrub.shell, ['--batch', '--no-floppy', `--device-map=${dm}`], script);
}

const word = (file: string) => readFileSync(file).readUInt32LE(STAGE2_SAVED_OFFSET);

describe.skipIf(skipReason)('Red Hat\'s grub shell and dom0up\'s one-shot word (no boot)', () => {
  test.each([[0, 0], [1, 0], [2, 1], [5, 3], [255, 7]])('savedefault --default=%i --once over saved entry %i: the word dom0up checks for', async (idx, old) => {
    const s2 = freshStage2();
    const pristine = readFileSync(s2);
    expect(pristine.readUInt32LE(STAGE2_SAVED_OFFSET), 'the build leaves the word 0').toBe(0);
    if (old) await rhelShell(s2, [`savedefault --default=${old}`]);
    const out = await rhelShell(s2, [`savedefault --default=${idx} --once`]);
    expect(out).not.toMatch(/Error \d+/);
    const w = word(s2);
    expect(w).toBe(onceWord(idx, old));
    expect(w & ONCE_FLAG).toBe(ONCE_FLAG);
    // only the 4 bytes at dom0up's STAGE2_SAVED_OFFSET changed
    const after = readFileSync(s2);
    const changed = [...after.keys()].filter((i) => after[i] !== pristine[i]);
    expect(Math.min(...changed)).toBeGreaterThanOrEqual(STAGE2_SAVED_OFFSET);
    expect(Math.max(...changed)).toBeLessThan(STAGE2_SAVED_OFFSET + 4);
  });

  // The same command lines through the test bed's `grub --batch` stand-in (test/testbed/host/tb/grubshell.py):
  // the word it stores and whether it reports an error must be what Red Hat's shell does.
  test.each([
    [['savedefault --default=0 --once']],
    [['savedefault --default=1', 'savedefault --default=2 --once']],
    [['savedefault --default=3', 'savedefault --once --default=2']],
    [['savedefault --default=3', 'savedefault --once']],
    [['savedefault --default=1', 'savedefault 4']],
    [['savedefault --default=x']],
    [['savedefault --default=1', 'savedefault --bogus --default=2 --once']],
  ])('test bed stand-in vs real shell: %j', async (commands) => {
    const real = freshStage2();
    const realOut = await rhelShell(real, commands);
    const standIn = freshStage2();
    const tb = testbedShell(standIn, commands);
    expect({ word: word(standIn), error: /Error \d+/.test(tb.output) }).toEqual({ word: word(real), error: /Error \d+/.test(realOut) });
  });

  test('the emulated path (qemu-i386), forced: the same disk install and the same one-shot word as natively', async () => {
    const conf = 'default=1\ntimeout=5\ntitle a\n\troot (hd0,0)\n\tkernel /vmlinuz-a ro\ntitle b\n\troot (hd0,0)\n\tkernel /vmlinuz-b ro\n';
    const saved = process.env.DOM0UP_REALBOOT_GRUB_EXEC;
    const results: { mode: string; word: number; setup: string; scripts: string[] }[] = [];
    try {
      for (const mode of ['native', 'qemu-i386'] as const) {
        process.env.DOM0UP_REALBOOT_GRUB_EXEC = mode;
        if (mode === 'native' && grubExec(loadArtifacts().rhelGrub.shell, () => {}).mode !== 'native') continue;
        const disk = await BootDisk.create(conf, { layout: 'boot-partition', name: `exec-${mode}` });
        try {
          const r = await oneShotOnDisk(disk, 0);
          expect(r.mode).toBe(mode);
          results.push({ mode, word: r.wordOnDisk, setup: disk.disk.grubSetupLog.replace(/\(hd0\) \S+/g, '(hd0) IMG'), scripts: r.scripts });
        } finally {
          disk.dispose();
        }
      }
    } finally {
      if (saved === undefined) delete process.env.DOM0UP_REALBOOT_GRUB_EXEC;
      else process.env.DOM0UP_REALBOOT_GRUB_EXEC = saved;
    }
    const emu = results.find((r) => r.mode === 'qemu-i386')!;
    expect(emu.word).toBe(onceWord(0, 0));
    expect(emu.setup).toMatch(/Running "install .*succeeded/s);
    const nat = results.find((r) => r.mode === 'native');
    if (nat) expect({ word: emu.word, setup: emu.setup, scripts: emu.scripts }).toEqual({ word: nat.word, setup: nat.setup, scripts: nat.scripts });
  });
});

describe.skipIf(skipReason)('/boot as CentOS 6 makes it, and why files are written without holes', () => {
  test('ext4 with CentOS 6\'s features, 256-byte inodes, 1 KiB blocks; files extent-mapped, without holes, byte for byte', async () => {
    const art = loadArtifacts();
    const conf = `default=0\ntimeout=0\ntitle x\n\troot (hd0,0)\n\tkernel /xen.gz\n\tmodule /vmlinuz-${art.kernelVersion} ro\n\tmodule /initramfs-${art.kernelVersion}.img\n`;
    const disk = await BootDisk.create(conf, { layout: 'boot-partition', name: 'ext4-layout' });
    try {
      const spec = `${disk.disk.image}?offset=${PART_OFFSET}`;
      const stats = execFileSync('debugfs', ['-R', 'stats', spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const features = /^Filesystem features:\s+(.*)$/m.exec(stats)?.[1]?.split(/\s+/).sort();
      expect(features).toEqual(['dir_index', 'dir_nlink', 'ext_attr', 'extent', 'extra_isize', 'filetype', 'flex_bg', 'has_journal', 'huge_file', 'large_file', 'resize_inode', 'sparse_super', 'uninit_bg']);
      expect(/^Inode size:\s+(\d+)/m.exec(stats)?.[1]).toBe('256');
      expect(/^Block size:\s+(\d+)/m.exec(stats)?.[1]).toBe('1024');
      const k = `/vmlinuz-${art.kernelVersion}`;
      expect(execFileSync('debugfs', ['-R', `stat ${k}`, spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toMatch(/Flags: 0x80000\b/);
      for (const [p, src] of [[k, art.vmlinuz], [`/${art.xenGzName}`, art.xenGz], ['/grub/e2fs_stage1_5', art.rhelGrub.e2fs_stage1_5]] as const) {
        const data = readFileSync(src);
        expect((await disk.readFile(p)).equals(data), `${p} holds its file byte for byte`).toBe(true);
        const blocks = execFileSync('debugfs', ['-R', `blocks ${p}`, spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/);
        expect(blocks.length, `${p}: every block allocated (no hole)`).toBe(Math.ceil(data.length / 1024));
      }
    } finally {
      disk.dispose();
    }
  });

  test('Red Hat\'s ext4 reader and a file with holes (what `mke2fs -d` writes for all-zero blocks): wrong bytes, then Error 16', async () => {
    // logical blocks: A, hole, C, hole, hole, F (1 KiB each): libext2fs allocates only A, C and F
    const dir = path.join(tmp, 'sparse');
    mkdirSync(dir, { recursive: true });
    const blk = (c: string) => Buffer.alloc(1024, c);
    writeFileSync(path.join(dir, 'holes'), Buffer.concat([blk('A'), Buffer.alloc(1024), blk('C'), Buffer.alloc(2048), blk('F')]));
    const img = path.join(tmp, 'sparse.img');
    writeFileSync(img, '');
    execFileSync('truncate', ['-s', '9M', img]);
    execFileSync('sfdisk', ['-q', img], { input: 'label: dos\nstart=2048, type=83\n' });
    execFileSync('mke2fs', ['-q', '-F', ...mkfsArgs('ext4'), '-b', '1024', '-d', dir, '-E', `offset=${PART_OFFSET}`, img, '8192k']);
    const ex = execFileSync('debugfs', ['-R', 'ex /holes', `${img}?offset=${PART_OFFSET}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(ex.trim().split('\n').slice(1).map((l) => /(\d+) - +(\d+)/.exec(l)?.slice(1, 3).join('-'))).toEqual(['0-0', '2-2', '5-5']);
    const dm = path.join(tmp, 'device.map');
    writeFileSync(dm, '');
    const out = await runGrubShell(loadArtifacts().rhelGrub.shell, ['--batch', '--no-floppy', `--device-map=${dm}`], `device (hd0) ${img}\nroot (hd0,0)\ncat /holes\nquit\n`);
    const body = out.slice(out.indexOf('grub> cat /holes') + 'grub> cat /holes\n'.length);
    const runs: string[] = [];
    for (const m of body.matchAll(/(.)\1{1023}/gs)) runs.push(`${m[1] === '\0' ? '0' : m[1]}x${m[0].length}`);
    // the file is A,0,C,0,0,F; GRUB reads the block after each extent for the first hole block, then gives up
    expect(runs.slice(0, 4)).toEqual(['Ax1024', 'Cx1024', 'Cx1024', 'Fx1024']);
    expect(body).toMatch(/Error 16: Inconsistent filesystem structure/);
  });
});
