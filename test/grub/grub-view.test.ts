// GRUB 0.97's reading rules (design/grub-legacy-semantics.md §1), one case each.
import { describe, expect, it } from 'vitest';
import { parseGrubConf } from '../../src/grub/index.js';

const view = (s: string) => parseGrubConf(s);
const titles = (s: string) => view(s).entries.map((e) => e.title);
const codes = (s: string) => view(s).findings.map((f) => `${f.line}:${f.code}`);

describe('reading rules', () => {
  it('entries without a known command are dropped and not counted', () => {
    const c = view('default=1\ntitle Empty\ntitle A\n\tkernel /a\ntitle B\n\tkernel /b\n');
    expect(c.entries.map((e) => e.title)).toEqual(['A', 'B']);
    expect(c.bootEntry?.title).toBe('B');
    expect(c.allEntries[0]!.index).toBeNull();
  });
  it('a title with only an unknown or wrong-case command vanishes', () => {
    expect(titles('title A\n\tfoo bar\ntitle B\n\tKernel /b\ntitle C\n\tkernel /c\n')).toEqual(['C']);
  });
  it('a comment ending in a backslash swallows the next line', () => {
    const s = 'title A\n\tkernel /a\n# c \\\ntitle Hidden\nkernel /h\n';
    expect(titles(s)).toEqual(['A']);
    expect(view(s).entries[0]!.kernel!.path).toBe('/h');
    expect(codes(s)).toContain('4:swallowed-title');
  });
  it('two backslashes still continue; the next line\'s blanks are kept', () => {
    const c = view('title A\n\tkernel /a ro \\\\\n\tinitrd /i\n');
    expect(c.entries[0]!.kernel!.args).toBe('ro \\  initrd /i');
    expect(c.entries[0]!.initrd).toBeNull();
  });
  it('separators: any run of blanks and "="', () => {
    const c = view('default 0 # first\ntimeout   =  7\nfallback=1,2\ntitle=A B  \nkernel=/a   ro\ntitle B\nkernel /b\n');
    expect(c.default?.value).toBe(0);
    expect(c.timeout).toBe(7);
    expect(c.fallback?.entries).toEqual([1]);
    expect(c.entries[0]!.title).toBe('A B  ');
    expect(c.entries[0]!.kernel).toMatchObject({ path: '/a', args: 'ro' });
    expect(codes('fallback=1,2\ntitle A\nkernel /a\ntitle B\nkernel /b\n')).toContain('1:fallback-garbage');
  });
  it('default=saved with a trailing blank is not "saved"', () => {
    expect(view('default=saved \ntitle A\nkernel /a\n').bootIndex()).toBe(0);
    expect(view('default=saved\ntitle A\nkernel /a\n').bootIndex()).toBeNull();
    expect(view('default=saved\ntitle A\nkernel /a\ntitle B\nkernel /b\n').bootIndex(1)).toBe(1);
  });
  it('menu commands after the first title belong to the entry (Error 27 when booted)', () => {
    const s = 'title A\nkernel /a\ndefault=1\ntimeout=3\n';
    const c = view(s);
    expect(c.default).toBeNull();
    expect(c.timeout).toBeNull();
    expect(c.entries[0]!.commands.map((x) => x.name)).toEqual(['kernel', 'default', 'timeout']);
    expect(c.findings.filter((f) => f.code === 'menu-command-in-entry').map((f) => f.severity)).toEqual(['error', 'error']);
  });
  it('command names are case-sensitive', () => {
    const c = view('Default=1\nTITLE A\nKernel /b\n');
    expect(c.entries).toHaveLength(0);
    expect(codes('Default=1\nTITLE A\nKernel /b\n')).toEqual(['1:unknown-command', '1:no-entries', '2:unknown-command', '3:unknown-command']);
    expect(c.findings[0]!.message).toContain('did you mean "default"');
  });
  it('hex defaults and out-of-range defaults', () => {
    expect(view('default=0x1\ntitle A\nkernel /a\ntitle B\nkernel /b\n').bootIndex()).toBe(1);
    expect(view('default=5\nfallback 1\ntitle A\nkernel /a\ntitle B\nkernel /b\n').bootIndex()).toBe(1);
    expect(view('default=5\ntitle A\nkernel /a\ntitle B\nkernel /b\n').bootIndex()).toBe(0);
  });
  it('fallback: a duplicate that is not last disables it; out-of-range numbers are dropped', () => {
    expect(view('fallback 3 1 1 2\ntitle A\nkernel /a\ntitle B\nkernel /b\n').effectiveFallback).toEqual([]);
    expect(view('fallback 1 1\ntitle A\nkernel /a\ntitle B\nkernel /b\n').effectiveFallback).toEqual([1]);
    expect(view('fallback 1 5\ntitle A\nkernel /a\ntitle B\nkernel /b\n').effectiveFallback).toEqual([1]);
  });
  it('CR is dropped anywhere; tabs are spaces', () => {
    const c = view('title\tA\tB\r\nkernel /a r\ro\r\n');
    expect(c.entries[0]!.title).toBe('A B');
    expect(c.entries[0]!.kernel!.args).toBe('ro');
  });
  it('"#" starts a comment only as the first non-blank character', () => {
    const c = view('title A\n   # x\nkernel /a ro # not a comment\n');
    expect(c.entries[0]!.kernel!.args).toBe('ro # not a comment');
  });
  it('lines are cut at 1500 bytes', () => {
    const long = 'x'.repeat(1600);
    const c = view(`title A\nkernel /a ${long}\n`);
    expect(c.entries[0]!.kernel!.args.length).toBe(1500 - 'kernel /a '.length);
    expect(codes(`title A\nkernel /a ${long}\n`)).toContain('2:line-too-long');
  });
  it('no final newline; lone CR', () => {
    expect(view('title A\nkernel /a').entries[0]!.kernel!.path).toBe('/a');
    // a lone CR is dropped, not a line break: one title line with no command, dropped by GRUB
    const c = view('title A\rkernel /a\n');
    expect(c.allEntries[0]!.title).toBe('Akernel /a');
    expect(c.entries).toHaveLength(0);
  });
  it('initrd after a multiboot kernel and Xen options on the module line are reported', () => {
    const s = 'title X\nkernel /xen.gz\nmodule /vmlinuz-4.9 ro dom0_mem=1024M\ninitrd /initramfs-4.9.img\n';
    expect(codes(s)).toEqual(expect.arrayContaining(['3:xen-option-on-linux-line', '4:initrd-after-multiboot']));
  });
  it('entry kinds and the boot prefix', () => {
    const c = view('title W\nrootnoverify (hd0,1)\nchainloader +1\ntitle L\nroot (hd0,0)\nkernel /boot/vmlinuz-4.9 ro\ntitle X\nkernel /boot/xen.gz\nmodule /boot/vmlinuz-4.9\nmodule /boot/initramfs-4.9.img\n');
    expect(c.entries.map((e) => e.kind)).toEqual(['chainloader', 'linux', 'xen']);
    expect(c.bootPrefix).toBe('/boot/');
    expect(view('title L\nkernel (hd0,0)/vmlinuz-4.9 ro\n').bootPrefix).toBe('/');
  });
});
