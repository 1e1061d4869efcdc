import { parseSizeToKiB, simpleStrtoull } from './parse-size-to-kib.js';
import { canonicalName, tokenizeXenArgs } from './tokenize-xen-args.js';
import { parseXenBool } from './validate-xen-token.js';

const PAGE_SHIFT = 12n;
const PAGES_PER_MIB = 256;
const UINT_MAX = 0xffffffff;

/** What Xen 4.10 will give Domain-0. */
export interface ExpectedDom0 {
  /** Initial memory in MiB; null = "all memory minus the reserve" (no amount given and no min/max clamp applies). */
  memMiB: number | null;
  vcpus: number;
  pinned: boolean;
}

interface MemState {
  nr: number; // pages, signed; 0 = not set
  min: number;
  max: number; // Infinity = LONG_MAX
}

/** parse_amt(): a size, optionally negative, in pages. */
function parseAmt(s: string, i: number): { pages: number; end: number } {
  const neg = s[i] === '-';
  const r = parseSizeToKiB(s, neg ? i + 1 : i);
  const pages = Number(r.bytes >> PAGE_SHIFT);
  return { pages: neg ? -pages : pages, end: r.end };
}

/** Xen 4.10 parse_dom0_mem(): updates the state item by item, even when it then reports an invalid value. */
function applyDom0Mem(st: MemState, s: string): void {
  let i = 0;
  for (;;) {
    if (s.startsWith('min:', i)) ({ pages: st.min, end: i } = parseAmt(s, i + 4));
    else if (s.startsWith('max:', i)) ({ pages: st.max, end: i } = parseAmt(s, i + 4));
    else ({ pages: st.nr, end: i } = parseAmt(s, i));
    if (s[i] !== ',') break;
    i++;
  }
}

interface VcpuState {
  min: number;
  max: number;
}

function strtoul(s: string, i: number): { value: number; end: number } {
  const r = simpleStrtoull(s, i);
  return { value: Number(r.value & BigInt(UINT_MAX)), end: r.end }; // stored in an unsigned int
}

/** Xen 4.10 parse_dom0_max_vcpus(): N, N-, N-M or -M. */
function applyDom0MaxVcpus(st: VcpuState, s: string): void {
  if (s.startsWith('-')) {
    st.max = strtoul(s, 1).value;
    return;
  }
  const lo = strtoul(s, 0);
  st.min = lo.value === 0 ? 1 : lo.value;
  let i = lo.end;
  if (i >= s.length) st.max = st.min;
  else if (s[i++] === '-' && i < s.length) st.max = strtoul(s, i).value;
}

/**
 * Domain-0's memory, vCPU count and pinning as Xen 4.10 computes them from its command line
 * (`xen/arch/x86/dom0_build.c`, `schedule.c`, `cpufreq.c`): options are applied left to right, so the last one wins,
 * and a value Xen reports as invalid may still have been partly applied (`dom0_mem=1024MB` → 1024M).
 *
 * Memory: the available memory is approximated by `host.totalMiB` (Xen uses the free heap at boot, a little less).
 * An exact amount is clamped to [min, max] and the available memory; a negative size is "total minus"; without an
 * amount the default is total − min(total/16, 128M), and `memMiB` is null unless min:/max: moves it.
 * vCPUs: the number of pCPUs clamped to dom0_max_vcpus' [min, max] (`N` means exactly N; 0 becomes 1).
 * (dom0_nodes and the MAX_VIRT_CPUS cap are not modelled.) Pinned: dom0_vcpus_pin, or cpufreq=dom0-kernel.
 */
export function expectedDom0(cmdline: string, host: { totalMiB: number; nrCpus: number }): ExpectedDom0 {
  const mem: MemState = { nr: 0, min: 0, max: Infinity };
  const vc: VcpuState = { min: 1, max: UINT_MAX };
  let pinned = false;
  const all = tokenizeXenArgs(cmdline);
  const cut = all.findIndex((t) => t.text === '--');
  for (const tok of cut < 0 ? all : all.slice(0, cut)) {
    const { name, negated } = canonicalName(tok);
    // Custom parsers get "no" for a bare no-X, and are not called for no-X=VALUE.
    let value: string;
    if (negated) {
      if (tok.value !== null) continue;
      value = 'no';
    } else value = tok.value ?? '';
    switch (name) {
      case 'dom0_mem':
        applyDom0Mem(mem, value);
        break;
      case 'dom0_max_vcpus':
        applyDom0MaxVcpus(vc, value);
        break;
      case 'dom0_vcpus_pin': {
        const b = tok.value === null ? true : parseXenBool(tok.value);
        if (b !== null) pinned = negated ? !b : b;
        break;
      }
      case 'cpufreq':
        if (value === 'dom0-kernel') pinned = true;
        break;
      default:
        break;
    }
  }

  const avail = Math.max(0, Math.floor(host.totalMiB * PAGES_PER_MIB));
  const resolve = (p: number): number => {
    if (p >= 0) return p;
    const r = p + avail;
    return r < 0 ? Infinity : r; // unsigned wrap-around in C: a huge number
  };
  const defaulted = mem.nr === 0;
  const start = defaulted ? avail - Math.min(Math.floor(avail / 16), 128 * PAGES_PER_MIB) : resolve(mem.nr);
  const minP = resolve(mem.min);
  const maxP = mem.max === Infinity ? Infinity : resolve(mem.max);
  let nr = Math.max(start, minP);
  nr = Math.min(nr, maxP);
  nr = Math.min(nr, avail);
  const memMiB = defaulted && nr === start ? null : Math.floor(nr / PAGES_PER_MIB);

  let vcpus = Math.max(0, Math.floor(host.nrCpus));
  if (vc.min > vcpus) vcpus = vc.min;
  if (vc.max < vcpus) vcpus = vc.max;
  return { memMiB, vcpus, pinned };
}
