// The simulated hosts' boot firmware (GRUB 0.97 / RHEL 6 reading rules, Xen start-up), driven directly
// through its batch CLI against grub.conf edge cases: grub-legacy-semantics.md section 1.8 and more.
// No host is started here; test/testbed/boot.test.ts does a few of these over real SSH and reboots.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TESTBED_DIR, firmwareBatch } from './index.js';

const K = '2.6.32-754.el6.x86_64';
const X = '4.9.241-37.el6.x86_64';
const XV = '4.10.4.134.g6ea37c69c7-2.el6';
const ROOT = '/dev/mapper/VolGroup-lv_root';
/** the files of a separate /boot partition after `yum install xen` */
const FILES: Record<string, string | { link: string }> = {
  [`/vmlinuz-${K}`]: `TESTBED:linux:${K}\n`,
  [`/initramfs-${K}.img`]: `TESTBED:initramfs:${K}\n`,
  [`/vmlinuz-${X}`]: `TESTBED:linux:${X}\n`,
  [`/initramfs-${X}.img`]: `TESTBED:initramfs:${X}\n`,
  [`/xen-${XV}.gz`]: `TESTBED:xen:${XV}\n`,
  '/xen.gz': { link: `xen-${XV}.gz` },
  '/a': 'TESTBED:linux:a\n',
  '/b': 'TESTBED:linux:b\n',
  '/h': 'TESTBED:linux:h\n',
  '/i': `TESTBED:initramfs:x\n`,
  '/grub/splash.xpm.gz': 'not a kernel',
};
const HEAD = 'default=0\ntimeout=5\n';
const linux = (title: string, k = K, extra = '') =>
  `title ${title}\n\troot (hd0,0)\n\tkernel /vmlinuz-${k} ro root=${ROOT}${extra}\n\tinitrd /initramfs-${k}.img\n`;
const xenEntry = (title: string, args = 'dom0_mem=1024M,max:1024M', dom0 = X, prefix = '') =>
  `title ${title}\n\troot (hd0,0)\n\tkernel ${prefix}/xen.gz ${args}\n\tmodule ${prefix}/vmlinuz-${dom0} ro root=${ROOT}\n\tmodule ${prefix}/initramfs-${dom0}.img\n`;

type Case = { conf: string; files?: Record<string, unknown>; bootPartition?: boolean; savedWord?: number; spec?: Record<string, unknown>; faults?: Record<string, string> };
function boot(c: Case) {
  return firmwareBatch([{ files: FILES, spec: { rootDevice: ROOT }, ...c }])[0]!;
}
function many(cs: Case[]) {
  return firmwareBatch(cs.map((c) => ({ files: FILES, spec: { rootDevice: ROOT }, ...c })));
}

describe('GRUB 0.97 reading rules (section 1.8 table)', () => {
  it('boots over the batch CLI quickly', () => {
    const t0 = Date.now();
    const r = many(Array.from({ length: 20 }, () => ({ conf: HEAD + linux('A') })));
    expect(r).toHaveLength(20);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('counts only titles with a known command: default=1 over Empty, A, B boots B', () => {
    const r = boot({ conf: 'default=1\ntimeout=5\ntitle Empty\ntitle A\n\tkernel /a\ntitle B\n\tkernel /b\n' });
    expect(r.config!.entries.map((e) => e.title)).toEqual(['A', 'B']);
    expect(r.record.entryIndex).toBe(1);
    expect(r.record.title).toBe('B');
    expect(r.record.kernelRelease).toBe('b');
  });

  it('drops an entry whose only line is an unknown command', () => {
    const r = boot({ conf: HEAD + 'title A\n\tfoo bar\ntitle B\n\tkernel /b\n' });
    expect(r.config!.entries.map((e) => e.title)).toEqual(['B']);
    expect(r.config!.ignored).toContain('foo bar');
  });

  it('a comment ending in a backslash swallows the next line; the orphaned kernel joins the previous entry', () => {
    const r = boot({ conf: HEAD + 'title A\n\tkernel /a\n# note \\\ntitle Hidden\nkernel /h\n' });
    expect(r.config!.entries).toHaveLength(1);
    expect(r.config!.entries[0]!.commands).toEqual(['kernel /a', 'kernel /h']);
    expect(r.record.kernelRelease).toBe('h');
  });

  it('two backslashes still continue the line', () => {
    const r = boot({ conf: HEAD + 'title A\nkernel /a ro \\\\\ninitrd /i\n' });
    expect(r.config!.entries[0]!.commands).toEqual(['kernel /a ro \\ initrd /i']);
  });

  it('separators are runs of blanks and "=", numbers stop at the first non-digit, titles keep trailing blanks', () => {
    const r = boot({ conf: 'default 0 # first\ntimeout   =  7\nfallback=1,2\ntitle=A B  \nkernel=/a   ro\ntitle C\nkernel /b\n' });
    const c = r.config!;
    expect(c.default).toBe(0);
    expect(c.timeout).toBe(7);
    expect(c.fallback).toEqual([1]);
    expect(c.entries[0]!.title).toBe('A B  ');
    expect(c.entries[0]!.commands).toEqual(['kernel=/a   ro']);
    expect(r.record.cmdline).toBe('ro');
  });

  it('default=saved with a trailing blank is not recognised (entry 0)', () => {
    const r = boot({ conf: 'default=saved \ntimeout=5\ntitle A\nkernel /a\ntitle B\nkernel /b\n', savedWord: 1 });
    expect(r.record.entryIndex).toBe(0);
    const ok = boot({ conf: 'default=saved\ntimeout=5\ntitle A\nkernel /a\ntitle B\nkernel /b\n', savedWord: 1 });
    expect(ok.record.entryIndex).toBe(1);
  });

  it('menu commands after the first title belong to the entry: Error 27 when it is booted', () => {
    const r = boot({ conf: 'timeout=5\ntitle A\n\tkernel /a\ndefault=1\ntimeout=3\n' });
    expect(r.config!.default).toBe(0);
    expect(r.config!.timeout).toBe(5);
    expect(r.config!.entries[0]!.commands).toEqual(['kernel /a', 'default=1', 'timeout=3']);
    expect(r.record.result).toBe('bootfail');
    expect(r.record.error).toBe('Error 27: Unrecognized command');
  });

  it('commands are case-sensitive: Default, TITLE, Kernel are unknown, no entry survives (grub> prompt)', () => {
    const r = boot({ conf: 'Default=1\ntimeout=5\nTITLE A\nKernel /b\n' });
    expect(r.config!.entries).toEqual([]);
    expect(r.record.result).toBe('bootfail');
    expect(r.record.error).toMatch(/grub> prompt/);
  });

  it('default=0x1 is hex', () => {
    expect(boot({ conf: 'default=0x1\ntimeout=5\ntitle A\nkernel /a\ntitle B\nkernel /b\n' }).record.entryIndex).toBe(1);
  });

  it('cuts a logical line at 1500 bytes', () => {
    const r = boot({ conf: HEAD + 'title A\nkernel /a ' + 'x'.repeat(1600) + '\n' });
    expect(r.config!.entries[0]!.commands[0]).toHaveLength(1500);
  });

  it('drops CR anywhere and turns tabs into spaces', () => {
    const r = boot({ conf: 'default=1\r\ntimeout=5\r\ntitle\tA\r\n\tkernel /a r\ro\r\ntitle B\tC\r\n\tkernel /b\r\n' });
    expect(r.config!.entries.map((e) => e.title)).toEqual(['A', 'B C']);
    expect(r.config!.entries[0]!.commands).toEqual(['kernel /a ro']);
    expect(r.record.title).toBe('B C');
  });

  it('reads the seed notes grub.conf: continuation lines join with a space, leading blanks kept', () => {
    const conf =
      HEAD +
      'title CentOS 6 (2.6.32-754.el6.x86_64)\nroot (hd0,0)\n' +
      `kernel /vmlinuz-${K} ro root=/dev/mapper/vg_c610-lv_root rd_NO_LUKS KEYBOARDTYPE=pc KEYTABLE=us LANG=\\\n` +
      'en_US.UTF-8 rd_NO_MD rd_LVM_LV=vg_c610/lv_swap SYSFONT=latarcyrheb-sun16 crashkernel=auto rd_LVM_LV=vg_c610/lv_root rd_NO_DM rh\\\n' +
      `gb quiet\ninitrd /initramfs-${K}.img\n`;
    const r = boot({ conf, spec: { rootDevice: '/dev/mapper/vg_c610-lv_root' } });
    expect(r.record.result).toBe('up');
    expect(r.record.cmdline).toBe(
      'ro root=/dev/mapper/vg_c610-lv_root rd_NO_LUKS KEYBOARDTYPE=pc KEYTABLE=us LANG= en_US.UTF-8 rd_NO_MD rd_LVM_LV=vg_c610/lv_swap SYSFONT=latarcyrheb-sun16 crashkernel=auto rd_LVM_LV=vg_c610/lv_root rd_NO_DM rh gb quiet',
    );
  });

  it('skips unknown commands before the first title and ignores non-menu commands there', () => {
    const r = boot({ conf: 'foo=1\nkernel /b\ndefault=1\ntimeout=5\ntitle A\nkernel /a\ntitle B\nkernel /b\n' });
    expect(r.record.entryIndex).toBe(1);
  });
});

describe('default, fallback, one-shot', () => {
  const two = (d: string, extra = '') => `${d}\ntimeout=5\n${extra}title A\n\tkernel /missing\ntitle B\n\tkernel /b\ntitle C\n\tkernel /a\n`;

  it('falls back after Error 15 and records both attempts', () => {
    const r = boot({ conf: two('default=0', 'fallback=1\n') });
    expect(r.record.attempts).toEqual([
      { entryIndex: 0, title: 'A', error: 'Error 15: File not found' },
      { entryIndex: 1, title: 'B', error: null },
    ]);
    expect(r.record.title).toBe('B');
    expect(r.log.join('\n')).toContain("booting entry 0 'A': Error 15: File not found");
  });

  it('without a fallback an Error 15 leaves the host down', () => {
    const r = boot({ conf: two('default=0') });
    expect(r.record.result).toBe('bootfail');
    expect(r.record.error).toBe('Error 15: File not found');
  });

  it('walks the fallback list in order', () => {
    const r = boot({ conf: 'default=0\nfallback 1 2\ntimeout=5\ntitle A\nkernel /missing\ntitle B\nkernel /missing2\ntitle C\nkernel /a\n' });
    expect(r.record.attempts.map((a) => a.entryIndex)).toEqual([0, 1, 2]);
    expect(r.record.title).toBe('C');
  });

  it('a duplicate that is not last disables fallback entirely', () => {
    const r = boot({ conf: two('default=0', 'fallback 3 1 1 2\n') });
    expect(r.config!.fallbackActive).toBe(false);
    expect(r.record.result).toBe('bootfail');
  });

  it('an out-of-range default boots the first fallback, else entry 0', () => {
    expect(boot({ conf: two('default=7', 'fallback=2\n') }).record.entryIndex).toBe(2);
    expect(boot({ conf: two('default=7') }).record.entryIndex).toBe(0);
  });

  it('savedefault --default=N --once: boots N once, then the old saved value is back', () => {
    const word = (2 << 8) | 0x10000 | 0;
    const r = boot({ conf: two('default=1'), savedWord: word });
    expect(r.record.entryIndex).toBe(2);
    expect(r.record.once).toBe(2);
    expect(r.savedWordOut).toBe(0);
    // the next power-on reads the restored word: the default entry again
    const again = boot({ conf: two('default=1'), savedWord: r.savedWordOut });
    expect(again.record.entryIndex).toBe(1);
  });

  it('the once flag is only consumed when grub.conf has a default line (any value)', () => {
    const word = (2 << 8) | 0x10000;
    const none = boot({ conf: 'timeout=5\ntitle A\nkernel /b\ntitle B\nkernel /b\ntitle C\nkernel /a\n', savedWord: word });
    expect(none.record.entryIndex).toBe(0);
    expect(none.savedWordOut).toBe(word);
    const saved = boot({ conf: 'default=saved\ntimeout=5\ntitle A\nkernel /b\ntitle B\nkernel /b\ntitle C\nkernel /a\n', savedWord: word | 1 });
    expect(saved.record.entryIndex).toBe(2);
    expect(saved.savedWordOut).toBe(1);
  });

  it('a one-shot boot does not count down, wherever the timeout line is (RHEL timeout_func; measured by the real-boot tier)', () => {
    const word = (2 << 8) | 0x10000;
    // `default` consumes the one-shot (timeout 0); the `timeout=5` after it is ignored
    expect(boot({ conf: two('default=1'), savedWord: word }).config!.timeout).toBe(0);
    // a `timeout` line read while the flag is set means 0 as well
    expect(boot({ conf: 'timeout=5\ndefault=1\ntitle A\nkernel /b\ntitle B\nkernel /b\ntitle C\nkernel /a\n', savedWord: word }).config!.timeout).toBe(0);
    // without a one-shot the first timeout line counts
    expect(boot({ conf: 'default=1\ntimeout=5\ntimeout=9\ntitle A\nkernel /b\ntitle B\nkernel /b\n' }).config!.timeout).toBe(5);
  });

  it('a one-shot entry that fails to load falls back like any other', () => {
    const r = boot({ conf: two('default=1', 'fallback=1\n'), savedWord: (0 << 8) | 0x10000 | 1 });
    expect(r.record.attempts.map((a) => [a.entryIndex, a.error])).toEqual([
      [0, 'Error 15: File not found'],
      [1, null],
    ]);
  });

  it('no timeout line: the menu waits for a key forever', () => {
    const r = boot({ conf: 'default=0\ntitle A\nkernel /a\n' });
    expect(r.record.result).toBe('bootfail');
    expect(r.record.error).toMatch(/waits for a key press/);
  });

  it('an entry that loads no kernel returns to the menu', () => {
    const r = boot({ conf: HEAD + 'title A\n\troot (hd0,0)\n\tKernel /a\n' });
    expect(r.record.result).toBe('bootfail');
    expect(r.record.error).toMatch(/no kernel/);
  });
});

describe('loading images', () => {
  it('a Xen entry with a /boot prefix on a separate-/boot host: Error 15', () => {
    const r = boot({ conf: HEAD + xenEntry('Xen', 'dom0_mem=1024M', X, '/boot') + linux('CentOS') });
    expect(r.record.result).toBe('bootfail');
    expect(r.record.error).toBe('Error 15: File not found');
    const same = boot({
      conf: HEAD + xenEntry('Xen', 'dom0_mem=1024M', X, '/boot'),
      bootPartition: false,
      files: Object.fromEntries(Object.entries(FILES).map(([k, v]) => [`/boot${k}`, v])),
    });
    expect(same.record.result).toBe('up');
    expect(same.record.hypervisor).toBe('xen');
  });

  it('initrd after a multiboot kernel: Error 19', () => {
    const r = boot({ conf: HEAD + `title X\nkernel /xen.gz\nmodule /vmlinuz-${X} ro root=${ROOT}\ninitrd /initramfs-${X}.img\n` });
    expect(r.record.error).toBe('Error 19: Linux kernel must be loaded before initrd');
  });

  it('module after a Linux kernel acts as initrd', () => {
    const r = boot({ conf: HEAD + `title L\nkernel /vmlinuz-${K} ro root=${ROOT}\nmodule /initramfs-${K}.img\n` });
    expect(r.record.result).toBe('up');
    expect(r.record.hypervisor).toBe('none');
  });

  it('a file that is not a kernel: Error 13; a partition GRUB cannot read: Error 17; no such disk: Error 21', () => {
    expect(boot({ conf: HEAD + 'title A\nkernel /grub/splash.xpm.gz\n' }).record.error).toBe('Error 13: Invalid or unsupported executable format');
    expect(boot({ conf: HEAD + 'title A\nroot (hd0,1)\nkernel /a\n' }).record.error).toBe('Error 17: Cannot mount selected partition');
    expect(boot({ conf: HEAD + 'title A\nroot (hd1,0)\nkernel /a\n' }).record.error).toBe('Error 21: Selected disk does not exist');
    expect(boot({ conf: HEAD + 'title A\nkernel vmlinuz\n' }).record.error).toBe('Error 1: Filename must be either an absolute pathname or blocklist');
  });

  it('boots Xen: the command line without the image path, dom0 release from the first module, " -- " extra', () => {
    const r = boot({ conf: HEAD + xenEntry('Xen', 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin -- quiet') });
    expect(r.record).toMatchObject({
      result: 'up',
      hypervisor: 'xen',
      kernelRelease: X,
      xenCmdline: 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin',
      dom0Cmdline: `ro root=${ROOT} quiet`,
    });
  });

  it('unknown and invalid Xen options are logged and do not stop the boot', () => {
    const r = boot({ conf: HEAD + xenEntry('Xen', 'dom0_mem=1024MB cpufrep=xen dom0_vcpus_pin=2 console=com1,tty') });
    expect(r.record.result).toBe('up');
    const log = r.log.join('\n');
    expect(log).toContain('(XEN) parameter "cpufrep" unknown!');
    expect(log).toContain('(XEN) parameter "dom0_mem" has invalid value "1024MB", rc=-22!');
    expect(log).toContain('(XEN) parameter "dom0_vcpus_pin" has invalid value "2", rc=-22!');
    expect(log).toContain("(XEN) Bad console= option 'tty'");
  });

  it('the stock 2.6.32 kernel as dom0: Xen panics and reboots by itself', () => {
    const r = boot({ conf: HEAD + xenEntry('Xen', 'dom0_mem=1024M', K) });
    expect(r.record.result).toBe('panic');
    expect(r.record.rebootAfterPanic).toBe(true);
    const log = r.log.join('\n');
    expect(log).toContain('(XEN) Kernel does not support Dom0 operation');
    expect(log).toContain('(XEN) Could not set up DOM0 guest OS');
    expect(log).toContain('(XEN) Reboot in five seconds...');
  });

  it('a Xen entry without the initramfs module: dom0 panics, Xen reboots; with noreboot it stays down', () => {
    const conf = HEAD + `title X\nkernel /xen.gz dom0_mem=1024M\nmodule /vmlinuz-${X} ro root=${ROOT}\n`;
    const r = boot({ conf });
    expect(r.record.result).toBe('panic');
    expect(r.record.rebootAfterPanic).toBe(true);
    expect(r.log.join('\n')).toContain('(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds.');
    const stay = boot({ conf: conf.replace('dom0_mem=1024M', 'dom0_mem=1024M noreboot') });
    expect(stay.record.rebootAfterPanic).toBe(false);
  });

  it('a dom0 command line without the right root=: dracut stops, no ssh', () => {
    const r = boot({ conf: HEAD + `title X\nkernel /xen.gz\nmodule /vmlinuz-${X} ro\nmodule /initramfs-${X}.img\n` });
    expect(r.record.result).toBe('bootfail');
    expect(r.record.error).toMatch(/root=/);
    const wrong = boot({ conf: HEAD + linux('A', K).replace(ROOT, '/dev/mapper/vg_other-lv_root') });
    expect(wrong.record.error).toMatch(/does not exist/);
  });

  it('an initramfs of another kernel: panic', () => {
    const r = boot({ conf: HEAD + `title X\nkernel /xen.gz\nmodule /vmlinuz-${X} ro root=${ROOT}\nmodule /initramfs-${K}.img\n` });
    expect(r.record.result).toBe('panic');
  });

  it('the xen-panic fault knob', () => {
    const r = boot({ conf: HEAD + xenEntry('Xen'), faults: { 'xen-panic': '1' } });
    expect(r.record.result).toBe('panic');
    expect(r.record.rebootAfterPanic).toBe(true);
  });
});

describe('Xen 4.10 Domain-0 sizing from the command line', () => {
  const xenOf = (args: string, spec: Record<string, unknown> = {}) =>
    (firmwareBatch([{ conf: HEAD + xenEntry('Xen', args), files: FILES, spec: { rootDevice: ROOT, memMiB: 4096, cpus: 4, ...spec }, withXen: true }])[0]!.record as unknown as {
      xen: { dom0_mem_mib: number; vcpus: number; hard_affinity: string[]; messages: string[] };
    }).xen;
  // the machine model (docs/testbed.md): 4096 MiB -> Xen total 4063, Xen keeps 31, dom0 may use 4032
  const avail = 4032;

  it('dom0_mem: exact, min:, max:, negative, KiB without a unit, octal, and the invalid forms', () => {
    const cases: [string, number][] = [
      ['dom0_mem=1024M', 1024],
      ['dom0_mem=1024M,max:1024M', 1024],
      ['dom0_mem=512M,min:1G', 1024],
      ['dom0_mem=4G,max:2G', 2048],
      ['dom0_mem=-512M', avail - 512],
      ['dom0_mem=1048576', 1024],
      ['dom0_mem=01024M', 532],
      ['dom0_mem=1.5G', avail - 128],
      ['dom0_mem=1024MB', 1024],
      ['dom0_max_vcpus=2', avail - 128],
    ];
    for (const [args, mib] of cases) expect([args, xenOf(args).dom0_mem_mib]).toEqual([args, mib]);
    expect(xenOf('dom0_mem=1.5G').messages).toEqual(['parameter "dom0_mem" has invalid value "1.5G", rc=-22!']);
    expect(xenOf('dom0_mem=25%').messages).toEqual(['parameter "dom0_mem" has invalid value "25%", rc=-22!']);
    expect(xenOf('dom0_mem = 1024M').messages).toEqual(['parameter "" unknown!', 'parameter "1024M" unknown!']);
    expect(xenOf('', { memMiB: 1024 }).dom0_mem_mib).toBe(1024 - 1 - 8 - (16 + 3) - 63);
  });

  it('dom0_max_vcpus: N, N-, -M, N-M, 0; dom0_vcpus_pin wraps over the CPUs', () => {
    const cases: [string, number][] = [
      ['dom0_max_vcpus=2', 2],
      ['dom0_max_vcpus=8', 8],
      ['dom0_max_vcpus=2-', 4],
      ['dom0_max_vcpus=-2', 2],
      ['dom0_max_vcpus=6-8', 6],
      ['dom0_max_vcpus=0', 1],
      ['dom0_mem=1G', 4],
    ];
    for (const [args, n] of cases) expect([args, xenOf(args).vcpus]).toEqual([args, n]);
    expect(xenOf('dom0_max_vcpus=2 dom0_vcpus_pin').hard_affinity).toEqual(['0', '1']);
    expect(xenOf('dom0_max_vcpus=6 dom0_vcpus_pin').hard_affinity).toEqual(['0', '1', '2', '3', '0', '1']);
    expect(xenOf('dom0_max_vcpus=2 cpufreq=dom0-kernel').hard_affinity).toEqual(['0', '1']);
    expect(xenOf('dom0_max_vcpus=2 dom0_vcpus_pin=yes').hard_affinity).toEqual(['0', '1']);
    expect(xenOf('dom0_max_vcpus=2 no-dom0_vcpus_pin').hard_affinity).toEqual(['all', 'all']);
    expect(xenOf('dom0_max_vcpus=2', { maxCpuId: 7 }).hard_affinity).toEqual(['0-3', '0-3']);
  });
});

// grubby's test inputs (GRUB's view verified against GRUB 0.97's own code, see the corpus README)
const corpus = path.resolve(TESTBED_DIR, '../../../shared/corpus/grubby');
describe.runIf(fs.existsSync(corpus))('the grubby corpus as GRUB 0.97 reads it', () => {
  const expected: Record<string, [number, number]> = {
    'grub.1': [1, 0], 'grub.2': [2, 0], 'grub.3': [3, 0], 'grub.4': [4, 0], 'grub.5': [3, 0], 'grub.6': [4, 2], 'grub.7': [5, 2],
    'grub.8': [1, 0], 'grub.9': [2, 0], 'grub.10': [2, 0], 'grub.11': [2, 0], 'grub.12': [4, 0], 'grub.13': [2, 0], 'grub.14': [22, 0], 'grub.15': [2, 1],
  };
  it('entries and default of grub.1 ... grub.15', () => {
    const names = Object.keys(expected);
    const res = firmwareBatch(names.map((n) => ({ conf: fs.readFileSync(path.join(corpus, n), 'latin1'), files: {} })));
    names.forEach((n, i) => {
      const c = res[i]!.config!;
      expect([n, c.entries.length, c.default]).toEqual([n, ...expected[n]!]);
    });
  });
});
