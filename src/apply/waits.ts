/**
 * Reading a host that may still be starting: xencommons starts after sshd, so right after a Xen
 * boot `xl` fails for a while. The host-side scripts wait for xl themselves (one round trip);
 * these loops are the controller-side fallback, with a deadline, and stop at once on Ctrl-C.
 */
import { gatherFacts, HOST_FACTS, VERIFY_FACTS, xlFacts, type HostFacts, type VerifyFacts } from '../facts/index.js';
import type { Transport } from '../transport/index.js';
import { verifyHost, type VerifyExpectation, type VerifyReport } from '../verify/verify-host.js';
import { waitForXlScript } from './host-scripts.js';

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Host facts (and what xl says on a Xen host) from gathered sections. */
export function hostFactsOf(all: Awaited<ReturnType<typeof gatherFacts<typeof HOST_FACTS & typeof xlFacts>>>): HostFacts {
  const { xlList, xlInfo, xlVcpuList, xlDmesg, ...core } = all;
  return { ...core, xl: core.hypervisor.dom0 ? { xlList, xlInfo, xlVcpuList, xlDmesg } : null };
}

/** Reads every host fact (and what xl says on a Xen host) in one round trip. */
export async function readHostFacts(t: Transport, phase = 'facts', opts: { waitForXlS?: number } = {}): Promise<HostFacts> {
  const all = await gatherFacts(t, { ...HOST_FACTS, ...xlFacts }, phase, 60_000 + (opts.waitForXlS ?? 0) * 1000, opts.waitForXlS ? waitForXlScript(opts.waitForXlS) : undefined);
  return hostFactsOf(all);
}

/** xl fails on a Dom0 whose xencommons has not started yet (right after a boot). */
export function xlStarting(f: HostFacts): boolean {
  return f.hypervisor.dom0 && f.xl !== null && f.xl.xlInfo.rc !== 0 && /xenstore|xl context|xc_interface_open/i.test(f.xl.xlInfo.text);
}

/**
 * Reads the host facts; on a Dom0 that has just booted the host waits until xl answers
 * (xencommons starts after sshd), so the plan sees the Xen command line it runs with.
 */
export async function readHostFactsReady(t: Transport, phase: string, waitMs: number, onProgress?: (s: string) => void, signal?: AbortSignal): Promise<HostFacts> {
  const until = Date.now() + waitMs;
  let delay = 500;
  for (;;) {
    const f = await readHostFacts(t, phase, { waitForXlS: Math.max(0, Math.min(60, Math.round((until - Date.now()) / 1000))) });
    if (!xlStarting(f) || Date.now() >= until || signal?.aborted) return f;
    onProgress?.('xl is not ready yet (xencommons starts after sshd); reading again');
    await sleep(Math.min(delay, Math.max(0, until - Date.now())), signal);
    delay = Math.min(delay * 2, 3000);
  }
}

/** The facts verification needs, from host facts already read (null when xl was not read). */
export function verifyFactsOf(f: HostFacts): VerifyFacts | null {
  if (!f.xl) return null;
  return { kernel: f.kernel, hypervisor: f.hypervisor, ...f.xl };
}

export async function verifyWithRetry(t: Transport, want: VerifyExpectation, waitMs: number, onProgress?: (s: string) => void, signal?: AbortSignal, prefix?: string): Promise<VerifyReport> {
  const until = Date.now() + waitMs;
  let delay = 500;
  let first = true;
  for (;;) {
    const wait = Math.max(0, Math.min(90, Math.round((until - Date.now()) / 1000)));
    const vf = await gatherFacts(t, VERIFY_FACTS, 'verify', 60_000 + wait * 1000, [first && prefix ? prefix : '', waitForXlScript(wait)].filter(Boolean).join('\n'));
    first = false;
    const rep = verifyHost(vf, want);
    if (rep.ok || rep.notXen || !rep.xlNotReady || Date.now() >= until || signal?.aborted) return rep;
    onProgress?.('xl is not ready yet (xencommons starts after sshd); retrying');
    await sleep(Math.min(delay, Math.max(0, until - Date.now())), signal);
    delay = Math.min(delay * 2, 3000);
  }
}

/** Verification of a host from facts just read (one round trip in all), reading again only while xl starts. */
export async function verifyFromFacts(t: Transport, f: HostFacts, want: VerifyExpectation, waitMs: number, onProgress?: (s: string) => void, signal?: AbortSignal): Promise<VerifyReport> {
  const vf = verifyFactsOf(f);
  if (vf) {
    const rep = verifyHost(vf, want);
    if (rep.ok || rep.notXen || !rep.xlNotReady) return rep;
  }
  return verifyWithRetry(t, want, waitMs, onProgress, signal);
}
