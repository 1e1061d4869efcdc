// vitest globalSetup of the `terminal` project (vitest.config.ts): the tier runs the built bin on a
// pseudo-terminal, so it needs the build (npm test builds first) and a pseudo-terminal (node-pty).
// When either is missing the tier's tests skip loudly with the reason, or in CI fail with it.
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { BUNDLED, UNBUNDLED, ptyUnavailableReason } from './pty.js';
import { inCi } from '../helpers/tier.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** why the terminal tier cannot run here ('' when it can) */
    terminalSkip: string;
  }
}

export default async function setup(project: TestProject) {
  let reason = '';
  const missing = [BUNDLED, UNBUNDLED].filter((f) => !existsSync(f));
  if (missing.length) reason = `not built: ${missing.join(', ')} (npm test builds first; or run npm run build)`;
  else reason = (await ptyUnavailableReason()) ?? '';
  project.provide('terminalSkip', reason);
  if (reason) console.warn(`\n*** dom0up terminal tier ${inCi() ? 'CANNOT RUN (CI: its tests fail)' : 'SKIPPED'}: ${reason} ***\n`);
}
