// Runs the CLI in-process with captured streams (no TTY, no colour).
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli.js';

export interface CliRun {
  exit: number;
  stdout: Buffer;
  stderr: string;
}

/** Two captured output streams (no TTY) and what was written to them. */
export function captureStreams(): { stdout: PassThrough; stderr: PassThrough; out: () => Buffer; err: () => string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  return { stdout, stderr, out: () => Buffer.concat(out), err: () => Buffer.concat(err).toString('utf8') };
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const c = captureStreams();
  // tests never reach a mirror on the internet: the repository metadata is off unless a test serves one
  const exit = await run(argv, { stdout: c.stdout, stderr: c.stderr, env: { DOM0UP_REPO_METADATA: 'off', ...env } });
  return { exit, stdout: c.out(), stderr: c.err() };
}
