/**
 * The documented JSON contract of `dom0up grub show --json` (docs/json.md): GRUB's view of
 * a grub.conf. Fields are only ever added, never renamed or removed.
 */
import type { GrubConf } from './parse-grub-conf.js';
import type { EntryKind, Finding } from './model.js';

export interface GrubViewEntry {
  index: number;
  title: string;
  line: number;
  kind: EntryKind;
  root: string | null;
  kernel: { path: string; args: string } | null;
  modules: { path: string; args: string }[];
  initrd: string | null;
  version: string | null;
}

export interface GrubView {
  entries: GrubViewEntry[];
  /** The `default` value as written (null when there is no global default line). */
  default: string | null;
  /** The index GRUB boots (null: `default saved` — stored in stage2 — or no entries). */
  boots: number | null;
  /** Fallback entries GRUB uses, in order (out-of-range entries removed). */
  fallback: number[];
  timeout: number | null;
  hiddenmenu: boolean;
  /** `/` when /boot is its own partition, `/boot/` otherwise (null: unknown). */
  bootPrefix: string | null;
  /** Titles GRUB drops because they have no command it knows. */
  dropped: { title: string; line: number }[];
  findings: Finding[];
}

export function grubView(conf: GrubConf): GrubView {
  return {
    entries: conf.entries.map((e) => ({
      index: e.index as number,
      title: e.title,
      line: e.line,
      kind: e.kind,
      root: e.root,
      kernel: e.kernel ? { path: e.kernel.path, args: e.kernel.args } : null,
      modules: e.modules.map((m) => ({ path: m.path, args: m.args })),
      initrd: e.initrd ? [e.initrd.path, e.initrd.args].filter(Boolean).join(' ') : null,
      version: e.version,
    })),
    default: conf.default ? conf.default.written : null,
    boots: conf.bootIndex(),
    fallback: conf.effectiveFallback,
    timeout: conf.timeout,
    hiddenmenu: conf.hiddenmenu,
    bootPrefix: conf.bootPrefix,
    dropped: conf.allEntries.filter((e) => e.index === null).map((e) => ({ title: e.title, line: e.line })),
    findings: [...conf.findings],
  };
}
