// A test tier that cannot run on this machine: skipped loudly, with the reason, on a developer's
// machine; in CI (`CI` set) the tier fails instead, with the same reason — a skipped tier must never
// pass a CI run silently.
import { describe, it } from 'vitest';

/** CI is set to anything but '', 'false' or '0' (the same rule as test/helpers/ci.ts). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.CI && !['false', '0'].includes(env.CI.toLowerCase());
}

/** `describe` when reason is empty; else a skipped block (locally) or one failing test (in CI). */
export function describeTier(tier: string, reason: string): typeof describe {
  if (!reason) return describe;
  if (!inCi()) return describe.skip as unknown as typeof describe;
  const failing = ((name: string) =>
    describe(name, () => {
      it(`the ${tier} can run on this machine`, () => {
        throw new Error(`the ${tier} cannot run on this machine, and in CI a skipped tier is a failure: ${reason}`);
      });
    })) as unknown as typeof describe;
  return failing;
}
