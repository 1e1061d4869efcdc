// Golden scenarios: one folder each under golden/ with input.conf, options.json
// ({ argv, exit? }), and the expected results of `dom0up grub plan` (expected.diff, and
// expected.stderr for refusals) and `dom0up grub apply -o -` (expected.conf).
// UPDATE_GOLDEN=1 rewrites the expected files (review the git diff before committing).
// Every expected diff is also applied with real `git apply` and `patch -p1`.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/run-cli.js';

const root = fileURLToPath(new URL('../golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const scenarios = readdirSync(root).filter((d) => existsSync(path.join(root, d, 'options.json'))).sort();

function check(file: string, actual: string | Buffer): void {
  const p = path.join(root, file);
  const bytes = Buffer.isBuffer(actual) ? actual : Buffer.from(actual);
  if (update) {
    if (bytes.length === 0 && !file.endsWith('.diff')) rmSync(p, { force: true });
    else writeFileSync(p, bytes);
    return;
  }
  expect(existsSync(p), `${file} is missing (UPDATE_GOLDEN=1 creates it)`).toBe(true);
  expect(bytes.toString('latin1')).toBe(readFileSync(p).toString('latin1'));
}

function hasTool(t: string): boolean {
  try {
    execFileSync(t, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('golden scenarios', () => {
  it('there are scenarios', () => expect(scenarios.length).toBeGreaterThanOrEqual(10));

  it.each(scenarios)('%s', async (name) => {
    const dir = path.join(root, name);
    const opts = JSON.parse(readFileSync(path.join(dir, 'options.json'), 'utf8')) as { argv: string[]; exit?: number };
    const input = path.join(dir, 'input.conf');
    const plan = await runCli(['grub', 'plan', input, '--detailed-exitcode', ...opts.argv]);
    const wantExit = opts.exit ?? (plan.exit === 0 ? 0 : 2);
    expect(plan.exit).toBe(wantExit);
    if (wantExit === 1) {
      // a refusal: one line + a hint, nothing on stdout, nothing written
      check(`${name}/expected.stderr`, plan.stderr.replaceAll(dir, 'golden/' + name));
      expect(plan.stdout.length).toBe(0);
      expect(plan.stderr).toMatch(/^dom0up: error: .+\nhint: .+\n$/);
      return;
    }
    check(`${name}/expected.diff`, plan.stdout);
    const apply = await runCli(['grub', 'apply', input, '-o', '-', ...opts.argv]);
    expect(apply.exit).toBe(0);
    check(`${name}/expected.conf`, apply.stdout);
    if (update) return;
    // the diff is a real patch: it turns input.conf into expected.conf
    const tmp = mkdtempSync(path.join(tmpdir(), 'dom0up-golden-'));
    try {
      const expected = readFileSync(path.join(dir, 'expected.conf'));
      for (const tool of ['git', 'patch'] as const) {
        if (!hasTool(tool) || plan.stdout.length === 0) continue;
        const work = path.join(tmp, tool);
        mkdirSync(path.join(work, 'etc'), { recursive: true });
        copyFileSync(input, path.join(work, 'etc/grub.conf'));
        writeFileSync(path.join(work, 'p.diff'), plan.stdout);
        if (tool === 'git') execFileSync('git', ['apply', '--unsafe-paths', '--whitespace=nowarn', 'p.diff'], { cwd: work });
        else execFileSync('patch', ['-p1', '-s', '-i', 'p.diff'], { cwd: work });
        expect(readFileSync(path.join(work, 'etc/grub.conf')).equals(expected), `${tool} result`).toBe(true);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    // applying again changes nothing
    writeFileSync(path.join(tmp + '-again.conf'), readFileSync(path.join(dir, 'expected.conf')));
    const again = await runCli(['grub', 'plan', tmp + '-again.conf', '--detailed-exitcode', ...opts.argv]);
    rmSync(tmp + '-again.conf', { force: true });
    expect(again.exit).toBe(0);
    expect(again.stdout.length).toBe(0);
  });
});
