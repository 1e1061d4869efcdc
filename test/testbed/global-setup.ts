// vitest globalSetup of the projects that start simulated hosts (`ssh`, and `terminal` for its apply
// tests; see vitest.config.ts): installs missing Debian packages (test/testbed/ensure-deps.sh), probes
// what the test bed needs from this machine (test/testbed/machine.ts), and when something is missing
// hands the reason to the tests: describeTestbed skips loudly with it, or in CI fails with it. Its
// teardown stops every simulated host started during the run, in any worker process.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { TESTBED_DIR, cleanStale, stateDir, stopRun, testbedUnavailableReason } from './index.js';
import { describeFeatures, machineFeatures } from './machine.js';
import { inCi } from '../helpers/tier.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** why the simulated hosts cannot run here ('' when the test bed is available) */
    testbedSkip: string;
    /** id of this test run: fleets started by its workers carry it */
    testbedRun: string;
  }
}

export default async function setup(project: TestProject) {
  let reason = process.env.DOM0UP_TESTBED_SKIP ? `DOM0UP_TESTBED_SKIP=${process.env.DOM0UP_TESTBED_SKIP}` : '';
  if (!reason && process.platform === 'linux' && process.getuid?.() === 0) {
    try {
      execFileSync('bash', [path.join(TESTBED_DIR, 'ensure-deps.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
    } catch (e) {
      // what is still missing is named by the probe below
      console.warn(`dom0up test bed: ensure-deps.sh failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (!reason) reason = testbedUnavailableReason() ?? '';
  // several projects use this setup in one run: one run id for all of them (workers inherit it)
  const runId = process.env.DOM0UP_TESTBED_RUN || `${process.pid}-${Date.now().toString(36)}`;
  const first = !process.env.DOM0UP_TESTBED_RUN;
  process.env.DOM0UP_TESTBED_RUN = runId;
  project.provide('testbedSkip', reason);
  project.provide('testbedRun', runId);
  if (reason) {
    if (first) {
      const verdict = inCi() ? 'CANNOT RUN (CI: its tests fail)' : 'SKIPPED';
      console.warn(`\n*** dom0up simulated hosts ${verdict} (project ${project.name}): ${reason} ***\n${describeFeatures(machineFeatures({ stateDir: stateDir() }))}\n`);
    }
    return () => {};
  }
  // once per run, for the log: what this machine offers the test bed
  if (first) console.log(`dom0up test bed: machine features (test/testbed/machine.ts)\n${describeFeatures(machineFeatures({ stateDir: stateDir() }))}`);
  if (first) await cleanStale();
  return async () => {
    await stopRun(runId);
  };
}
