import { defineConfig } from 'vitest/config';

// Three tiers run by `npm test`, one after another:
//  - unit:     pure core, golden scenarios, property tests, CLI (offline, in-process) — no root needed
//  - terminal: the built bin (dist/bin/dom0up.js) on a real pseudo-terminal, judged by what a terminal
//              emulator shows: help, grub commands, apply's prompt/spinners/Ctrl-C against simulated hosts
//  - ssh:      the simulated CentOS 6.10 hosts (test/testbed) and the tool against them over real SSH
// A tier that cannot run on this machine is skipped with its reason — and in CI (CI set) fails.
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
          exclude: ['test/testbed/**', 'test/integration/**', 'test/realboot/**', 'test/terminal/**', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'terminal',
          sequence: { groupOrder: 1 },
          include: ['test/terminal/**/*.test.ts'],
          // the simulated hosts (apply's prompt and Ctrl-C), then the pseudo-terminal and the build
          globalSetup: ['test/testbed/global-setup.ts', 'test/terminal/global-setup.ts'],
          maxWorkers: 2,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'ssh',
          sequence: { groupOrder: 2 },
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
