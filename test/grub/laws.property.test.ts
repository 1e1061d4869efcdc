// Laws of the grub engine, checked by fast-check on generated input:
//  - lossless: parseGrubConf(s).toString() === s for every string (toString is rebuilt from the
//    segments, each of which must be its own slice of the input);
//  - the rewrite never throws anything but GrubEditError;
//  - apply twice = apply once; after apply GRUB boots the Xen entry of the chosen kernel — judged by
//    the test bed's own GRUB reader and firmware (test/testbed/host/tb: grub0.py, machine.py), not by
//    dom0up's model;
//  - entries the rewrite does not target keep what GRUB reads from them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseGrubConf, toXenEntry, GrubEditError } from '../../src/grub/index.js';
import { nextBootBatch } from '../testbed/index.js';

const hyp = (existing: string | null) => {
  const keep = (existing ?? '').split(' ').filter((t) => t && !t.startsWith('dom0_mem=') && t !== 'dom0_vcpus_pin');
  return [...keep, 'dom0_mem=1024M,max:1024M', 'dom0_vcpus_pin'].join(' ');
};

const blank = fc.constantFrom(' ', '\t', '');
const eol = fc.constantFrom('\n', '\r\n', '\r\n', '\n');
const version = fc.constantFrom('2.6.32-754.el6.x86_64', '4.9.241-37.el6.x86_64', '4.9.206-36.el6.x86_64', '3.18.25-19.el6.x86_64', '2.6.32-696.el6.x86_64');
const prefix = fc.constantFrom('/', '/boot/', '(hd0,0)/');
const sep = fc.constantFrom(' ', '=', ' = ', '\t', '  ');

const entry = fc.record({ v: version, p: prefix, ind: blank, s: sep, e: eol, args: fc.constantFrom('ro root=/dev/sda1', 'ro root=/dev/mapper/vg-lv_root rhgb quiet', ''), initrd: fc.boolean(), title: fc.constantFrom('CentOS', 'CentOS 6', 'Red Hat Enterprise Linux') })
  .map(({ v, p, ind, s, e, args, initrd, title }) =>
    `title${s}${title} (${v})${e}${ind}root (hd0,0)${e}${ind}kernel${s}${p}vmlinuz-${v}${args ? ' ' + args : ''}${e}` +
    (initrd ? `${ind}initrd${s}${p}initramfs-${v}.img${e}` : ''));
const noise = fc.constantFrom('# comment\n', '\n', '   \n', '#boot=/dev/sda\n', 'splashimage=(hd0,0)/grub/splash.xpm.gz\n', 'hiddenmenu\n', 'timeout 5\n', 'color white/blue\n', 'Default=1\n');
const header = fc.tuple(fc.constantFrom('', 'default=0\n', 'default 1\n', 'default=saved\n', 'default=7\n', 'default = 0 # first\n'), fc.constantFrom('', 'fallback 1\n', 'fallback=0 1\n'), fc.array(noise, { maxLength: 3 }))
  .map(([d, f, n]) => n.join('') + d + f);
const config = fc.tuple(header, fc.array(entry, { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([h, es, finalNl]) => {
    const s = h + es.join('');
    return finalNl ? s : s.replace(/\r?\n$/, '');
  });

describe('grub engine laws', () => {
  it('round-trips any string byte for byte', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => parseGrubConf(s).toString() === s), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('\\', '\n', '\r', '\t', ' ', '#', '=', 't', 'i', 'l', 'e', 'k', 'x'), maxLength: 200 }), (s) => parseGrubConf(s).toString() === s), { numRuns: 2000 });
    fc.assert(fc.property(config, (s) => parseGrubConf(s).toString() === s && parseGrubConf(s, { latin1: true }).toString() === s), { numRuns: 500 });
  });

  it('segments always tile the input, each holding exactly its slice', () => {
    const tiles = (s: string, latin1: boolean) => {
      const conf = parseGrubConf(s, { latin1 });
      let at = 0;
      for (const seg of conf.segments) {
        if (seg.start !== at || seg.raw !== s.slice(at, at + seg.raw.length)) return false;
        at += seg.raw.length;
      }
      return at === s.length;
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), tiles), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('\\', '\n', '\r', '\t', ' ', '#', '=', 't', 'i', 'l', 'e'), maxLength: 200 }), fc.boolean(), tiles), { numRuns: 1000 });
    fc.assert(fc.property(config, (s) => tiles(s, false)), { numRuns: 300 });
  });

  it('toString is rebuilt from the segments, not the stored input', () => {
    const conf = parseGrubConf('title A\n\tkernel /vmlinuz-4.9.1 ro\n');
    (conf.segments as unknown as { raw: string }[])[1]!.raw = '\tkernel /vmlinuz-4.9.2 ro\n';
    expect(conf.toString()).toBe('title A\n\tkernel /vmlinuz-4.9.2 ro\n');
  });

  it('the rewrite refuses only with GrubEditError, is idempotent and makes GRUB boot Xen', () => {
    let applied = 0;
    const written: { before: string; after: string; index: number; kernel: string }[] = [];
    fc.assert(fc.property(config, fc.boolean(), (text, keepPlain) => {
      const conf = parseGrubConf(text);
      let r;
      try {
        r = toXenEntry(conf, { hypervisorArgs: hyp, keepPlain });
      } catch (e) {
        if (e instanceof GrubEditError) return true;
        throw e;
      }
      applied++;
      const again = toXenEntry(r.after, { hypervisorArgs: hyp, keepPlain });
      expect(again.changed).toBe(false);
      expect(again.after.toString()).toBe(r.after.toString());
      written.push({ before: text, after: r.after.toString(), index: r.entryIndex, kernel: r.kernelVersion });
      // other entries: GRUB reads the same kernels, in the same order
      const others = (c: typeof conf, skip: number | null) =>
        c.entries.filter((e) => e.index !== skip).map((e) => [e.title, e.kernel?.path, e.kernel?.args, e.initrd?.path]);
      if (r.action === 'added') expect(others(r.after, r.entryIndex)).toEqual(others(conf, null));
      else expect(others(r.after, r.entryIndex)).toEqual(others(conf, r.entryIndex));
      return true;
    }), { numRuns: 600 });
    expect(applied).toBeGreaterThan(50);
    // what GRUB boots from each rewritten file, asked of the test bed's GRUB reader and firmware
    // (stage2 word 0, every named file present; a `timeout` line first so the menu does not wait —
    // a later timeout line overrides it, and it changes no entry or default)
    const boots = nextBootBatch(written.map((w) => ({ conf: `timeout 5\n${w.after}` })));
    boots.forEach((nb, i) => {
      const w = written[i]!;
      expect({ entry: nb.entryIndex, xen: nb.xen, kernel: nb.kernelRelease }, `GRUB's next boot of\n${w.after}\n(rewritten from\n${w.before})`).toEqual({ entry: w.index, xen: true, kernel: w.kernel });
    });
  });
});
