import { defineConfig } from 'vitest/config';

// The real-boot tier: real GRUB Legacy 0.97 → real Xen 4.17 → a PV Domain-0, under QEMU/TCG (no KVM needed).
// Run with `npm run test:realboot` (= `npm run build && vitest run --config vitest.realboot.config.ts`), as root:
// the global setup installs Debian packages with apt-get. See docs/realboot.md and test/realboot/README.md.
// One boot at a time (QEMU/TCG uses both cores): no file parallelism, no concurrent tests, a boot lock in the harness.
const report = process.env.DOM0UP_TEST_REPORT;

export default defineConfig({
  test: {
    name: 'realboot',
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    include: ['test/realboot/**/*.test.ts'],
    // the test bed first (its packages, its machine probe, its fleets stopped at the end): cycle.test.ts runs
    // dom0up against test-bed hosts whose power cycle is a real boot
    globalSetup: ['test/testbed/global-setup.ts', 'test/realboot/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false },
    // per boot: the harness has its own hard timeout (kills QEMU by PID); these are the outer limits
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 30_000,
    retry: 0,
  },
});
