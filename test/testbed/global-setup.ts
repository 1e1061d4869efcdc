// vitest globalSetup of the `ssh` project (see vitest.config.ts): checks the test bed's prerequisites
// (root, unshare, sshd, ...; test/testbed/ensure-deps.sh installs missing Debian packages), and when
// they cannot be met makes the SSH tier skip loudly with the reason (in CI: fail, see vitest.ts). Its teardown
// stops every simulated host started during the run, in any worker process.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { TESTBED_DIR, cleanStale, stopRun, testbedUnavailableReason } from './index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** why the SSH tier is skipped ('' when the test bed is available) */
    testbedSkip: string;
    /** id of this test run: fleets started by its workers carry it */
    testbedRun: string;
  }
}

export default async function setup(project: TestProject) {
  let reason = process.env.DOM0UP_TESTBED_SKIP ? `DOM0UP_TESTBED_SKIP=${process.env.DOM0UP_TESTBED_SKIP}` : '';
  if (reason) {
    /* forced */
  } else if (process.platform !== 'linux') reason = `the test bed needs Linux (this is ${process.platform})`;
  else if (typeof process.getuid === 'function' && process.getuid() !== 0) reason = 'the test bed needs root';
  if (!reason) {
    try {
      execFileSync('bash', [path.join(TESTBED_DIR, 'ensure-deps.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
    } catch (e) {
      reason = `ensure-deps.sh failed: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  if (!reason) reason = testbedUnavailableReason() ?? '';
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  // worker processes inherit this environment: fleets they start are tagged with the run
  process.env.DOM0UP_TESTBED_RUN = runId;
  project.provide('testbedSkip', reason);
  project.provide('testbedRun', runId);
  if (reason) {
    const ci = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase());
    console.warn(`\n*** dom0up SSH test tier ${ci ? 'CANNOT RUN (CI: each of its test files fails with this reason)' : 'SKIPPED'}: ${reason} ***\n`);
    return () => {};
  }
  await cleanStale();
  return async () => {
    await stopRun(runId);
  };
}
