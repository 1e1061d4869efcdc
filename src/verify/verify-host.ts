/**
 * verifyHost: pure. Compares what a booted host reports (uname, /proc/xen, xl list/info/
 * vcpu-list/dmesg) with what was asked, check by check, with expected and actual values.
 */
import {
  checkPinning,
  classifyXlFailure,
  expectedDom0,
  findXenCmdlineProblems,
  parseXlInfo,
  parseXlList,
  parseXlVcpuList,
  tokenizeXenArgs,
  xenArgsSatisfy,
  type XlFailure,
} from '../xen/index.js';
import type { VerifyFacts } from '../facts/index.js';

export interface VerifyExpectation {
  /** Kernel release the dom0 must run (null: any dom0-capable kernel). */
  kernel: string | null;
  /** The hypervisor arguments the Xen entry has: `xen_commandline` must carry every one. */
  hypervisorArgs: string;
  /** Option names the operator asked for: an `xl dmesg` complaint about one of them fails; others are reported. Default: every option in hypervisorArgs. */
  requested?: string[];
}

export interface Check {
  id: 'kernel' | 'xen' | 'xen-commandline' | 'dom0-memory' | 'dom0-vcpus' | 'pinning' | 'xen-options-accepted' | 'next-boot';
  label: string;
  expected: string;
  actual: string;
  ok: boolean;
  detail?: string;
}

export interface VerifyReport {
  ok: boolean;
  checks: Check[];
  kernel: string;
  bootId: string;
  /** xl is not usable yet (xencommons not started): worth retrying. */
  xlNotReady: boolean;
  /** The host booted without Xen at all. */
  notXen: boolean;
}

/** Tolerance for Domain-0 memory: Xen may hand back a few pages (max(8 MiB, 1%)). */
export function memoryMatches(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= Math.max(8, expected * 0.01);
}

export function verifyHost(vf: VerifyFacts, want: VerifyExpectation): VerifyReport {
  const checks: Check[] = [];
  const release = vf.kernel.release;
  checks.push({ id: 'kernel', label: 'uname -r', expected: want.kernel ?? 'a dom0 kernel (3.x+)', actual: release, ok: want.kernel ? release === want.kernel : /^[3-9]\./.test(release) });
  const caps = vf.hypervisor.capabilities;
  checks.push({ id: 'xen', label: '/proc/xen/capabilities', expected: 'control_d', actual: caps ?? '(absent: not running under Xen)', ok: vf.hypervisor.dom0 });
  const notXen = !vf.hypervisor.dom0;
  let xlNotReady = false;
  const failed = (what: string, rc: number, text: string): XlFailure => {
    const kind = classifyXlFailure(text, rc);
    if (vf.hypervisor.dom0 && (kind === 'no-xenstore' || kind === 'not-xen' || kind === 'unknown')) xlNotReady = true;
    return kind;
  };

  let info: ReturnType<typeof parseXlInfo> | null = null;
  let infoError: string | null = null;
  if (vf.xlInfo.rc === 0) {
    try {
      info = parseXlInfo(vf.xlInfo.text);
    } catch (e) {
      // not believed (wrong format, implausible numbers): every check that needs it fails, saying why
      info = null;
      infoError = (e as Error).message;
    }
  }
  const cmdline = info?.xenCommandline ?? null;
  const wantTokens = tokenizeXenArgs(want.hypervisorArgs);
  if (cmdline === null) {
    const why = vf.xlInfo.rc === 0 ? (infoError ? `unreadable xl info: ${infoError}` : 'no xen_commandline in xl info') : `xl info failed (${failed('info', vf.xlInfo.rc, vf.xlInfo.text)}): ${firstLine(vf.xlInfo.text)}`;
    checks.push({ id: 'xen-commandline', label: 'xl info xen_commandline', expected: want.hypervisorArgs, actual: why, ok: false });
  } else {
    const sat = xenArgsSatisfy(cmdline, { set: wantTokens, remove: [] });
    checks.push({ id: 'xen-commandline', label: 'xl info xen_commandline', expected: want.hypervisorArgs, actual: cmdline, ok: sat.ok, ...(sat.ok ? {} : { detail: `missing or different: ${sat.missing.join(' ')}` }) });
  }

  const host = info && info.totalMemoryMiB !== null && info.nrCpus !== null ? { totalMiB: info.totalMemoryMiB, nrCpus: info.nrCpus } : null;
  const exp = host ? expectedDom0(want.hypervisorArgs, host) : null;
  let dom0: ReturnType<typeof parseXlList>[number] | undefined;
  if (vf.xlList.rc === 0) {
    try {
      dom0 = parseXlList(vf.xlList.text).find((d) => d.id === 0);
    } catch {
      dom0 = undefined;
    }
  }
  const listWhy = vf.xlList.rc === 0 ? 'no Domain-0 row in xl list' : `xl list failed (${failed('list', vf.xlList.rc, vf.xlList.text)}): ${firstLine(vf.xlList.text)}`;
  if (exp && exp.memMiB !== null) {
    checks.push({ id: 'dom0-memory', label: 'xl list Domain-0 Mem (MiB)', expected: String(exp.memMiB), actual: dom0 ? String(dom0.memMiB) : listWhy, ok: dom0 !== undefined && memoryMatches(dom0.memMiB, exp.memMiB) });
  } else {
    checks.push({ id: 'dom0-memory', label: 'xl list Domain-0 Mem (MiB)', expected: host ? `most of ${host.totalMiB} (no dom0_mem amount)` : 'xl info total_memory unknown', actual: dom0 ? String(dom0.memMiB) : listWhy, ok: dom0 !== undefined && host !== null });
  }
  checks.push({ id: 'dom0-vcpus', label: 'xl list Domain-0 VCPUs', expected: exp ? String(exp.vcpus) : '?', actual: dom0 ? String(dom0.vcpus) : listWhy, ok: dom0 !== undefined && exp !== null && dom0.vcpus === exp.vcpus });

  if (exp?.pinned) {
    let detail = '';
    let ok = false;
    let actual = '';
    if (vf.xlVcpuList.rc === 0 && host) {
      try {
        const rows = parseXlVcpuList(vf.xlVcpuList.text);
        // host.nrCpus is bounded by parseXlInfo (MAX_XEN_CPUS)
        const cpus: number[] = Array.from({ length: host.nrCpus }, (_, i) => i);
        const pin = checkPinning(rows, exp.vcpus, cpus);
        ok = pin.ok;
        actual = pin.vcpus.map((v) => `${v.vcpu}→${v.hard}`).join(' ') || 'no Domain-0 vCPUs';
        detail = pin.vcpus.filter((v) => v.problem).map((v) => `vCPU ${v.vcpu}: ${v.problem}`).join('; ');
      } catch (e) {
        actual = `unreadable xl vcpu-list: ${(e as Error).message}`;
      }
    } else actual = `xl vcpu-list failed: ${firstLine(vf.xlVcpuList.text)}`;
    checks.push({ id: 'pinning', label: 'xl vcpu-list hard affinity', expected: pinList(exp.vcpus, host ? host.nrCpus : null), actual, ok, ...(detail ? { detail } : {}) });
  }

  const ours = new Set((want.requested ?? wantTokens.map((t) => t.name)).map((n) => n.replace(/^no-/, '')));
  if (vf.xlDmesg.rc === 0) {
    const problems = findXenCmdlineProblems(vf.xlDmesg.text);
    const mine = problems.filter((p) => ours.has(p.option));
    checks.push({ id: 'xen-options-accepted', label: 'xl dmesg', expected: 'no "unknown!" or "invalid value" for these options', actual: mine.length ? mine.map((p) => p.line.trim()).join(' | ') : problems.length ? `clean for these options; about other options: ${problems.map((p) => p.line.trim()).join(' | ')}` : 'clean', ok: mine.length === 0 });
  } else {
    checks.push({ id: 'xen-options-accepted', label: 'xl dmesg', expected: 'no "unknown!" or "invalid value" for these options', actual: `xl dmesg failed: ${firstLine(vf.xlDmesg.text)}`, ok: false });
  }
  return { ok: checks.every((c) => c.ok), checks, kernel: release, bootId: vf.kernel.bootId, xlNotReady: xlNotReady && !notXen, notXen };
}

/** "0→0 1→1 …" for the expected pinning; a long list is cut (the count may come from the request). */
function pinList(vcpus: number, nrCpus: number | null): string {
  const shown = Math.min(vcpus, 16);
  const items: string[] = [];
  for (let i = 0; i < shown; i++) items.push(`${i}→${nrCpus ? i % nrCpus : i}`);
  return items.join(' ') + (vcpus > shown ? ` … (${vcpus} vCPUs)` : '');
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.slice(0, 200) ?? '';
}
