// Values the user gives for grub.conf lines (--title, --initrd, --kernel) cannot inject anything:
// refused with a one-line reason (exit 1) on the offline and the remote path, never an internal
// error, and whatever is accepted reads back — as the test bed's own GRUB 0.97 reader sees the file
// (test/testbed/host/tb/grub0.py, independent of src/grub) — as exactly what was asked.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { firmwareBatch } from '../testbed/index.js';
import { makePlan } from '../../src/plan/make-plan.js';
import { GrubEditError, parseGrubConf, toXenEntry } from '../../src/grub/index.js';
import { recordedFacts } from '../hostile/recordings.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'dom0up-values-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEAD = 'default=0\ntimeout=5\n';
const ENTRY = (v: string, initrd: boolean) => `title CentOS (${v})\n\troot (hd0,0)\n\tkernel /vmlinuz-${v} ro root=/dev/sda2\n${initrd ? `\tinitrd /initramfs-${v}.img\n` : ''}`;
const V = '4.9.241-37.el6.x86_64';
const OLD = '2.6.32-754.el6.x86_64';
const CONF = HEAD + ENTRY(V, true) + ENTRY(OLD, true);
const NO_INITRD = HEAD + ENTRY(V, false) + ENTRY(OLD, true);
// the test bed's firmware reads bytes (a JSON string of latin1 characters stands for them)
const bytes = (utf8: string) => Buffer.from(utf8, 'utf8').toString('latin1');
const text8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');
const conf = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('grub.conf values: refused at the option boundary', () => {
  it('--title ending in a backslash (GRUB would join the root line into the title) is refused, exit 1', async () => {
    const r = await runCli(['grub', 'plan', conf('a.conf', CONF), '--keep-plain', '--title', 'Xen \\']);
    expect(r.stderr).toMatch(/^dom0up: error: --title "Xen \\\\": a backslash is not allowed/m);
    expect(r.exit).toBe(1);
    expect(r.stdout.length).toBe(0);
  });

  it('an --initrd that breaks the rewrite is a refusal (exit 1), not an internal error (70)', async () => {
    for (const initrd of [`/initramfs-${V}.img\\`, `/a\ntitle evil`, '/a b', 'relative.img', '/a\u001b[2Kb']) {
      const r = await runCli(['grub', 'plan', conf('b.conf', NO_INITRD), '--initrd', initrd]);
      expect(r.stderr, JSON.stringify(initrd)).toMatch(/^dom0up: error: --initrd /m);
      expect(r.exit).toBe(1);
    }
  });

  it('--kernel with a newline or blanks is refused', async () => {
    for (const kernel of [`${V}\nx`, `${V} x`, '../x']) {
      const r = await runCli(['grub', 'plan', conf('c.conf', CONF), '--kernel', kernel]);
      expect(r.exit).toBe(1);
      expect(r.stderr).toMatch(/^dom0up: error: --kernel /m);
    }
  });

  it('remote commands check the values before connecting to anything', async () => {
    for (const [opt, v] of [['--initrd', '/x\n\tkernel /evil'], ['--title', 'Xen \\'], ['--kernel', `${V}\n`]] as const) {
      const r = await runCli(['plan', 'root@127.0.0.1:9', opt, v, '--known-hosts', '/dev/null']);
      expect(r.exit).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^dom0up: error: ${opt} `, 'm'));
      expect(r.stderr).not.toMatch(/connect|refused/i);
    }
  });

  it('the remote plan refuses them too (facts of a real host, replayed)', async () => {
    const facts = await recordedFacts('apply-fresh', 'after-yum');
    expect(facts.packages.installed['xen-hypervisor']).toBeDefined();
    const ok = makePlan(facts, { keepPlain: true, title: 'Xen' }, 'apply', 'h');
    expect(ok.refusals).toEqual([]);
    for (const req of [{ keepPlain: true, title: 'Xen \\' }, { initrd: '/x\n\tkernel /evil' }, { keepPlain: true, title: 'a\u001b]0;pwned\u0007' }]) {
      const plan = makePlan(facts, req, 'apply', 'h');
      expect(plan.refusals.map((r) => r.code), JSON.stringify(req)).toContain('grub-bad-value');
      expect(plan.steps.find((s) => s.id === 'grub')?.action ?? 'none').not.toBe('update');
    }
  });
});

// the judge is the test bed's GRUB reader (Python): without python3 these cases cannot run; in CI that fails
const python = existsSync('/usr/bin/python3');
if (!python) console.warn('*** /usr/bin/python3 missing: the GRUB-reader checks of entry-values are SKIPPED ***');
if (!python && process.env.CI) throw new Error('CI: /usr/bin/python3 is needed for the GRUB reader (test/testbed/host/tb/grub0.py)');

describe.skipIf(!python)('grub.conf values: what is accepted is what GRUB reads', () => {
  const unit = fc.constantFrom('a', 'Z', '9', ' ', '\t', '\\', '\n', '\r', '#', '=', '(', ')', '/', '.', '-', 'é', '\u001b', '\u0000', '\u0085', '\u2028', 'title', 'root', 'kernel');
  const value = fc.oneof(fc.string({ unit, maxLength: 24 }), fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }));

  it('a --title either is refused or is the title GRUB shows, and the entry keeps all its lines', () => {
    const cases: { title: string; text: string }[] = [];
    fc.assert(fc.property(value, (title) => {
      let text: string;
      try {
        text = toXenEntry(parseGrubConf(CONF), { hypervisorArgs: () => 'dom0_mem=1024M', keepPlain: true, title }).after.text;
      } catch (e) {
        expect(e).toBeInstanceOf(GrubEditError);
        return;
      }
      cases.push({ title, text });
    }), { numRuns: 400, seed: 12 });
    expect(cases.length).toBeGreaterThan(40);
    const got = firmwareBatch(cases.map((c) => ({ conf: bytes(c.text), files: {} })));
    got.forEach((g, i) => {
      const c = cases[i]!;
      const e = g.config!.entries[0]!;
      expect(text8(e.title), JSON.stringify(c.title)).toBe(c.title);
      expect(e.commands.map((x) => x.split(' ')[0]), JSON.stringify(c.title)).toEqual(['root', 'kernel', 'module', 'module']);
      expect(g.config!.entries).toHaveLength(3);
    });
  });

  it('an --initrd either is refused or is the second module GRUB loads', () => {
    const cases: { initrd: string; text: string }[] = [];
    const path = fc.oneof(value, value.map((v) => `/${v}`), value.map((v) => `(hd0,0)/${v}`));
    fc.assert(fc.property(path, (initrd) => {
      let text: string;
      try {
        text = toXenEntry(parseGrubConf(NO_INITRD), { hypervisorArgs: () => 'dom0_mem=1024M', initrd }).after.text;
      } catch (e) {
        expect(e).toBeInstanceOf(GrubEditError);
        return;
      }
      cases.push({ initrd, text });
    }), { numRuns: 400, seed: 13 });
    expect(cases.length).toBeGreaterThan(40);
    const got = firmwareBatch(cases.map((c) => ({ conf: bytes(c.text), files: {} })));
    got.forEach((g, i) => {
      const c = cases[i]!;
      expect(g.config!.entries).toHaveLength(2);
      expect(g.config!.entries[0]!.commands.map(text8), JSON.stringify(c.initrd)).toEqual(['root (hd0,0)', 'kernel /xen.gz dom0_mem=1024M', `module /vmlinuz-${V} ro root=/dev/sda2`, `module ${c.initrd}`]);
    });
  });
});
