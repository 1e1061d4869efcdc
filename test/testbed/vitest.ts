// Helpers for vitest test files that start simulated hosts: skip (loudly, with the reason) when the
// test bed cannot run on this machine — or, in CI, fail with the reason — and start/stop a fleet
// around a describe block.
import { afterAll, beforeAll, inject } from 'vitest';
import { startHosts, type Fleet, type HostSpec } from './index.js';
import { describeTier } from '../helpers/tier.js';

function skipReason(): string {
  try {
    return inject('testbedSkip') || '';
  } catch {
    return '';
  }
}

export const testbedSkipReason = skipReason();
if (testbedSkipReason) console.warn(`dom0up test bed unavailable: ${testbedSkipReason}`);

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
