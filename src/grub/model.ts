/** Types of the grub.conf model (GRUB 0.97 / RHEL 6 view over a lossless segment list). */
import type { CommandClass } from './commands.js';

export type Severity = 'error' | 'warning' | 'info';

export type FindingCode =
  | 'swallowed-title'
  | 'swallowed-line'
  | 'menu-command-in-entry'
  | 'initrd-after-multiboot'
  | 'initrd-before-kernel'
  | 'module-before-kernel'
  | 'split-word-continuation'
  | 'unknown-command'
  | 'command-before-title'
  | 'default-out-of-range'
  | 'default-unparsable'
  | 'default-saved'
  | 'fallback-out-of-range'
  | 'fallback-garbage'
  | 'fallback-duplicate'
  | 'fallback-unparsable'
  | 'xen-option-on-linux-line'
  | 'empty-entry'
  | 'no-entries'
  | 'line-too-long'
  | 'no-kernel'
  | 'multiple-kernels'
  | 'xen-entry-without-dom0'
  | 'xen-entry-without-initramfs'
  | 'duplicate-title';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** 1-based physical line number. */
  line: number;
  message: string;
}

/** One logical line GRUB reads as a command (known or not). */
export interface GrubCommand {
  /** Index into `GrubConf.segments`. */
  segment: number;
  /** 1-based physical line where it starts. */
  line: number;
  name: string;
  /** The argument as GRUB passes it (`skip_to(1, line)`). */
  arg: string;
  /** Offset of `arg` within the segment's GRUB view. */
  argOffset: number;
  cls: CommandClass | undefined;
}

export interface ImageLine {
  /** The path as written, including a device prefix like `(hd0,0)` if any. */
  path: string;
  /** Arguments after the path (GRUB view, leading blanks removed, trailing blanks removed). */
  args: string;
  line: number;
  /** Index into `GrubConf.segments`. */
  segment: number;
  /** `kernel` options such as `--type=netbsd`, `--no-mem-option`. */
  options?: string[];
}

export type EntryKind = 'linux' | 'xen' | 'chainloader' | 'other';

export interface GrubEntry {
  /** GRUB's 0-based index, or null when GRUB drops the entry (no known command). */
  index: number | null;
  /** Title as GRUB shows it (tabs as spaces, trailing blanks kept). */
  title: string;
  /** 1-based line of the `title` command. */
  line: number;
  /** Segment index range of the entry: title segment up to (excluding) the next title. */
  segmentStart: number;
  segmentEnd: number;
  /** Known commands of the entry, in order (the title excluded). */
  commands: GrubCommand[];
  root: string | null;
  kernel: ImageLine | null;
  modules: ImageLine[];
  initrd: ImageLine | null;
  chainloader: string | null;
  kind: EntryKind;
  /** Linux kernel version: of the kernel (linux) or of the first module (xen). */
  version: string | null;
}

export interface DefaultSetting {
  /** The argument as written, e.g. `0`, `saved`, `1 # first`. */
  written: string;
  /** The segment index of the effective (last) global `default` line. */
  segment: number;
  line: number;
  /** GRUB's reading: a number, `saved`, or null when the value does not parse (GRUB keeps 0). */
  value: number | 'saved' | null;
}

export interface FallbackSetting {
  written: string;
  segment: number;
  line: number;
  /** Entries as GRUB parsed them (before out-of-range removal); empty when the parse failed. */
  entries: number[];
  ok: boolean;
}
