import { XlParseError } from './xen-option-error.js';
import { boundedInt, MAX_XEN_DOMID, MAX_XEN_MEMORY_MIB, MAX_XEN_VCPUS } from './limits.js';

/** One row of `xl list`. */
export interface XlDomain {
  name: string;
  id: number;
  /** "Mem": the domain's target memory in MiB. */
  memMiB: number;
  /** Online vCPUs. */
  vcpus: number;
  /** Six flag letters: r b p s, shutdown reason (`-rscwS?`), d; `-` = not set. */
  state: string;
  timeS: number;
}

const HEADER_RE = /^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)(?:\s|$)/;
const ROW_RE = /^(\S(?:.*?\S)?)\s+(\d+)\s+(\d+)\s+(\d+)\s+([r-][b-][p-][s-][-rscwS?][d-])\s+(\d+(?:\.\d+)?)(?:\s.*)?$/;

/**
 * Parse `xl list` (Xen 4.10 `list_domains`: header `Name…ID   Mem VCPUs\tState\tTime(s)`, rows
 * `%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`). Rows are split on blanks, so names longer than 40 characters and
 * the TABs in the header are fine. Lines before the header are ignored; a missing header or a row that does not
 * fit throws XlParseError.
 */
export function parseXlList(text: string): XlDomain[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => HEADER_RE.test(l.trim()));
  if (start < 0) throw new XlParseError('no `xl list` header ("Name ID Mem VCPUs State Time(s)")');
  const out: XlDomain[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const m = ROW_RE.exec(line);
    if (m === null) throw new XlParseError(`not an \`xl list\` row: ${JSON.stringify(line.slice(0, 80))}`, i + 1);
    const id = boundedInt(m[2] ?? '', MAX_XEN_DOMID);
    const memMiB = boundedInt(m[3] ?? '', MAX_XEN_MEMORY_MIB);
    const vcpus = boundedInt(m[4] ?? '', MAX_XEN_VCPUS);
    if (id === null || memMiB === null || vcpus === null) throw new XlParseError(`\`xl list\` row with numbers no Xen 4.10 host reports: ${JSON.stringify(line.slice(0, 80))}`, i + 1);
    out.push({
      name: m[1] ?? '',
      id,
      memMiB,
      vcpus,
      state: m[5] ?? '',
      timeS: Number(m[6]),
    });
  }
  return out;
}
