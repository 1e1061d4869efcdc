// What a `grub apply` run asked for, and the one assertion function that compares it with what really booted.
// checkXenDom0() returns a list of mismatches (empty = the boot matches); the negative controls use the same
// function and require it to report the defect.
import { defaultEntry, linuxKernelOf, readGrubConf, xenArgsOf, type GrubEntry } from './grub-conf.js';
import type { RealBootResult } from './harness.js';

export interface ApplyOptions {
  dom0Mem?: string;
  dom0Vcpus?: number;
  pin?: boolean;
  xenArgs?: string[];
  kernel?: string;
  keepPlain?: boolean;
}

/** CLI arguments for `dom0up grub apply` */
export function applyArgv(o: ApplyOptions): string[] {
  const a: string[] = [];
  if (o.dom0Mem) a.push('--dom0-mem', o.dom0Mem);
  if (o.dom0Vcpus !== undefined) a.push('--dom0-vcpus', String(o.dom0Vcpus));
  if (o.pin) a.push('--pin');
  for (const x of o.xenArgs ?? []) a.push('--xen-arg', x);
  if (o.kernel) a.push('--kernel', o.kernel);
  if (o.keepPlain) a.push('--keep-plain');
  return a;
}

/** Expected value of one Xen option: null = a bare flag; a list = any of these spellings. */
export type ExpectedValue = string | null | string[];

export interface Dom0Expectation {
  /** exactly these Xen options, nothing more (key → value) */
  xenArgs: Record<string, ExpectedValue>;
  memMiB: number;
  vcpus: number;
  pinned: boolean;
  /** /proc/cmdline of dom0 = the original entry's arguments (as GRUB reads them), whitespace-normalised */
  dom0Cmdline: string;
  /** Xen complaints about these options are tolerated (known quirks of the stand-in Xen), e.g. ['cpufreq'] */
  toleratedXenComplaints?: string[];
}

export function sizeToMiB(size: string): number {
  const m = /^(\d+)([KMGT]?)$/i.exec(size.trim());
  if (!m) throw new Error(`unsupported size ${size}`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toUpperCase();
  const f: Record<string, number> = { '': 1 / 1024, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };
  return Math.floor(n * (f[unit] ?? 1));
}

export function splitXenArgs(args: string): { key: string; value: string | null }[] {
  return args.split(/\s+/).filter((t) => t !== '').map((t) => {
    const i = t.indexOf('=');
    return i < 0 ? { key: t, value: null } : { key: t.slice(0, i), value: t.slice(i + 1) };
  });
}

const norm = (s: string) => s.trim().split(/\s+/).join(' ');

/** The entry of the original config that a rewritten entry came from: same Linux kernel file name. */
export function originalEntryFor(input: string, rewrittenEntry: GrubEntry): GrubEntry {
  const k = linuxKernelOf(rewrittenEntry)?.path;
  if (!k) throw new Error(`entry "${rewrittenEntry.title}" has no Linux kernel`);
  const base = k.split('/').pop();
  const view = readGrubConf(input);
  // prefer the input's Xen entry for that kernel (re-tune), else its plain entry
  const candidates = view.entries.filter((e) => linuxKernelOf(e)?.path?.split('/').pop() === base);
  const hit = candidates.find((e) => xenArgsOf(e) !== null) ?? candidates[0];
  if (!hit) throw new Error(`no entry for ${base} in the input`);
  return hit;
}

/**
 * What the default entry of `output` must boot into, given the input and the options asked for:
 * Xen options = the original entry's Xen options (re-tune) with the asked ones set; dom0 memory, vCPUs and pinning
 * as asked (or as the original Xen options say); dom0's command line = the original entry's arguments.
 */
export function expectationFor(input: string, output: string, o: ApplyOptions): Dom0Expectation {
  const outDefault = defaultEntry(readGrubConf(output));
  const orig = originalEntryFor(input, outDefault);
  const xenArgs: Record<string, ExpectedValue> = {};
  for (const { key, value } of splitXenArgs(xenArgsOf(orig) ?? '')) xenArgs[key] = value;
  if (o.dom0Mem) xenArgs.dom0_mem = [o.dom0Mem, `${o.dom0Mem},max:${o.dom0Mem}`];
  if (o.dom0Vcpus !== undefined) xenArgs.dom0_max_vcpus = [String(o.dom0Vcpus), `${o.dom0Vcpus}-${o.dom0Vcpus}`];
  if (o.pin) xenArgs.dom0_vcpus_pin = null;
  for (const a of o.xenArgs ?? []) {
    const [t] = splitXenArgs(a);
    if (t) xenArgs[t.key] = t.value;
  }
  const memSpec = o.dom0Mem ?? (typeof xenArgs.dom0_mem === 'string' ? xenArgs.dom0_mem.split(',')[0] : undefined);
  if (!memSpec) throw new Error('expectationFor: no dom0 memory asked for or present');
  const vcpus = o.dom0Vcpus ?? (typeof xenArgs.dom0_max_vcpus === 'string' ? Number(xenArgs.dom0_max_vcpus) : NaN);
  if (!Number.isFinite(vcpus)) throw new Error('expectationFor: no dom0 vCPU count asked for or present');
  return {
    xenArgs,
    memMiB: sizeToMiB(memSpec),
    vcpus,
    pinned: 'dom0_vcpus_pin' in xenArgs,
    dom0Cmdline: norm(linuxKernelOf(orig)?.args ?? ''),
  };
}

/** Compare a real boot with the expectation. Returns the mismatches (empty list = pass). */
export function checkXenDom0(r: RealBootResult, exp: Dom0Expectation): string[] {
  const p: string[] = [];
  if (r.outcome !== 'xen-dom0') {
    p.push(`did not boot into a Xen Domain-0: outcome=${r.outcome}${r.bootloader.error ? ` (${r.bootloader.error})` : ''}${r.panic ? ` (${r.panic})` : ''}`);
    return p;
  }
  if (!/^GNU GRUB 0\.97/.test(r.bootloader.xenReported ?? '')) p.push(`bootloader: Xen says "${r.bootloader.xenReported}", expected GNU GRUB 0.97`);

  // Xen command line: the same set of options, nothing missing, nothing extra, no duplicates
  const actual = splitXenArgs(r.hypervisor.commandLine ?? '');
  const seen = new Map<string, string | null>();
  for (const { key, value } of actual) {
    if (seen.has(key)) p.push(`xen_commandline: ${key} given more than once`);
    seen.set(key, value);
  }
  for (const [key, want] of Object.entries(exp.xenArgs)) {
    if (!seen.has(key)) { p.push(`xen_commandline: missing ${key}${want === null ? '' : `=${[want].flat().join('|')}`}`); continue; }
    const got = seen.get(key) ?? null;
    const ok = want === null ? got === null : Array.isArray(want) ? got !== null && want.includes(got) : got === want;
    if (!ok) p.push(`xen_commandline: ${key}=${got ?? '(flag)'}, expected ${want === null ? 'a bare flag' : [want].flat().join(' or ')}`);
  }
  for (const key of seen.keys()) if (!(key in exp.xenArgs)) p.push(`xen_commandline: unexpected option ${key}`);
  const tolerated = new Set(exp.toleratedXenComplaints ?? []);
  for (const c of r.hypervisor.cmdlineProblems) if (!tolerated.has(c.option)) p.push(`Xen complained: ${c.line.trim()}`);

  const d = r.dom0;
  if (!d?.listRow) {
    p.push('xl list: no Domain-0 row');
  } else {
    if (d.memMiB !== exp.memMiB) p.push(`Domain-0 memory: xl list says ${d.memMiB} MiB, expected ${exp.memMiB} MiB`);
    if (d.vcpus !== exp.vcpus) p.push(`Domain-0 vCPUs: xl list says ${d.vcpus}, expected ${exp.vcpus}`);
  }
  if (d) {
    if (d.vcpuList.length !== exp.vcpus) p.push(`xl vcpu-list: ${d.vcpuList.length} Domain-0 vCPUs, expected ${exp.vcpus}`);
    for (const v of d.vcpuList) {
      if (exp.pinned && (v.hard !== String(v.vcpu) || v.cpu !== v.vcpu)) {
        p.push(`vCPU ${v.vcpu}: hard affinity ${v.hard} on CPU ${v.cpu ?? '-'}, expected pinned to CPU ${v.vcpu}`);
      }
      if (!exp.pinned && v.hard !== 'all') p.push(`vCPU ${v.vcpu}: hard affinity ${v.hard}, expected all (not pinned)`);
    }
    if (norm(d.kernelCmdline ?? '') !== exp.dom0Cmdline) {
      p.push(`dom0 kernel command line: "${d.kernelCmdline}", expected "${exp.dom0Cmdline}"`);
    }
  }
  return p;
}
