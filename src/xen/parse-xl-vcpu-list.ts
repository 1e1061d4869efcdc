import { XlParseError } from './xen-option-error.js';
import { boundedInt, MAX_XEN_CPU_ID, MAX_XEN_DOMID, MAX_XEN_VCPUS } from './limits.js';

/** One row of `xl vcpu-list`. */
export interface XlVcpu {
  name: string;
  domid: number;
  vcpu: number;
  /** Physical CPU the vCPU is on; null for an offline vCPU (`-`). */
  cpu: number | null;
  /** Three letters: r (running) or -, b (blocked) or -, p (offline/paused) or -. */
  state: string;
  timeS: number;
  /** Hard affinity as printed: `all`, `none`, or ranges like `0-3,8`. */
  hard: string;
  /** Soft affinity as printed; null when xl printed one affinity column only (Xen ≤ 4.4). */
  soft: string | null;
}

const HEADER_RE = /^Name\s+ID\s+VCPU\s+CPU\s+State\s+Time\(s\)\s+Affinity/;
const ROW_RE = /^(\S(?:.*?\S)?)\s+(\d+)\s+(\d+)\s+(\d+|-)\s+([r-][b-][-p])\s+(\d+(?:\.\d+)?)\s+(\S+)(?:\s+\/\s+(\S+))?\s*$/;

/**
 * Parse `xl vcpu-list` (Xen 4.10 `xl_vcpu.c`): online rows `%5u %3c%c- %9.1f  HARD / SOFT`, offline rows with CPU `-`
 * and state `--p`. A missing header or a row that does not fit throws XlParseError.
 */
export function parseXlVcpuList(text: string): XlVcpu[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => HEADER_RE.test(l.trim()));
  if (start < 0) throw new XlParseError('no `xl vcpu-list` header ("Name ID VCPU CPU State Time(s) Affinity")');
  const out: XlVcpu[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const m = ROW_RE.exec(line);
    if (m === null) throw new XlParseError(`not an \`xl vcpu-list\` row: ${JSON.stringify(line.slice(0, 80))}`, i + 1);
    const domid = boundedInt(m[2] ?? '', MAX_XEN_DOMID);
    const vcpu = boundedInt(m[3] ?? '', MAX_XEN_VCPUS - 1);
    const cpu = m[4] === '-' ? null : boundedInt(m[4] ?? '', MAX_XEN_CPU_ID);
    if (domid === null || vcpu === null || (m[4] !== '-' && cpu === null)) throw new XlParseError(`\`xl vcpu-list\` row with numbers no Xen 4.10 host reports: ${JSON.stringify(line.slice(0, 80))}`, i + 1);
    out.push({
      name: m[1] ?? '',
      domid,
      vcpu,
      cpu,
      state: m[5] ?? '',
      timeS: Number(m[6]),
      hard: m[7] ?? '',
      soft: m[8] ?? null,
    });
  }
  return out;
}
