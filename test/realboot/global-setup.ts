// Global setup of the real-boot tier: runs setup.sh (idempotent; apt-get installs, kernel + grub-legacy unpacked
// with dpkg -x, stand-in initramfs built) and starts the tier's time budget.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { REALBOOT_DIR } from './artifacts.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** epoch ms after which no new boot may start (the tier must end within its budget) */
    realbootDeadline: number;
  }
}

export default function setup(project: TestProject): void {
  const t0 = Date.now();
  const out = execFileSync('bash', [path.join(REALBOOT_DIR, 'setup.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 8 * 60_000,
  });
  process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  // Budget for the boots (the tier must finish in < 10 min including build and set-up); override in seconds.
  const budgetS = Number(process.env.DOM0UP_REALBOOT_BUDGET_S || 480);
  project.provide('realbootDeadline', Date.now() + budgetS * 1000);
  process.stdout.write(`realboot: set-up ${((Date.now() - t0) / 1000).toFixed(1)}s, boot budget ${budgetS}s\n`);
}
