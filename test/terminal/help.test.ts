// Every command's --help on a real terminal, as a person reads it: the bundled bin exits 0, shows
// the command's usage and the exit codes, fits the terminal's width (yargs wraps to it; nothing is
// cut or wrapped mid-word by the terminal), and never shows an internal error. The command list
// is read from the screen of `dom0up --help` itself, so a new command is covered without editing this.
import { beforeAll, expect, it } from 'vitest';
import { BUNDLED, runOnTerminal } from './pty.js';
import { describeTerminal } from './tier.js';

/** Command names from the "Commands:" section of a help screen ("  dom0up grub plan <file>  …"). */
function commandsOf(lines: string[], prefix: string[]): string[] {
  const start = lines.findIndex((l) => l.trim() === 'Commands:');
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.trim()) break;
    const m = new RegExp(`^\\s+dom0up ${prefix.map((p) => p + ' ').join('')}([a-z][\\w-]*)`).exec(l);
    if (m) out.push(m[1]!);
  }
  return out;
}

describeTerminal('--help on a terminal', () => {
  let top: string[] = [];
  let grub: string[] = [];
  beforeAll(async () => {
    top = commandsOf((await runOnTerminal(BUNDLED, ['--help'], { cols: 100 })).lines, []);
    grub = commandsOf((await runOnTerminal(BUNDLED, ['grub', '--help'], { cols: 100 })).lines, ['grub']);
  });

  it('dom0up --help lists the commands, dom0up grub --help the grub commands', () => {
    expect(top).toEqual(expect.arrayContaining(['grub', 'facts', 'plan', 'apply', 'tune', 'rollback', 'verify']));
    expect(grub).toEqual(expect.arrayContaining(['show', 'lint', 'plan', 'apply']));
  });

  for (const cols of [80, 100]) {
    it(`every help screen on a ${cols}-column terminal: usage, options, exit codes, exit 0, nothing wider than the screen`, async () => {
      const screens = [[], ['grub'], ...top.filter((c) => c !== 'grub').map((c) => [c]), ...grub.map((c) => ['grub', c])];
      expect(screens.length).toBeGreaterThanOrEqual(12);
      for (const cmd of screens) {
        const r = await runOnTerminal(BUNDLED, [...cmd, '--help'], { cols, rows: 50 });
        const what = `dom0up ${[...cmd, '--help'].join(' ')} (${cols} columns)`;
        expect(r.text, what).not.toMatch(/dom0up: internal error|RangeError|Maximum call stack/);
        expect(r.exitCode, `${what}:\n${r.text}`).toBe(0);
        expect(r.lines[0], what).toMatch(new RegExp(`^dom0up ${cmd.length ? cmd.join(' ') : '<command>'}(\\s|$)`));
        expect(r.text, what).toMatch(/^Options:$/m);
        expect(r.text, what).toMatch(/^Exit codes: 0 success; 1 error/m);
        expect(r.text, what).toMatch(/130\/143 interrupted/);
        expect(r.session.wrappedLines(), what).toEqual([]);
      }
    });
  }

  // `script` from a pipe, `ssh -t` from a pipe, some CI runners: a terminal that reports 0 columns
  it('on a terminal that reports no size (0×0): every help screen and the grub commands work, exit 0', async () => {
    const runs = [[], ['grub'], ...top.filter((c) => c !== 'grub').map((c) => [c]), ...grub.map((c) => ['grub', c])].map((c) => [...c, '--help']);
    runs.push(['grub', 'show', 'golden/seed-centos610/input.conf'], ['grub', 'lint', 'golden/fresh-after-yum/input.conf'], ['grub', 'plan', 'golden/fresh-after-yum/input.conf', '--dom0-mem', '1024M']);
    for (const args of runs) {
      const r = await runOnTerminal(BUNDLED, args, { cols: 250, rows: 60, unknownSize: true });
      const what = `dom0up ${args.join(' ')} (0×0 terminal)`;
      expect(r.text, what).not.toMatch(/dom0up: internal error|RangeError|Maximum call stack/);
      expect(r.exitCode, `${what}:\n${r.text}`).toBe(0);
      if (args.includes('--help')) expect(r.text, what).toMatch(/Exit codes: 0 success/);
    }
    const plan = await runOnTerminal(BUNDLED, runs.at(-1)!, { cols: 250, rows: 60, unknownSize: true });
    expect(plan.text).toMatch(/^\+\s+kernel \/xen\.gz dom0_mem=1024M,max:1024M/m);
  });

  it('--version prints the package version', async () => {
    const r = await runOnTerminal(BUNDLED, ['--version'], { cols: 80 });
    expect(r.exitCode).toBe(0);
    expect(r.lines).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+/)]);
  });

  it('a mistyped command: one line, a hint, exit 1 — on the terminal, in red', async () => {
    const r = await runOnTerminal(BUNDLED, ['aply', 'root@example'], { cols: 100 });
    expect(r.exitCode).toBe(1);
    expect(r.text).toMatch(/Did you mean apply\?/);
    expect(r.text).toMatch(/^dom0up: error: /m);
    expect(r.text).toMatch(/^hint: dom0up --help/m);
    expect(r.session.colorOf(/^dom0up: (error):/)).toBe(1);
    expect(r.session.colorOf(/^(dom0up): error:/)).toBe('default');
    expect(r.text).not.toMatch(/dom0up: internal error/);
  });
});
