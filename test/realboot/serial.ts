// Reads the serial log of a real boot: the stand-in initramfs prints its findings between `=== NAME` markers
// (see mkinitramfs.sh); GRUB's screen (via SeaBIOS's serial console) and, when the config sends it there, Xen's
// and Linux's console output surround them. `xl` output is parsed with the project's own parsers (src/xen).
import { findXenCmdlineProblems, parseXlInfo, parseXlList, parseXlVcpuList } from '../../src/xen/index.js';
import type { XenCmdlineProblem, XlDomain, XlInfo, XlVcpu } from '../../src/xen/index.js';

/** Terminal escape sequences and CRs removed (SeaBIOS's serial console draws GRUB's screen with ANSI codes). */
export function cleanSerial(raw: string): string {
  return raw
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\x1b[c78()][0-9A-Za-z]?/g, '')
    .replace(/\r/g, '');
}

/** Text between `=== NAME-BEGIN` and `=== NAME-END` (markers need not start a line: output may interleave). */
export function section(clean: string, name: string): string | null {
  const b = clean.indexOf(`=== ${name}-BEGIN`);
  if (b < 0) return null;
  const from = clean.indexOf('\n', b);
  const e = clean.indexOf(`=== ${name}-END`, from);
  if (from < 0 || e < 0) return null;
  return clean.slice(from + 1, e);
}

/** Value of a one-line marker `=== NAME: value`. */
export function marker(clean: string, name: string): string | null {
  const m = new RegExp(`=== ${name}: ?([^\\n]*)`).exec(clean);
  return m ? (m[1] ?? '').trimEnd() : null;
}

export interface SerialReport {
  /** GRUB's `Booting 'TITLE'` line */
  grubBootingTitle: string | null;
  /** first `Error N: message` GRUB printed (e.g. `Error 15: File not found`) */
  grubError: string | null;
  /** GRUB's screen was seen at all */
  grubSeen: boolean;
  /** the initramfs report started / finished */
  reportBegun: boolean;
  reportComplete: boolean;
  notXenDom0: boolean;
  kernelCmdline: string | null;
  /** the file the initramfs was loaded from, e.g. /initramfs-4.9.241-37.el6.x86_64.img (tells which entry booted) */
  initrdName: string | null;
  unameR: string | null;
  sysHypervisor: string | null;
  xenCaps: string | null;
  /** `(XEN) Bootloader: …` (from xl dmesg, or Xen's console on the serial line) */
  xenBootloader: string | null;
  /** `(XEN) Command line: …` */
  xenDmesgCmdline: string | null;
  xenVersionLine: string | null;
  /** Xen printed on the serial line before dom0's report (only when it owns com1) */
  xenOnSerial: boolean;
  panicLine: string | null;
  xlList: XlDomain[] | null;
  xlInfo: XlInfo | null;
  xlVcpuList: XlVcpu[] | null;
  xlDmesg: string | null;
  xenCmdlineProblems: XenCmdlineProblem[];
  warnings: string[];
}

function tryParse<T>(what: string, text: string | null, parse: (t: string) => T, warnings: string[]): T | null {
  if (text === null) return null;
  try {
    return parse(text);
  } catch (e) {
    warnings.push(`${what}: ${(e as Error).message}`);
    return null;
  }
}

export function readSerial(raw: string): SerialReport {
  const clean = cleanSerial(raw);
  const warnings: string[] = [];
  const reportAt = clean.indexOf('=== TEST-BEGIN');
  const before = reportAt < 0 ? clean : clean.slice(0, reportAt);
  for (const m of clean.matchAll(/=== WARN: ([^\n]*)/g)) warnings.push(`initramfs: ${m[1] ?? ''}`);

  const xlDmesg = section(clean, 'XL-DMESG');
  const fromXen = (re: RegExp): string | null => {
    const m = re.exec(xlDmesg ?? '') ?? re.exec(clean);
    return m ? (m[1] ?? '').trim() : null;
  };
  const grubErr = /Error (\d+): ([^\n]*)/.exec(before);
  // Debian's GRUB prints `Booting 'TITLE'`; Red Hat's, with `hiddenmenu`, only counts down ("Booting TITLE in N
  // seconds...") and prints nothing at all for a timeout of 0
  // seconds...") and prints nothing at all for a timeout of 0; a countdown broken by a key press (the menu is drawn
  // after it) does not tell which entry was then chosen
  const countdown = /Booting (.*?) in \d+ seconds\.\.\./.exec(before);
  const menuAfter = countdown ? before.indexOf('Use the ^ and v keys', countdown.index) >= 0 : false;
  const booting = /Booting '([^\n]*)'/.exec(before) ?? (menuAfter ? null : countdown);
  const panic = /(Kernel panic - not syncing[^\n]*|Hardware Dom0 crashed[^\n]*|Panic on CPU \d+[^\n]*)/.exec(clean);
  return {
    grubBootingTitle: booting ? (booting[1] ?? null) : null,
    grubError: grubErr ? `Error ${grubErr[1]}: ${(grubErr[2] ?? '').trim()}` : null,
    grubSeen: /GRUB Loading stage2|Press `ESC' to enter the menu|Press any key to enter the menu|GNU GRUB\s+version|Booting '/.test(before),
    reportBegun: reportAt >= 0,
    reportComplete: clean.includes('=== TEST-END'),
    notXenDom0: clean.includes('=== NOT-XEN-DOM0'),
    kernelCmdline: marker(clean, 'KERNEL-CMDLINE'),
    initrdName: marker(clean, 'INITRD-NAME') || null,
    unameR: marker(clean, 'UNAME-R'),
    sysHypervisor: marker(clean, 'SYS-HYPERVISOR'),
    xenCaps: marker(clean, 'XEN-CAPS'),
    xenBootloader: fromXen(/\(XEN\) Bootloader: ([^\n]*)/),
    xenDmesgCmdline: fromXen(/\(XEN\) Command line: ([^\n]*)/),
    xenVersionLine: fromXen(/\(XEN\) (Xen version [^\n]*)/),
    xenOnSerial: /\(XEN\) /.test(before),
    panicLine: panic ? (panic[1] ?? '').trim() : null,
    xlList: tryParse('xl list', section(clean, 'XL-LIST'), parseXlList, warnings),
    xlInfo: tryParse('xl info', section(clean, 'XL-INFO'), parseXlInfo, warnings),
    xlVcpuList: tryParse('xl vcpu-list', section(clean, 'XL-VCPU-LIST'), parseXlVcpuList, warnings),
    xlDmesg,
    // from `xl dmesg`, else from Xen's own console output on the serial line (when dom0 never reported)
    xenCmdlineProblems: findXenCmdlineProblems(xlDmesg ?? before.split('\n').filter((l) => l.includes('(XEN) ')).map((l) => l.slice(l.indexOf('(XEN) '))).join('\n')),
    warnings,
  };
}

/**
 * The serial log of a run in which the machine reset and booted again, cut into one piece per boot (at SeaBIOS's
 * banner, which starts every power-on and every reset).
 */
export function splitBoots(raw: string): string[] {
  const at: number[] = [];
  const re = /SeaBIOS \(version/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) at.push(m.index);
  if (at.length <= 1) return [raw];
  return at.map((a, i) => raw.slice(i === 0 ? 0 : a, at[i + 1] ?? raw.length));
}
