// Runs a piece of TypeScript in a child process with a heap limit and a time limit: the judge for
// "never allocates in proportion to a number a host sends" (an unbounded loop or array would blow the
// heap or the clock, and could not be interrupted inside the test's own process).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface BoundedRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** `code` is an ES module body; `@/` in import specifiers means the repository root. */
export function runBounded(code: string, o: { heapMiB?: number; timeoutMs?: number } = {}): BoundedRun {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', `--max-old-space-size=${o.heapMiB ?? 128}`, '--input-type=module', '-e', code.replaceAll("'@/", `'${REPO}`)], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
    maxBuffer: 16 << 20,
  });
  const ms = Date.now() - t0;
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms, timedOut: r.signal === 'SIGKILL' };
}
