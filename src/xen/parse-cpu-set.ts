import { XlParseError } from './xen-option-error.js';
import { MAX_XEN_CPU_ID } from './limits.js';

/**
 * CPUs in an affinity as xl prints it (`print_bitmap` over CPUs 0..maxCpuId): `all`, `none`, or a comma list of
 * `a` / `a-b`. Returns sorted, distinct CPU numbers; throws XlParseError for anything else or a CPU above maxCpuId.
 */
export function parseCpuSet(s: string, maxCpuId: number): number[] {
  if (!Number.isSafeInteger(maxCpuId) || maxCpuId < 0) throw new XlParseError(`max_cpu_id ${maxCpuId} is not a CPU number`);
  // bounded before anything is built from it: 'all' and ranges list every CPU
  if (maxCpuId > MAX_XEN_CPU_ID) throw new XlParseError(`max_cpu_id ${maxCpuId} is not plausible (at most ${MAX_XEN_CPU_ID} on Xen 4.10)`);
  if (s === 'all') return Array.from({ length: maxCpuId + 1 }, (_, i) => i);
  if (s === 'none') return [];
  const set = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new XlParseError(`not a CPU list: ${JSON.stringify(s.slice(0, 60))}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b) throw new XlParseError(`CPU range ${part} runs backwards`);
    if (b > maxCpuId) throw new XlParseError(`CPU ${b} in ${JSON.stringify(s.slice(0, 60))} is above max_cpu_id ${maxCpuId}`);
    for (let c = a; c <= b; c++) set.add(c);
  }
  return [...set].sort((x, y) => x - y);
}

/** The inverse of parseCpuSet, as xl's `print_bitmap` writes it. */
export function formatCpuSet(cpus: readonly number[], maxCpuId: number): string {
  const sorted = [...new Set(cpus)].filter((c) => c >= 0 && c <= maxCpuId).sort((a, b) => a - b);
  if (sorted.length === 0) return 'none';
  if (sorted.length === maxCpuId + 1) return 'all';
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const a = sorted[i] ?? 0;
    let b = a;
    while (sorted[i + 1] === b + 1) {
      b++;
      i++;
    }
    parts.push(a === b ? String(a) : `${a}-${b}`);
    i++;
  }
  return parts.join(',');
}
