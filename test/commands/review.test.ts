// Reviewed plans without SSH: plans from saved facts (fixtures of two hosts), the plan file's
// checks, what a changed host is refused with, the markdown a pull request gets (golden files,
// reviewed by hand: golden/review/), and `grub plan` over several files.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { anacondaConf, hostFacts, plainEntry, SIG, STOCK, xenEntry } from '../plan/fixtures.js';
import { checkSavedHost, parsePlanFile, serializeFacts, type SavedPlanFile } from '../../src/plan/saved-plan.js';
import { DOM0UP_VERSION } from '../../src/version.js';

const GOLDEN = path.resolve(__dirname, '../../golden/review');
const ARGS = 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin';

function factsDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-facts-'));
  const fresh = hostFacts({ grubConf: anacondaConf(plainEntry(STOCK, `CentOS 6 (${STOCK})`)), kernels: [STOCK] });
  const xen = hostFacts({ grubConf: anacondaConf(xenEntry(SIG, ARGS) + plainEntry(STOCK)), kernels: [STOCK, SIG], xenInstalled: true, xenCmdline: ARGS, running: SIG, files: { '/etc/sysconfig/xen-kernel': `XEN_KERNEL_ARGS="${ARGS}"\n` } });
  for (const [name, f] of [['dom0-01', fresh], ['dom0-02', xen]] as const) {
    writeFileSync(path.join(dir, `${name}.facts.json`), serializeFacts({ dom0up: DOM0UP_VERSION, savedAt: '2026-12-02T00:00:00Z', name, destination: `root@${name}`, hostKey: 'SHA256:fixture', facts: f }));
  }
  return dir;
}

describe('plans from saved facts', () => {
  it('markdown for a pull request and the plan file match the reviewed golden files', async () => {
    const dir = factsDir();
    const out = path.join(dir, 'plan.json');
    const r = await runCli(['plan', '--facts', dir, '--dom0-mem', '2048M', '--dom0-vcpus', '2', '--pin', '--out', out, '--format', 'markdown']);
    expect(r.exit, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe(readFileSync(path.join(GOLDEN, 'expected.md'), 'utf8'));
    const plan = JSON.parse(readFileSync(out, 'utf8')) as SavedPlanFile;
    expect({ ...plan, createdAt: 'X', dom0up: 'X' }).toEqual(JSON.parse(readFileSync(path.join(GOLDEN, 'expected-plan.json'), 'utf8')));
    // --detailed-exitcode over all hosts
    const d = await runCli(['plan', '--facts', dir, '--dom0-mem', '2048M', '--format', 'json', '--detailed-exitcode']);
    expect(d.exit).toBe(2);
  });

  it('a plan file is refused when it is not a plan, of another format or dom0up version, or edited by hand', () => {
    const dir = factsDir();
    const file = path.join(dir, 'p.json');
    execFileSync(process.execPath, ['-e', '0']);
    return runCli(['plan', '--facts', dir, '--out', file]).then(() => {
      const text = readFileSync(file, 'utf8');
      const p = JSON.parse(text) as SavedPlanFile;
      expect(() => parsePlanFile('{', DOM0UP_VERSION)).toThrow(/not JSON/);
      expect(() => parsePlanFile('{"format":"x"}', DOM0UP_VERSION)).toThrow(/not a dom0up plan/);
      expect(() => parsePlanFile(JSON.stringify({ ...p, version: 9 }), DOM0UP_VERSION)).toThrow(/format version 9/);
      expect(() => parsePlanFile(JSON.stringify({ ...p, dom0up: '9.9.0' }), DOM0UP_VERSION)).toThrow(/made by dom0up 9\.9\.0/);
      const edited = structuredClone(p);
      const step = edited.hosts[0]!.plan.steps.find((s) => s.kind === 'file' && s.after !== null)!;
      if (step.kind === 'file') step.after = step.after + '# sneaked in\n';
      expect(() => parsePlanFile(JSON.stringify(edited), DOM0UP_VERSION)).toThrow(/does not match its sha256/);
      expect(parsePlanFile(text, DOM0UP_VERSION).hosts).toHaveLength(2);
    });
  });

  it('the live check names the files and facts that changed since the review', async () => {
    const dir = factsDir();
    const file = path.join(dir, 'p.json');
    await runCli(['plan', '--facts', dir, '--dom0-mem', '2048M', '--out', file]);
    const p = parsePlanFile(readFileSync(file, 'utf8'), DOM0UP_VERSION);
    const saved = p.hosts.find((h) => h.name === 'dom0-02')!;
    const same = hostFacts({ grubConf: anacondaConf(xenEntry(SIG, ARGS) + plainEntry(STOCK)), kernels: [STOCK, SIG], xenInstalled: true, xenCmdline: ARGS, running: SIG, files: { '/etc/sysconfig/xen-kernel': `XEN_KERNEL_ARGS="${ARGS}"\n` } });
    expect(checkSavedHost(saved, same, 'SHA256:fixture', 'apply')).toEqual([]);
    const edited = hostFacts({ grubConf: anacondaConf(xenEntry(SIG, ARGS) + plainEntry(STOCK)) + '# hand edit\n', kernels: [STOCK, SIG], xenInstalled: true, xenCmdline: ARGS, running: SIG, files: { '/etc/sysconfig/xen-kernel': `XEN_KERNEL_ARGS="${ARGS}"\n` } });
    const why = checkSavedHost(saved, edited, 'SHA256:other', 'apply');
    expect(why.join('\n')).toMatch(/host key is SHA256:other/);
    expect(why.join('\n')).toMatch(/\/boot\/grub\/grub\.conf changed/);
    expect(why.join('\n')).toMatch(/step \d+ \(grub update\) would write other bytes than reviewed/);
  });
});

describe('grub plan over several files', () => {
  it('one diff per file, labelled with its path, that git apply takes as a whole; --detailed-exitcode over all', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dom0up-gp-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    for (const g of ['seed-centos610', 'no-boot-partition', 'already-xen-nothing-to-do']) {
      mkdirSync(path.join(repo, 'hosts', g), { recursive: true });
      cpSync(path.resolve(__dirname, `../../golden/${g}/input.conf`), path.join(repo, 'hosts', g, 'grub.conf'));
    }
    const files = ['hosts/seed-centos610/grub.conf', 'hosts/no-boot-partition/grub.conf'];
    const cwd = process.cwd();
    process.chdir(repo);
    try {
      const r = await runCli(['grub', 'plan', ...files, '--dom0-mem', '1024M', '--detailed-exitcode']);
      expect(r.exit, r.stderr).toBe(2);
      const diff = r.stdout.toString();
      expect(diff.match(/^--- a\/hosts\//gm)).toHaveLength(2);
      writeFileSync(path.join(repo, 'all.diff'), diff);
      execFileSync('git', ['apply', '--check', 'all.diff'], { cwd: repo });
      const md = await runCli(['grub', 'plan', ...files, 'hosts/nope/grub.conf', '--dom0-mem', '1024M', '--format', 'markdown']);
      expect(md.exit).toBe(1);
      expect(md.stdout.toString()).toMatch(/\| `hosts\/nope\/grub.conf` \| refused: hosts\/nope\/grub.conf: no such file/);
      const lint = await runCli(['grub', 'lint', ...files]);
      expect(lint.exit).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });
});
