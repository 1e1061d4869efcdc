// Fast checks of the tier's own readers (no boot): the grub.conf oracle, the stand-in mapping, the serial reader.
import { describe, expect, test } from 'vitest';
import { parseBlockMap, standInFor } from './disk.js';
import { checkXenDom0, sizeToMiB } from './expect.js';
import { defaultEntry, linuxKernelOf, physicalToLogical, readGrubConf, referencedFiles, xenArgsOf } from './grub-conf.js';
import { menuWait, type RealBootResult } from './harness.js';
import { readSerial, splitBoots } from './serial.js';

describe('grub.conf reader (test oracle)', () => {
  test('backslash-newline joins lines like GRUB 0.97 (the backslash goes, the newline becomes a space)', () => {
    expect(physicalToLogical('kernel /v ro LANG=\\\nen_US.UTF-8 rh\\\ngb quiet\ninitrd /i').map((l) => l.text))
      .toEqual(['kernel /v ro LANG= en_US.UTF-8 rh gb quiet', 'initrd /i']);
  });

  test('entries, default, Xen args, module args, referenced files', () => {
    const v = readGrubConf([
      'default=1', 'splashimage=(hd0,0)/grub/splash.xpm.gz', 'hiddenmenu',
      'title plain', '\troot (hd0,0)', '\tkernel /vmlinuz-4.9 ro quiet', '\tinitrd /initramfs-4.9.img',
      'title xen', '\troot (hd0,0)', '\tkernel (hd0,0)/xen.gz dom0_mem=1024M dom0_vcpus_pin',
      '\tmodule /vmlinuz-4.9 ro root=/dev/x', '\tmodule /initramfs-4.9.img', '',
    ].join('\r\n'));
    const d = defaultEntry(v);
    expect(d.title).toBe('xen');
    expect(xenArgsOf(d)).toBe('dom0_mem=1024M dom0_vcpus_pin');
    expect(linuxKernelOf(d)?.args).toBe('ro root=/dev/x');
    expect(xenArgsOf(v.entries[0]!)).toBeNull();
    expect(referencedFiles(v).sort()).toEqual(['/grub/splash.xpm.gz', '/initramfs-4.9.img', '/vmlinuz-4.9', '/xen.gz']);
  });
});

describe('stand-in mapping', () => {
  test('only CentOS /boot names in the layout\'s /boot directory get a stand-in', () => {
    expect(standInFor('/xen.gz', 'boot-partition')).toBe('xen');
    expect(standInFor('/xen-4.10.4.134.g6ea37c69c7-2.el6.gz', 'boot-partition')).toBe('xen');
    expect(standInFor('/vmlinuz-4.9.241-37.el6.x86_64', 'boot-partition')).toBe('kernel');
    expect(standInFor('/initramfs-4.9.241-37.el6.x86_64.img', 'boot-partition')).toBe('initramfs');
    expect(standInFor('/boot/xen.gz', 'boot-partition')).toBeNull(); // wrong prefix → GRUB Error 15
    expect(standInFor('/boot/vmlinuz-4.9', 'root-partition')).toBe('kernel');
    expect(standInFor('/vmlinuz-4.9', 'root-partition')).toBeNull();
    expect(standInFor('/initrd-4.9.img', 'boot-partition')).toBeNull();
    expect(standInFor('/xen.gz.bak', 'boot-partition')).toBeNull();
  });
});

describe('serial reader', () => {
  const log = [
    '\x1bc\x1b[?7l\x1b[2JSeaBIOS (version 1.16.2)\r\n', 'GRUB Loading stage2...\r\n',
    "Press `ESC' to enter the menu... 0   \r\x1b[2J  Booting 'CentOS (4.\x1b[01;21H9.241)'\r\n",
    '   [Multiboot-module @ 0xd86000, 0x714800 bytes', '\n=== TEST-BEGIN\n',
    '=== KERNEL-CMDLINE: ro root=/dev/mapper/vg-root quiet\n', '=== UNAME-R: 6.1.0-56-amd64\n',
    '=== SYS-HYPERVISOR: xen\n', '=== XEN-CAPS: control_d\n',
    '=== XL-LIST-BEGIN\n', 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n',
    'Domain-0                                     0  1024     2     r-----       4.6\n', '=== XL-LIST-END\n',
    '=== XL-INFO-BEGIN\n', 'release                : 6.1.0-56-amd64\n', 'xen_major              : 4\n',
    'xen_commandline        : dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin\n', '=== XL-INFO-END\n',
    '=== XL-VCPU-LIST-BEGIN\n', 'Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n',
    'Domain-0                             0     0    0   r--       3.5  0 / all\n',
    'Domain-0                             0     1    1   -b-       1.8  1 / all\n', '=== XL-VCPU-LIST-END\n',
    '=== XL-DMESG-BEGIN\n', '(XEN) Bootloader: GNU GRUB 0.97\n', '(XEN) Command line: dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin\n',
    '(XEN) parameter "cpufrep" unknown!\n', '=== XL-DMESG-END\n', '=== TEST-END\n',
  ].join('');

  test('markers, sections and the project\'s xl parsers', () => {
    const s = readSerial(log);
    expect(s.grubBootingTitle).toBe('CentOS (4.9.241)');
    expect(s.reportComplete).toBe(true);
    expect(s.kernelCmdline).toBe('ro root=/dev/mapper/vg-root quiet');
    expect(s.xlList?.[0]).toMatchObject({ name: 'Domain-0', memMiB: 1024, vcpus: 2 });
    expect(s.xlInfo?.xenCommandline).toBe('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin');
    expect(s.xlVcpuList?.map((v) => v.hard)).toEqual(['0', '1']);
    expect(s.xenBootloader).toBe('GNU GRUB 0.97');
    expect(s.xenOnSerial).toBe(false);
    expect(s.xenCmdlineProblems.map((p) => p.option)).toEqual(['cpufrep']);
  });

  test('GRUB errors are read from the screen GRUB draws through SeaBIOS', () => {
    const s = readSerial("  Booting 'X'\r\n\r\nkernel /boot/xen.gz\r\n\r\nError 15: File not found\r\n\r\nPress any key to continue...");
    expect(s.grubError).toBe('Error 15: File not found');
    expect(s.reportBegun).toBe(false);
  });

  test('checkXenDom0 lists every mismatch', () => {
    const s = readSerial(log);
    const r = {
      outcome: 'xen-dom0', bootloader: { xenReported: s.xenBootloader }, panic: null,
      hypervisor: { commandLine: s.xlInfo?.xenCommandline ?? null, cmdlineProblems: [] },
      dom0: { listRow: s.xlList?.[0] ?? null, memMiB: 1024, vcpus: 2, vcpuList: s.xlVcpuList ?? [], kernelCmdline: s.kernelCmdline },
    } as unknown as RealBootResult;
    const ok = { xenArgs: { dom0_mem: ['1024M,max:1024M'], dom0_max_vcpus: '2', dom0_vcpus_pin: null }, memMiB: 1024, vcpus: 2, pinned: true, dom0Cmdline: 'ro root=/dev/mapper/vg-root quiet' };
    expect(checkXenDom0(r, ok)).toEqual([]);
    expect(checkXenDom0(r, { ...ok, memMiB: 2048, xenArgs: { ...ok.xenArgs, dom0_mem: '2048M' }, pinned: false, dom0Cmdline: 'ro' })).toEqual([
      'xen_commandline: dom0_mem=1024M,max:1024M, expected 2048M',
      'Domain-0 memory: xl list says 1024 MiB, expected 2048 MiB',
      'vCPU 0: hard affinity 0, expected all (not pinned)',
      'vCPU 1: hard affinity 1, expected all (not pinned)',
      'dom0 kernel command line: "ro root=/dev/mapper/vg-root quiet", expected "ro"',
    ]);
    expect(sizeToMiB('1G')).toBe(1024);
  });
});

describe('boots within one run, and GRUB\'s countdown', () => {
  test('a reset starts a new boot at SeaBIOS\'s banner', () => {
    const log = "\x1bcSeaBIOS (version 1.16.2)\r\n  Booting 'Xen'\r\n(XEN) Hardware Dom0 crashed\r\n\x1bcSeaBIOS (version 1.16.2)\r\n  Booting 'plain'\r\n=== TEST-BEGIN\n=== NOT-XEN-DOM0\n=== TEST-END\n";
    const parts = splitBoots(log);
    expect(parts).toHaveLength(2);
    expect(readSerial(parts[0]!).grubBootingTitle).toBe('Xen');
    expect(readSerial(parts[0]!).panicLine).toBe('Hardware Dom0 crashed');
    expect(readSerial(parts[1]!).grubBootingTitle).toBe('plain');
    expect(readSerial(parts[1]!).notXenDom0).toBe(true);
    expect(splitBoots('no banner')).toEqual(['no banner']);
  });

  test('Red Hat\'s hidden-menu countdown: "Booting T in N seconds..." from timeout-1 down to 0; nothing for timeout 0', () => {
    // as seen: SeaBIOS's serial console breaks the 80-column line with a cursor move
    const five = "Press any key to enter the menu\n\n\n\rBooting CentOS in 4 seconds..\x1b[24;1H.\rBooting CentOS in 3 seconds...\rBooting CentOS in 0 seconds...\r\n  Booting 'CentOS'\r\n";
    expect(menuWait(five)).toBe(5);
    expect(menuWait("\x1b[2J  Booting 'CentOS'\r\n")).toBe(0);
    expect(menuWait('Press any key to enter the menu')).toBeNull();
  });
});

describe('block maps read from debugfs stat', () => {
  test('data blocks by logical index; indirect and extent-tree blocks are not data; holes stay empty', () => {
    const ext2 = 'Inode: 12\nBLOCKS:\n(0-11):312-323, (IND):324, (12-13):325-326, (DIND):581, (IND):582, (268):583\nTOTAL: 20\n';
    const m = parseBlockMap(ext2);
    expect(m.slice(0, 14)).toEqual([312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 322, 323, 325, 326]);
    expect(m[268]).toBe(583);
    expect(m[14]).toBeUndefined();
    const ext4 = 'EXTENTS:\n(ETB0):15122, (0-1):6907-6908, (4):7000\n';
    const e = parseBlockMap(ext4);
    expect([e[0], e[1], e[2], e[3], e[4]]).toEqual([6907, 6908, undefined, undefined, 7000]);
  });
});
