// Global setup of the real-boot tier: checks what the machine offers (machine.ts), runs setup.sh (idempotent:
// apt-get installs, kernel + grub-legacy unpacked with dpkg -x, stand-in initramfs, Red Hat's GRUB built from
// source), decides how the 32-bit GRUB shells run (natively or under qemu-i386) and whether KVM can be used (a
// probe boot, cached per machine), and starts the tier's time budget.
// A missing machine feature skips the tier with its name and how to get it; in CI (`CI` set) it fails the run.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadArtifacts, REALBOOT_DIR } from './artifacts.js';
import { grubExec } from './grub-shell.js';
import { bootGrubConf } from './harness.js';
import {
  NOT_NEEDED, checkChroot, checkRam, checkRoot, checkTools, kvmDevice, kvmProbeKey, readAccelVerdict, writeAccelVerdict,
  type Check,
} from './machine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** epoch ms after which no new boot may start (the tier must end within its budget) */
    realbootDeadline: number;
    /** non-empty: the tier cannot run on this machine, and why (tests are skipped with it; CI fails instead) */
    realbootSkip: string;
  }
}

const log = (l: string) => process.stdout.write(`${l}\n`);

/** A Xen entry that boots in a few seconds with working KVM (and not at all with KVM that cannot run Xen): 20 s limit. */
function probeConf(kv: string): string {
  return ['default=0', 'timeout=0', 'title probe', '\troot (hd0,0)', '\tkernel /xen.gz dom0_mem=512M,max:512M dom0_max_vcpus=1',
    `\tmodule /vmlinuz-${kv} ro console=hvc0`, `\tmodule /initramfs-${kv}.img`, ''].join('\n');
}

async function decideAccel(): Promise<string> {
  const forced = process.env.DOM0UP_REALBOOT_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return `${forced} (forced by DOM0UP_REALBOOT_ACCEL)`;
  const dev = kvmDevice();
  const key = kvmProbeKey();
  if (!dev.usable) {
    writeAccelVerdict({ accel: 'tcg', reason: dev.detail, key, at: new Date().toISOString() });
    return `tcg (${dev.detail})`;
  }
  const cached = readAccelVerdict();
  if (cached && cached.key === key) return `${cached.accel} (${cached.reason}; probed ${cached.at})`;
  const art = loadArtifacts();
  const t0 = Date.now();
  const r = await bootGrubConf(probeConf(art.kernelVersion), { layout: 'boot-partition', accel: 'kvm', timeoutMs: 20_000, name: 'kvm-probe' });
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  const ok = r.outcome === 'xen-dom0';
  const reason = ok
    ? `${dev.detail}; a probe boot under KVM reached Domain-0 in ${s} s`
    : `${dev.detail}, but a probe boot under KVM did not reach Domain-0 (outcome ${r.outcome} after ${s} s${r.qemu.killedBy ? `, ${r.qemu.killedBy}` : ''}; ${r.serialLog})`;
  writeAccelVerdict({ accel: ok ? 'kvm' : 'tcg', reason, key, at: new Date().toISOString() });
  return `${ok ? 'kvm' : 'tcg'} (${reason})`;
}

export default async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  const missing: Check[] = [];
  const note = (c: Check) => { log(`realboot: ${c.ok ? 'ok  ' : 'MISSING'} ${c.feature}: ${c.detail}`); if (!c.ok) missing.push(c); };
  note(checkRoot());
  note(checkRam());
  if (missing.length === 0) {
    const r = spawnSync('bash', [path.join(REALBOOT_DIR, 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 8 * 60_000 });
    process.stdout.write(r.stdout);
    if (r.status === 2) note({ feature: 'set-up', ok: false, detail: r.stderr.trim() });
    else if (r.status !== 0) throw new Error(`test/realboot/setup.sh failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  }
  if (missing.length === 0) {
    note(checkTools());
    note(checkChroot());
  }
  if (missing.length === 0) {
    try {
      const art = loadArtifacts();
      const ex = grubExec(art.rhelGrub.shell, log);
      grubExec(art.grub.shell, () => {});
      note({ feature: '32-bit programs', ok: true, detail: `GRUB shells run ${ex.mode === 'native' ? 'natively' : 'under qemu-i386'} (${ex.reason})` });
    } catch (e) {
      note({ feature: '32-bit programs', ok: false, detail: (e as Error).message });
    }
  }
  for (const c of NOT_NEEDED) log(`realboot: --   ${c.feature}: ${c.detail}`);
  let skip = '';
  if (missing.length > 0) {
    skip = missing.map((c) => `${c.feature}: ${c.detail}`).join('; ');
    if (process.env.CI) throw new Error(`real-boot tier cannot run on this machine (in CI a skipped tier is a failure): ${skip}`);
    log(`realboot: SKIPPING the tier: ${skip}`);
  } else {
    log(`realboot: accelerator ${await decideAccel()}`);
  }
  project.provide('realbootSkip', skip);
  // Budget for the boots (the tier must finish in < 10 min including build and set-up); override in seconds.
  const budgetS = Number(process.env.DOM0UP_REALBOOT_BUDGET_S || 480);
  project.provide('realbootDeadline', Date.now() + budgetS * 1000);
  log(`realboot: set-up ${((Date.now() - t0) / 1000).toFixed(1)}s, boot budget ${budgetS}s`);
}
