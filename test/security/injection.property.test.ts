// Hostile values end to end: a value given as --xen-arg (even with --force) is either refused
// with a typed error, or — written into /etc/sysconfig/xen-kernel, which grub-bootxen.sh sources
// with a shell and passes on as "--mbargs=$XEN_KERNEL_ARGS" — reads back exactly and executes
// nothing. The payloads that matter are the ones the validator lets through: Xen options (unknown
// ones pass with --force) whose values carry ; | & ( ) < > * ? ~ # ! { } [ ] ^ — each would run or
// redirect something if the file's quoting were wrong (`;>pwned` creates a file). The judge is a
// real /bin/sh sourcing the written file in an empty directory, never dom0up's reader. The same for
// remote file paths: the atomic writer's script quotes them (run here through a real /bin/sh).
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeHypervisorArgs } from '../../src/plan/hypervisor-args.js';
import { updateXenKernelSysconfig } from '../../src/repo/index.js';
import { LocalTransport } from '../../src/transport/index.js';
import { writeFilesScript } from '../../src/apply/host-scripts.js';
import { createHash } from 'node:crypto';
import { toXenEntry, parseGrubConf } from '../../src/grub/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-inject-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const canary = path.join(dir, 'pwned');

/** Values the validator refuses (they must never reach a file). */
const refusedPayload = fc.constantFrom(`$(touch ${canary})`, `\`touch ${canary}\``, `"; touch ${canary}; "`, `'; touch ${canary}; '`, `x\ntouch ${canary}`, 'a\0b', '${IFS}', '\\', '$HOME', '"', "'");
/** Shell-active text the validator lets through (no blank, quote, $, backquote or backslash): unquoted, each would redirect into or run something in the working directory. */
const SHELL_ACTIVE = [';>pwned', '|>pwned', '&>pwned', '&&>pwned', '(>pwned)', '>pwned', '>>pwned', '1;>pwned#', ';:>pwned;', '!>pwned', '{>pwned}', '*', '?', '~', '[a]', '^', 'a;b', 'a|b', 'a&b', '<pwned'];
const META = /[;|&()<>*?~#!{}[\]^]/;
const hostile = fc.oneof(
  { weight: 1, arbitrary: refusedPayload },
  { weight: 3, arbitrary: fc.constantFrom(...SHELL_ACTIVE) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'a0,:=._-;|&()<>*?~#!{}[]^%@+'.split('')), minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9,:/.=_-]{1,10}$/) },
);
const token = fc.tuple(fc.constantFrom('cpufreq', 'loglvl', 'x_unknown_opt', 'x_other', 'x_third', 'x_fourth', 'console', 'com1', 'dom0_mem'), hostile).map(([k, v]) => `${k}=${v}`);

const REFUSALS = new Set(['XenOptionError', 'TemplateError', 'GrubEditError']);

describe('injection', () => {
  it('--xen-arg values: refused, or sourced by sh without running anything', () => {
    let written = 0;
    let active = 0;
    const work = mkdtempSync(path.join(tmpdir(), 'dom0up-inject-cwd-'));
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 3 }), (xenArg) => {
        let args: string;
        let file: string;
        try {
          const hyp = makeHypervisorArgs({ xenArg, force: true });
          const r = toXenEntry(parseGrubConf('title A\n\tkernel /vmlinuz-4.9.1 ro\n\tinitrd /initramfs-4.9.1.img\n'), { hypervisorArgs: hyp.fn });
          args = r.hypervisorArgs;
          file = updateXenKernelSysconfig(null, args);
        } catch (e) {
          if (e instanceof Error && REFUSALS.has(e.name)) return true;
          throw e;
        }
        written++;
        if (META.test(args)) active++;
        const f = path.join(dir, 'xen-kernel');
        writeFileSync(f, file);
        // as grub-bootxen.sh does: source the file, pass "--mbargs=$XEN_KERNEL_ARGS" as one argument
        const out = execFileSync('/bin/sh', ['-c', '. "$1" && set -- "--mbargs=$XEN_KERNEL_ARGS" && printf "%s|%s" "$#" "$1"', 'sh', f], { encoding: 'utf8', cwd: work });
        expect(out).toBe(`1|--mbargs=${args}`);
        expect(readdirSync(work), `sourcing ${JSON.stringify(file)} created files`).toEqual([]);
        expect(existsSync(canary)).toBe(false);
        // and GRUB sees them as one hypervisor line
        expect(args).not.toMatch(/[\n\r\0]/);
        return true;
      }),
      { numRuns: 800 },
    );
    rmSync(work, { recursive: true, force: true });
    // the accepted half is exercised, and most of it with shell-active characters
    expect(written).toBeGreaterThan(80);
    expect(active).toBeGreaterThan(60);
  });

  it('the sysconfig writer on its own (any string, as if the validator let it through): refused, or sourced by sh as exactly that string', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'dom0up-inject-cwd-'));
    let written = 0;
    fc.assert(
      fc.property(fc.oneof(refusedPayload, fc.constantFrom(...SHELL_ACTIVE), fc.string({ maxLength: 30 }), fc.string({ unit: fc.constantFrom(...'a ;|&()<>*?~#!{}[]^$`"\\\'\n'.split('')), maxLength: 16 })), fc.boolean(), (value, existing) => {
        let file: string;
        try {
          file = updateXenKernelSysconfig(existing ? 'BOOT_XEN_AS_DEFAULT="yes"\nXEN_KERNEL_ARGS="old"\n' : null, value);
        } catch (e) {
          if (e instanceof Error && e.name === 'TemplateError') return true;
          throw e;
        }
        written++;
        const f = path.join(dir, 'xen-kernel-any');
        writeFileSync(f, file);
        const out = execFileSync('/bin/sh', ['-c', '. "$1" && printf "%s" "$XEN_KERNEL_ARGS"', 'sh', f], { encoding: 'utf8', cwd: work });
        expect(out).toBe(value);
        expect(readdirSync(work)).toEqual([]);
        expect(existsSync(canary)).toBe(false);
        return true;
      }),
      { numRuns: 600 },
    );
    rmSync(work, { recursive: true, force: true });
    expect(written).toBeGreaterThan(100);
  });

  it('remote file paths cannot escape their quoting in the writer script', async () => {
    const t = new LocalTransport({ target: 'local' });
    // the canary is relative (no slash) and the script runs in `dir`: a command that escaped its
    // quoting would create dir/pwned
    const rel = 'pwned';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(`$(touch ${rel})`, `\`touch ${rel}\``, `a'b`, 'a"b', 'a;b', 'a b', '-rf', '*', 'a\\b', `x;touch ${rel}`), async (name) => {
        const p = path.join(dir, name);
        const content = Buffer.from('x');
        const sha = createHash('sha256').update(content).digest('hex');
        const r = await t.exec(`cd ${JSON.stringify(dir)} || exit 9\n` + writeFilesScript([{ n: 0, path: p, expect: 'absent', sha256: sha, length: 1, mode: 0o600, mkdirs: [] }]), { stdin: content });
        expect(r.code, r.stderr.toString()).toBe(0);
        expect(readFileSync(p, 'utf8')).toBe('x');
        rmSync(p);
        expect(existsSync(path.join(dir, rel))).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  it('the canary can fire: an unquoted path in a script run the same way creates it', async () => {
    // the oracle of the test above, checked: the same payloads, the same transport and directory,
    // spliced into a script without quoting, do create the canary
    const t = new LocalTransport({ target: 'local', cwd: dir });
    for (const p of ['$(touch pwned)', '`touch pwned`']) {
      await t.exec(`f="${p}"; :`);
      expect(existsSync(canary)).toBe(true);
      rmSync(canary);
    }
  });
});
