// Helpers for vitest test files of the SSH tier: skip (loudly, with the reason) when the test bed
// cannot run on this machine — in CI fail instead — and start/stop a fleet around a describe block.
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { startHosts, type Fleet, type HostSpec } from './index.js';

function skipReason(): string {
  try {
    return inject('testbedSkip') || '';
  } catch {
    return '';
  }
}

export const testbedSkipReason = skipReason();

/** CI is set (to anything but '', 'false' or '0'): a tier that cannot run fails instead of skipping. */
export const inCI = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase());

if (testbedSkipReason) console.warn(`dom0up test bed unavailable, ${inCI ? 'FAILING (CI)' : 'skipping'}: ${testbedSkipReason}`);

/** In CI: the block becomes one failing test that names the reason (a skipped tier must fail the run). */
function failingDescribe(reason: string) {
  return (name: string) =>
    describe(name, () => {
      it('the SSH test tier runs (in CI a skipped tier is a failure)', () => {
        throw new Error(`the dom0up SSH test tier cannot run on this machine: ${reason}`);
      });
    });
}

/** `describe` when the test bed can run here; else `describe.skip` (the reason is printed), or in CI
 *  a failing test naming the reason. */
export const describeTestbed = (testbedSkipReason ? (inCI ? failingDescribe(testbedSkipReason) : describe.skip) : describe) as typeof describe;

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
