// Golden scenarios: one folder each under golden/ (see golden/README.md) with input.conf and
// options.json ({ argv, exit }), the expected outputs of `dom0up grub plan` (expected.diff,
// expected.stderr) and `dom0up grub apply -o -` (expected.conf), and expected.boot.json: what GRUB
// boots before and after, as the scenario claims it.
//
// The judges are not the code under test:
//  - the exit code is the one options.json states (written by hand: 0 nothing to do, 2 a diff,
//    1 a refusal), and it must agree with the diff (a --detailed-exitcode 0 with a diff fails);
//  - expected.boot.json (written by hand, never by UPDATE_GOLDEN) is checked by the test bed's own
//    GRUB 0.97 reader (test/testbed/host/tb/grub0.py via nextBootBatch), on input.conf and on
//    expected.conf: which entry, which kernel, Xen's command line, Domain-0's command line;
//  - every expected.diff is applied with real `git apply` and `patch -p1` (in CI a missing tool fails).
// UPDATE_GOLDEN=1 rewrites expected.diff, expected.conf and expected.stderr from the actual run (review
// their git diff); it never writes options.json or expected.boot.json, and the exit code and boot
// checks still run, so a wrong output cannot be blessed by regenerating.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/run-cli.js';
import { inCI, toolMissing } from './helpers/ci.js';
import { nextBootBatch, type NextBoot } from './testbed/index.js';

const root = fileURLToPath(new URL('../golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const scenarios = readdirSync(root).filter((d) => existsSync(path.join(root, d, 'options.json'))).sort();
const converting = scenarios.filter((d) => existsSync(path.join(root, d, 'expected.conf')));

interface Options {
  argv: string[];
  /** 0: nothing to do, 2: a diff (with --detailed-exitcode), 1: refused */
  exit: number;
}
/** what the scenario claims GRUB boots (keys compared exactly; others not) */
type BootClaim = Partial<Pick<NextBoot, 'entryIndex' | 'title' | 'hypervisor' | 'kernelRelease' | 'xenCmdline' | 'dom0Cmdline' | 'boots'>> & { fallbackTitles?: string[] };
interface BootClaims {
  claim: string;
  bootPartition?: boolean;
  savedWord?: number;
  before: BootClaim;
  after: BootClaim;
  /** the converted entry's kernel arguments reach Domain-0 unchanged */
  dom0KeepsKernelArgs?: boolean;
  /** the titles of expected.conf's entries, in GRUB's order */
  entriesAfter?: string[];
  /** expected.conf boots this entry also with this stage2 word (a default=N line ignores a plain saved word) */
  afterWithSavedWord?: { savedWord: number; entryIndex: number };
}

function options(name: string): Options {
  const o = JSON.parse(readFileSync(path.join(root, name, 'options.json'), 'utf8')) as Partial<Options>;
  if (!Array.isArray(o.argv) || ![0, 1, 2].includes(o.exit as number)) throw new Error(`golden/${name}/options.json must give argv and the expected exit (0, 1 or 2), written by hand`);
  return o as Options;
}

function check(file: string, actual: string | Buffer): void {
  const p = path.join(root, file);
  const bytes = Buffer.isBuffer(actual) ? actual : Buffer.from(actual);
  if (update) {
    if (bytes.length === 0 && !file.endsWith('.diff') && !file.endsWith('.stderr')) rmSync(p, { force: true });
    else writeFileSync(p, bytes);
    return;
  }
  expect(existsSync(p), `${file} is missing (UPDATE_GOLDEN=1 creates it; review it)`).toBe(true);
  expect(bytes.toString('latin1')).toBe(readFileSync(p).toString('latin1'));
}

const relative = (s: string, name: string) => s.replaceAll(path.join(root, name), 'golden/' + name);

/** the claimed keys of a boot, as the test bed's GRUB reader sees it */
function seen(b: NextBoot, claim: BootClaim): BootClaim {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(claim)) {
    out[k] = k === 'fallbackTitles' ? b.fallback.map((i) => b.entries.find((e) => e.index === i)?.title) : (b as unknown as Record<string, unknown>)[k];
  }
  return out as BootClaim;
}

describe('golden scenarios', () => {
  it('there are scenarios', () => expect(scenarios.length).toBeGreaterThanOrEqual(10));

  it.each(scenarios)('%s', async (name) => {
    const dir = path.join(root, name);
    const opts = options(name);
    const input = path.join(dir, 'input.conf');
    const plan = await runCli(['grub', 'plan', input, '--detailed-exitcode', ...opts.argv]);
    // the exit code is the scenario's, never the run's
    expect(plan.exit, `plan exit (stderr: ${plan.stderr})`).toBe(opts.exit);
    check(`${name}/expected.stderr`, relative(plan.stderr, name));
    if (opts.exit === 1) {
      // a refusal: one line + a hint, nothing on stdout, nothing written
      expect(plan.stdout.length).toBe(0);
      expect(plan.stderr).toMatch(/^dom0up: error: .+\nhint: .+\n$/);
      expect(existsSync(path.join(dir, 'expected.conf')), 'a refusal has no expected.conf').toBe(false);
      return;
    }
    // --detailed-exitcode: 2 exactly when there is a diff
    expect(plan.stdout.length > 0, `exit ${opts.exit} with ${plan.stdout.length} bytes of diff`).toBe(opts.exit === 2);
    check(`${name}/expected.diff`, plan.stdout);
    const apply = await runCli(['grub', 'apply', input, '-o', '-', ...opts.argv]);
    expect(apply.exit).toBe(0);
    check(`${name}/expected.conf`, apply.stdout);
    // apply says what plan said
    expect(relative(apply.stderr, name)).toBe(relative(plan.stderr, name));
    if (update) return;
    // applying again changes nothing
    const tmp = mkdtempSync(path.join(tmpdir(), 'dom0up-golden-'));
    try {
      writeFileSync(path.join(tmp, 'again.conf'), readFileSync(path.join(dir, 'expected.conf')));
      const again = await runCli(['grub', 'plan', path.join(tmp, 'again.conf'), '--detailed-exitcode', ...opts.argv]);
      expect(again.exit).toBe(0);
      expect(again.stdout.length).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it.each(converting)('%s: the test bed\'s GRUB reader boots input.conf and expected.conf as expected.boot.json claims', (name) => {
    const dir = path.join(root, name);
    const file = path.join(dir, 'expected.boot.json');
    expect(existsSync(file), `golden/${name}/expected.boot.json is missing: write by hand what GRUB boots before and after`).toBe(true);
    const c = JSON.parse(readFileSync(file, 'utf8')) as BootClaims;
    for (const side of [c.before, c.after]) for (const k of ['entryIndex', 'title', 'hypervisor', 'kernelRelease'] as const) expect(side, `${name}: claim ${k}`).toHaveProperty(k);
    expect(c.after, `${name}: the claim names Xen's command line`).toHaveProperty('xenCmdline');
    const common = { bootPartition: c.bootPartition ?? true, savedWord: c.savedWord ?? 0 };
    const [before, after, withWord] = nextBootBatch([
      { conf: readFileSync(path.join(dir, 'input.conf'), 'latin1'), ...common },
      { conf: readFileSync(path.join(dir, 'expected.conf'), 'latin1'), ...common },
      ...(c.afterWithSavedWord ? [{ conf: readFileSync(path.join(dir, 'expected.conf'), 'latin1'), ...common, savedWord: c.afterWithSavedWord.savedWord }] : []),
    ]);
    expect(seen(before!, c.before), `${name}: what input.conf boots`).toEqual(c.before);
    expect(seen(after!, c.after), `${name}: what expected.conf boots`).toEqual(c.after);
    expect(after!.boots, `${name}: expected.conf boots (${after!.error})`).toBe(c.after.boots ?? true);
    if (c.dom0KeepsKernelArgs) expect(after!.dom0Cmdline, `${name}: Domain-0 gets the converted entry's arguments`).toBe(before!.cmdline);
    if (c.entriesAfter) expect(after!.entries.map((e) => e.title)).toEqual(c.entriesAfter);
    if (c.afterWithSavedWord) expect(withWord!.entryIndex).toBe(c.afterWithSavedWord.entryIndex);
  });

  // every diff is a real patch: it turns input.conf into expected.conf with git apply and with patch -p1
  const withDiff = scenarios.filter((d) => existsSync(path.join(root, d, 'expected.diff')) && readFileSync(path.join(root, d, 'expected.diff')).length > 0);
  for (const tool of ['git', 'patch'] as const) {
    const missing = toolMissing(tool);
    const run = it.skipIf(missing !== null && !inCI);
    run.each(withDiff)(`%s: expected.diff applies with ${tool === 'git' ? 'git apply' : 'patch -p1'}${missing && !inCI ? ` — SKIPPED: ${missing}` : ''}`, (name) => {
      expect(missing, `${tool} is needed to check the golden diffs`).toBeNull();
      const dir = path.join(root, name);
      const work = mkdtempSync(path.join(tmpdir(), `dom0up-golden-${tool}-`));
      try {
        mkdirSync(path.join(work, 'etc'), { recursive: true });
        copyFileSync(path.join(dir, 'input.conf'), path.join(work, 'etc/grub.conf'));
        copyFileSync(path.join(dir, 'expected.diff'), path.join(work, 'p.diff'));
        if (tool === 'git') execFileSync('git', ['apply', '--unsafe-paths', '--whitespace=nowarn', 'p.diff'], { cwd: work });
        else execFileSync('patch', ['-p1', '-s', '-i', 'p.diff'], { cwd: work });
        expect(readFileSync(path.join(work, 'etc/grub.conf')).equals(readFileSync(path.join(dir, 'expected.conf'))), `${tool} result`).toBe(true);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
