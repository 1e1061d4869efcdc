import { defineConfig } from 'vitest/config';

// Two tiers run by `npm test`:
//  - unit: pure core, golden scenarios, property tests, CLI (offline) — no root needed
//  - ssh:  the simulated CentOS 6.10 hosts (test/testbed) and the tool against them over real SSH
// The real-boot tier (QEMU + GRUB Legacy + Xen) has its own config: vitest.realboot.config.ts
// DOM0UP_TEST_REPORT=FILE adds a JSON report (used by .ci/run for its closing line).
const report = process.env.DOM0UP_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    // test traffic stays on loopback: no test reads a mirror's metadata unless it serves one itself
    env: { DOM0UP_REPO_METADATA: 'off' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // the unit tier first, then the SSH tier (projects with different maxWorkers need distinct groups)
          sequence: { groupOrder: 0 },
          include: ['test/**/*.test.ts'],
          exclude: ['test/testbed/**', 'test/integration/**', 'test/realboot/**', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'ssh',
          sequence: { groupOrder: 1 },
          include: ['test/testbed/**/*.test.ts', 'test/integration/**/*.test.ts'],
          globalSetup: ['test/testbed/global-setup.ts'],
          // these files mostly wait (reboots, downtimes): run several at once even on 2 cores;
          // each file starts its own hosts (slots are claimed atomically across workers)
          maxWorkers: 3,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
