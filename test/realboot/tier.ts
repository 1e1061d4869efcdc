// Shared by the tier's test files: the time budget, the boot log (printed and kept in the work dir), and the test
// bed's stand-ins asked the same questions as the real GRUB.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, inject } from 'vitest';
import { REALBOOT_DIR, workDir } from './artifacts.js';
import { bootGrubConf, summarize, type BootDisk, type BootOptions, type RealBootResult } from './harness.js';

export const skipReason = inject('realbootSkip');
const deadline = inject('realbootDeadline');

interface LogRow { name: string; outcome: string; seconds: number; qemuSeconds: number; rssMiB: number | null; serialLog: string }
const rows: LogRow[] = [];

function remaining(name: string): number {
  const left = deadline - Date.now();
  if (left < 15_000) throw new Error(`real-boot budget exhausted before "${name}" (DOM0UP_REALBOOT_BUDGET_S)`);
  return left;
}

function record(name: string, r: RealBootResult): RealBootResult {
  rows.push({
    name, outcome: r.boots.length > 1 ? r.boots.map((b) => b.outcome).join('>') : r.outcome, seconds: r.timings.totalMs / 1000,
    qemuSeconds: r.timings.qemuMs / 1000, rssMiB: r.qemu.maxRssKiB === null ? null : Math.round(r.qemu.maxRssKiB / 1024), serialLog: r.serialLog,
  });
  console.log(`[${name}] ${summarize(r)}`);
  return r;
}

/** One boot of a fresh disk, within the tier's budget (the per-boot hard timeout never runs past it). */
export async function boot(name: string, text: string, opts: BootOptions): Promise<RealBootResult> {
  const left = remaining(name);
  return record(name, await bootGrubConf(text, { ...opts, name, timeoutMs: Math.min(opts.timeoutMs ?? 120_000, left) }));
}

/** One more boot of a disk that keeps what the previous boots wrote. */
export async function bootAgain(disk: BootDisk, name: string, opts: Parameters<BootDisk['boot']>[1] = {}): Promise<RealBootResult> {
  const left = remaining(name);
  return record(name, await disk.boot(name, { ...opts, timeoutMs: Math.min(opts.timeoutMs ?? 120_000, left) }));
}

/** Print the boots of this file and keep them in the work dir (last-run.<file>.json). */
export function reportBoots(file: string): void {
  afterAll(() => {
    if (rows.length === 0) return;
    const total = rows.reduce((s, l) => s + l.seconds, 0);
    console.log([`real boots (${file}):`, ...rows.map((l) => `  ${l.name.padEnd(30)} ${l.outcome.padEnd(26)} ${l.seconds.toFixed(1).padStart(5)} s  (qemu ${l.qemuSeconds.toFixed(1)} s, rss ${l.rssMiB ?? '?'} MiB)`),
      `  total ${total.toFixed(1)} s for ${rows.length} boots`].join('\n'));
    writeFileSync(path.join(workDir(), `last-run.${file}.json`), JSON.stringify({ at: new Date().toISOString(), boots: rows, totalSeconds: total }, null, 2));
  });
}

// ---- the test bed's stand-ins (test/testbed/host/tb), asked through testbed-grub.py --------------------------------

export interface FirmwareDecision {
  default: number;
  title: string | null;
  timeout: number;
  once: number | null;
  savedWordOut: number | null;
  notes: string[];
}

function py<T>(mode: string, req: object): T {
  const out = execFileSync('python3', [path.join(REALBOOT_DIR, 'testbed-grub.py'), mode], { input: JSON.stringify(req), encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out) as T;
}

/** The test bed's firmware (tb/grub0.py parse): which entry it boots for this grub.conf and stage2 word. */
export function testbedDecision(conf: string, word: number): FirmwareDecision {
  return py<FirmwareDecision>('decide', { conf, word });
}

/** The test bed's `grub --batch` stand-in (tb/grubshell.py) run on a stage2 file. */
export function testbedShell(stage2: string, commands: string[]): { rc: number; output: string } {
  return py('shell', { stage2, commands });
}
