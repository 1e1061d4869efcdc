// Runs the built CLI exactly as a user would: `dom0up grub apply INPUT [options] -o OUT`.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, workDir } from './artifacts.js';
import { applyArgv, type ApplyOptions } from './expect.js';

export const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'dom0up.js');

export interface ApplyRun {
  argv: string[];
  output: string;
  stdout: string;
  stderr: string;
  inputPath: string;
  outputPath: string;
}

/** Write `input` to a file, run `grub apply` on it, return the file it wrote. Throws with the CLI's output on failure. */
export async function grubApply(name: string, input: string, o: ApplyOptions): Promise<ApplyRun> {
  if (!existsSync(CLI)) throw new Error(`${path.relative(REPO_ROOT, CLI)} not found: run \`npm run build\` (npm run test:realboot does)`);
  const dir = path.join(workDir(), 'cli', name.replace(/[^\w.-]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  const inputPath = path.join(dir, 'grub.conf.in');
  const outputPath = path.join(dir, 'grub.conf.out');
  writeFileSync(inputPath, input);
  const argv = ['grub', 'apply', inputPath, ...applyArgv(o), '-o', outputPath];
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    execFile(process.execPath, [CLI, ...argv], { cwd: dir, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }));
  });
  if (code !== 0 || !existsSync(outputPath)) {
    throw new Error(`dom0up ${argv.join(' ')} failed (exit ${code}):\n${stdout}${stderr}`);
  }
  return { argv, output: readFileSync(outputPath, 'utf8'), stdout, stderr, inputPath, outputPath };
}
