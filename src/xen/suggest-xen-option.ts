import { BOOLEAN_LIKE_XEN_OPTIONS, isBooleanXenOption, KNOWN_XEN_OPTIONS } from './known-xen-options.js';

/**
 * Optimal-string-alignment Damerau–Levenshtein distance (insert, delete, substitute, swap two adjacent characters).
 */
export function damerauLevenshtein(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rolling rows: i-2, i-1, i.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] ?? 0;
}

/** Case and `-`/`_` do not matter when looking for the name the user meant. */
function normalise(s: string): string {
  return s.toLowerCase().replace(/-/g, '_');
}

/** Common mistakes too far from the right name for the edit distance to find (§2.4 of the facts). */
const ALIASES: Readonly<Record<string, string>> = {
  dom0_vcpus: 'dom0_max_vcpus',
  dom0_cpus: 'dom0_max_vcpus',
  dom0_maxcpus: 'dom0_max_vcpus',
  dom0_nr_vcpus: 'dom0_max_vcpus',
  dom0_pin: 'dom0_vcpus_pin',
  dom0_pin_vcpus: 'dom0_vcpus_pin',
  dom0_memory: 'dom0_mem',
  dom0_ram: 'dom0_mem',
};

const CANDIDATES: readonly { name: string; norm: string }[] = [...KNOWN_XEN_OPTIONS]
  .filter((n) => !n.endsWith('['))
  .map((name) => ({ name, norm: normalise(name) }));

/**
 * The known Xen 4.10 option the user most likely meant, or undefined when nothing is close.
 * `hasValue` separates `dom0_vcpus=2` (→ dom0_max_vcpus) from a bare `dom0_vcpus` (→ dom0_vcpus_pin).
 */
export function suggestXenOption(name: string, hasValue = true): string | undefined {
  const norm = normalise(name);
  if (name.startsWith('no-')) {
    const inner = suggestXenOption(name.slice(3), hasValue);
    if (inner !== undefined && (isBooleanXenOption(inner) || BOOLEAN_LIKE_XEN_OPTIONS.has(inner))) return `no-${inner}`;
  }
  if (norm === 'dom0_vcpus' && !hasValue) return 'dom0_vcpus_pin';
  const alias = ALIASES[norm];
  if (alias !== undefined) return alias;
  const exact = CANDIDATES.find((c) => c.norm === norm);
  if (exact !== undefined) return exact.name;
  const limit = norm.length <= 4 ? 1 : norm.length <= 8 ? 2 : 3;
  let best: { name: string; d: number } | undefined;
  for (const c of CANDIDATES) {
    if (Math.abs(c.norm.length - norm.length) > limit) continue;
    const d = damerauLevenshtein(norm, c.norm);
    if (d > limit) continue;
    if (best === undefined || d < best.d || (d === best.d && c.name < best.name)) best = { name: c.name, d };
  }
  return best?.name;
}
