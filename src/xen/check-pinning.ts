import type { XlVcpu } from './parse-xl-vcpu-list.js';

/** Result of checking one of dom0's vCPUs. */
export interface VcpuPinning {
  vcpu: number;
  /** The CPU this vCPU should be pinned to (the i-th CPU of dom0's set, wrapping around). */
  expectedCpu: number | null;
  cpu: number | null;
  hard: string;
  pinned: boolean;
  /** Why it is not pinned as expected; null when it is. */
  problem: string | null;
}

export interface PinningCheck {
  ok: boolean;
  expectedCount: number;
  actualCount: number;
  vcpus: VcpuPinning[];
}

/**
 * Check that Domain-0 (domid 0) has `expectedCount` vCPUs, each pinned as dom0_vcpus_pin does it: vCPU i's hard
 * affinity is the single CPU dom0Cpus[i mod n], and it runs there (CPU column equal to it).
 */
export function checkPinning(vcpus: readonly XlVcpu[], expectedCount: number, dom0Cpus: readonly number[]): PinningCheck {
  const rows = vcpus.filter((v) => v.domid === 0).sort((a, b) => a.vcpu - b.vcpu);
  const results: VcpuPinning[] = rows.map((v, i) => {
    const expectedCpu = dom0Cpus.length === 0 ? null : (dom0Cpus[v.vcpu % dom0Cpus.length] ?? null);
    let problem: string | null = null;
    if (v.vcpu !== i) problem = `vCPU numbers are not 0..${rows.length - 1}`;
    else if (expectedCpu === null) problem = 'dom0 has no CPUs to pin to';
    else if (!/^\d+$/.test(v.hard)) problem = `hard affinity is "${v.hard}", not a single CPU`;
    else if (Number(v.hard) !== expectedCpu) problem = `hard affinity is CPU ${v.hard}, expected ${expectedCpu}`;
    else if (v.cpu === null) problem = 'the vCPU is offline';
    else if (v.cpu !== expectedCpu) problem = `runs on CPU ${v.cpu}, expected ${expectedCpu}`;
    return { vcpu: v.vcpu, expectedCpu, cpu: v.cpu, hard: v.hard, pinned: problem === null, problem };
  });
  return {
    ok: rows.length === expectedCount && results.every((r) => r.pinned),
    expectedCount,
    actualCount: rows.length,
    vcpus: results,
  };
}
