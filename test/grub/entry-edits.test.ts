import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ensureDefaultLine, insertEntryCopy, parseGrubConf, removeEntry, setDefaultEntry, toXenEntry } from '../../src/grub/index.js';

const X = '4.9.241-37.el6.x86_64';
const K = '2.6.32-754.el6.x86_64';
const conf = (extra = '') => `default=0
timeout=5
${extra}title CentOS (${X})
\troot (hd0,0)
\tkernel /xen.gz dom0_mem=1024M,max:1024M
\tmodule /vmlinuz-${X} ro root=/dev/sda2
\tmodule /initramfs-${X}.img
# the stock kernel
title CentOS 6 (${K})
\troot (hd0,0)
\tkernel /vmlinuz-${K} ro root=/dev/sda2
\tinitrd /initramfs-${K}.img
`;

describe('entry edits', () => {
  it('setDefaultEntry keeps the style and inserts a missing line before the first title', () => {
    expect(setDefaultEntry(parseGrubConf(conf()), 1).text).toContain('default=1\ntimeout=5\n');
    const noDefault = parseGrubConf(conf().replace('default=0\n', ''));
    const d = setDefaultEntry(noDefault, 1);
    expect(d.text).toMatch(/^timeout=5\ndefault=1\ntitle/);
    expect(d.bootIndex()).toBe(1);
  });

  it('ensureDefaultLine writes what GRUB already boots, only when missing', () => {
    const c = parseGrubConf(conf().replace('default=0\n', ''));
    expect(ensureDefaultLine(c).default?.value).toBe(0);
    const has = parseGrubConf(conf());
    expect(ensureDefaultLine(has)).toBe(has);
  });

  it('insertEntryCopy keeps default and fallback on the same entries', () => {
    const before = parseGrubConf(conf('fallback 1\n').replace('default=0', 'default=1'));
    const { conf: after, index } = insertEntryCopy(before, 0, before, 0, 'CentOS (previous)');
    expect(index).toBe(1);
    expect(after.entries.map((e) => e.title)).toEqual([`CentOS (${X})`, 'CentOS (previous)', `CentOS 6 (${K})`]);
    expect(after.bootIndex()).toBe(2);
    expect(after.effectiveFallback).toEqual([2]);
    // the comment above the stock entry stays with it
    expect(after.text).toContain('# the stock kernel\ntitle CentOS 6');
    expect(after.entries[1]!.kernel!.args).toBe('dom0_mem=1024M,max:1024M');
  });

  it('removeEntry renumbers and drops fallbacks to the removed entry', () => {
    const c = parseGrubConf(conf('fallback 0 1\n').replace('default=0', 'default=1'));
    const r = removeEntry(c, 0);
    expect(r.entries.map((e) => e.title)).toEqual([`CentOS 6 (${K})`]);
    expect(r.bootIndex()).toBe(0);
    expect(r.text).toContain('fallback 0\n');
    expect(r.text).toContain('# the stock kernel\ntitle CentOS 6');
    expect(() => removeEntry(r, 0)).toThrow(/only entry/);
  });

  it('rescue copy then removal gives back exactly the final file (the commit step)', () => {
    fc.assert(fc.property(fc.constantFrom('', 'fallback 1\n', 'hiddenmenu\n'), fc.constantFrom('1024M', '2048M'), (extra, mem) => {
      const original = parseGrubConf(conf(extra));
      const final = toXenEntry(original, { hypervisorArgs: () => `dom0_mem=${mem},max:${mem}` }).after;
      const { conf: staged, index } = insertEntryCopy(final, 0, original, 0, 'CentOS (dom0up: previous)');
      const intermediate = setDefaultEntry(staged, index);
      expect(intermediate.bootEntry!.kernel!.args).toBe('dom0_mem=1024M,max:1024M');
      const committed = setDefaultEntry(removeEntry(intermediate, index), 0);
      expect(committed.text).toBe(final.text);
    }));
  });
});
