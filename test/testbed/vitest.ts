// Helpers for vitest test files that start simulated hosts: skip (loudly, with the reason) when the
// test bed cannot run on this machine — or, in CI, fail with the reason — and start/stop a fleet
// around a describe block.
import { afterAll, beforeAll, inject } from 'vitest';
import { startHosts, type Fleet, type HostSpec } from './index.js';
import { describeTier, inCi } from '../helpers/tier.js';

function skipReason(): string {
  try {
    return inject('testbedSkip') || '';
  } catch {
    return '';
  }
}

export const testbedSkipReason = skipReason();

/** CI is set (to anything but '', 'false' or '0'): a tier that cannot run fails instead of skipping. */
export const inCI = inCi();

if (testbedSkipReason) console.warn(`dom0up test bed unavailable, ${inCI ? 'FAILING (CI)' : 'skipping'}: ${testbedSkipReason}`);

/** `describe` when the test bed can run here; else `describe.skip` (the reason is printed), or in CI
 *  one failing test that gives the reason. */
export const describeTestbed = describeTier('simulated-host tier', testbedSkipReason);

/** Start hosts in beforeAll and stop them in afterAll; returns a getter for the fleet. */
export function useFleet(specs: number | HostSpec[], common?: HostSpec): () => Fleet {
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    fleet = await startHosts(specs, common);
  });
  afterAll(async () => {
    await fleet?.stop();
  });
  return () => {
    if (!fleet) throw new Error('fleet not started');
    return fleet;
  };
}
