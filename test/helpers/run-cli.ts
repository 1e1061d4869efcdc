// Runs the CLI in-process with captured streams (no TTY, no colour).
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli.js';

export interface CliRun {
  exit: number;
  stdout: Buffer;
  stderr: string;
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  // tests never reach a mirror on the internet: the repository metadata is off unless a test serves one
  const exit = await run(argv, { stdout, stderr, env: { DOM0UP_REPO_METADATA: 'off', ...env } });
  return { exit, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
}
