// setShellVar on files a shell sources (/etc/sysconfig/xen-kernel, /etc/sysconfig/kernel): for
// generated files — values quoted several ways, spanning lines, with neighbours — the edited file,
// sourced by a real /bin/sh, gives KEY the new value and every other variable its old one. The
// judge is the shell, not dom0up's reader. A value whose quote never closes is refused.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setShellVar } from '../../src/repo/shell-vars.js';
import { updateXenKernelSysconfig } from '../../src/repo/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-sv-'));
const file = path.join(dir, 'sysconfig');

/** What /bin/sh makes of the file: each variable's value (NUL-separated). */
function sourced(text: string, names: string[]): Record<string, string> {
  writeFileSync(file, text);
  const out = execFileSync('/bin/sh', ['-c', `. "$0" && for v in ${names.join(' ')}; do eval "printf '%s\\\\0' \\"\\\${$v-}\\""; done`, file]).toString('utf8');
  const vals = out.split('\0');
  return Object.fromEntries(names.map((n, i) => [n, vals[i] ?? '']));
}

const word = fc.stringMatching(/^[a-z0-9=,:._-]{1,12}$/);
const value = fc.array(word, { minLength: 0, maxLength: 4 });
/** One assignment of KEY, written one of the ways people write them. */
const assignment = (key: string) =>
  fc.tuple(value, fc.constantFrom('dq', 'sq', 'plain', 'dq-multi', 'sq-multi', 'dq-continued', 'export')).map(([ws, style]) => {
    const v = ws.join(' ');
    switch (style) {
      case 'dq': return `${key}="${v}"`;
      case 'sq': return `${key}='${v}'`;
      case 'plain': return `${key}=${ws.join('') || 'x'}`;
      case 'dq-multi': return `${key}="${ws.join('\n')}"`;
      case 'sq-multi': return `${key}='${ws.join('\n ')}'`;
      case 'dq-continued': return `${key}="${ws.join(' \\\n')}"`;
      default: return `export ${key}="${v}"`;
    }
  });

describe('setShellVar', () => {
  it('the edited file gives the key the new value and the neighbours their old ones, whatever the old quoting (sourced by sh)', () => {
    fc.assert(
      fc.property(assignment('XEN_KERNEL_ARGS'), assignment('BOOT_XEN_AS_DEFAULT'), fc.array(word, { minLength: 1, maxLength: 5 }), fc.boolean(), (a, b, newWords, crlfFree) => {
        const text = `# a comment\n${b}\n${a}\nLINUX_XEN_KERNEL_ARGS="console=hvc0"\n${crlfFree ? '' : '# last line\n'}`;
        const before = sourced(text, ['BOOT_XEN_AS_DEFAULT', 'LINUX_XEN_KERNEL_ARGS']);
        const want = newWords.join(' ');
        const edited = setShellVar(text, 'XEN_KERNEL_ARGS', `"${want}"`, want);
        const after = sourced(edited, ['XEN_KERNEL_ARGS', 'BOOT_XEN_AS_DEFAULT', 'LINUX_XEN_KERNEL_ARGS']);
        expect(after.XEN_KERNEL_ARGS).toBe(want);
        expect(after.BOOT_XEN_AS_DEFAULT).toBe(before.BOOT_XEN_AS_DEFAULT);
        expect(after.LINUX_XEN_KERNEL_ARGS).toBe(before.LINUX_XEN_KERNEL_ARGS);
        // the comment lines are still there, untouched
        expect(edited).toContain('# a comment\n');
      }),
      { numRuns: 150 },
    );
  });

  it('the multi-line value of issue 11 is rewritten as a whole, and the file still sources', () => {
    const text = 'BOOT_XEN_AS_DEFAULT="yes"\nXEN_KERNEL_ARGS="dom0_mem=1024M\n cpufreq=xen"\nLINUX_XEN_KERNEL_ARGS="console=hvc0"\n';
    const out = updateXenKernelSysconfig(text, 'dom0_mem=2048M,max:2048M dom0_vcpus_pin', { bootXenAsDefault: 'no' });
    expect(out).toBe('BOOT_XEN_AS_DEFAULT="no"\nXEN_KERNEL_ARGS="dom0_mem=2048M,max:2048M dom0_vcpus_pin"\nLINUX_XEN_KERNEL_ARGS="console=hvc0"\n');
    expect(sourced(out, ['XEN_KERNEL_ARGS'])).toEqual({ XEN_KERNEL_ARGS: 'dom0_mem=2048M,max:2048M dom0_vcpus_pin' });
  });

  it('a quote that never closes is refused (the shell could not read the file either)', () => {
    expect(() => setShellVar('A="x\nB=1\n', 'B', '2', '2')).toThrow(/the quote of A is never closed/);
    expect(() => execFileSync('/bin/sh', ['-c', `. "$0"`, (writeFileSync(file, 'A="x\nB=1\n'), file)], { stdio: 'ignore' })).toThrow();
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
