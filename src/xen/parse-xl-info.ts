import { XlParseError } from './xen-option-error.js';
import { boundedInt, MAX_XEN_CPU_ID, MAX_XEN_CPUS, MAX_XEN_MEMORY_MIB } from './limits.js';

/** `xl info`: every `key : value` line, plus typed fields (null when the key is absent). */
export interface XlInfo {
  /** All keys, in a prototype-less record. Values have trailing blanks removed; they may be empty. */
  fields: Readonly<Record<string, string>>;
  release: string | null;
  xenMajor: number | null;
  xenMinor: number | null;
  xenVersion: string | null;
  /** Xen's saved command line, verbatim (typos included). */
  xenCommandline: string | null;
  totalMemoryMiB: number | null;
  freeMemoryMiB: number | null;
  nrCpus: number | null;
  maxCpuId: number | null;
}

const LINE_RE = /^([a-z_][a-z0-9_]*)\s*:\s?(.*)$/;

/**
 * Parse `xl info` (Xen 4.10 `print_info`: `%-23s: %s`, except `virt_caps` which has no blank after the colon and may
 * be empty). Lines that are not `key : value` are ignored; text with no such line, or a numeric key whose value is
 * not a number or not plausible for Xen 4.10 (limits.ts), throws XlParseError.
 */
export function parseXlInfo(text: string): XlInfo {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let found = false;
  for (const raw of text.split(/\r?\n/)) {
    const m = LINE_RE.exec(raw);
    if (m === null) continue;
    found = true;
    fields[m[1] ?? ''] = (m[2] ?? '').replace(/\s+$/, '');
  }
  if (!found) throw new XlParseError('no `key : value` lines: not `xl info` output');
  const str = (k: string): string | null => (Object.prototype.hasOwnProperty.call(fields, k) ? (fields[k] ?? null) : null);
  const int = (k: string, max: number): number | null => {
    const v = str(k);
    if (v === null) return null;
    if (!/^\d+$/.test(v)) throw new XlParseError(`xl info: ${k} is not a number: ${JSON.stringify(v.slice(0, 40))}`);
    const n = boundedInt(v, max);
    if (n === null) throw new XlParseError(`xl info: ${k} ${v.slice(0, 24)} is not plausible (at most ${max} on Xen 4.10)`);
    return n;
  };
  const nrCpus = int('nr_cpus', MAX_XEN_CPUS);
  const maxCpuId = int('max_cpu_id', MAX_XEN_CPU_ID);
  return {
    fields,
    release: str('release'),
    xenMajor: int('xen_major', 1000),
    xenMinor: int('xen_minor', 1000),
    xenVersion: str('xen_version'),
    xenCommandline: str('xen_commandline'),
    totalMemoryMiB: int('total_memory', MAX_XEN_MEMORY_MIB),
    freeMemoryMiB: int('free_memory', MAX_XEN_MEMORY_MIB),
    nrCpus,
    maxCpuId,
  };
}
