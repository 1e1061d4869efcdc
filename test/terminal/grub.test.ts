// The offline grub commands of the bundled bin on a real terminal, on the golden inputs (golden/),
// judged by what the screen shows:
//  - grub plan: the screen shows exactly the golden diff (which test/golden.test.ts applies with
//    `git apply` and `patch -p1`), added lines green, removed red, hunks cyan — and no colour at all
//    with NO_COLOR; refusals show their golden message, "error" in red, exit 1;
//  - grub show: the entries and the entry that boots are those of the test bed's own GRUB reader (the
//    boot firmware of the simulated hosts, a separate implementation of GRUB 0.97's rules);
//  - grub lint: the findings as the piped output has them, exit 1 exactly when one is an error.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { firmwareBatch } from '../testbed/index.js';
import { BUNDLED, ROOT, expandTabs, personEnv, runOnTerminal } from './pty.js';
import { describeTerminal } from './tier.js';

const GOLDEN = path.join(ROOT, 'golden');
const scenarios = readdirSync(GOLDEN)
  .filter((d) => existsSync(path.join(GOLDEN, d, 'options.json')))
  .sort()
  .map((name) => {
    const o = JSON.parse(readFileSync(path.join(GOLDEN, name, 'options.json'), 'utf8')) as { argv: string[]; exit?: number };
    return { name, argv: o.argv, refused: o.exit === 1, input: `golden/${name}/input.conf` };
  });

/** A text file as the terminal shows it: lines, tabs at 8-column stops, no trailing blanks, no CR. */
const screenOf = (text: string) => text.split('\n').map((l) => expandTabs(l.replace(/\r$/, '')).replace(/\s+$/, ''));
const piped = (args: string[]) => spawnSync(process.execPath, [BUNDLED, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const noInternalError = (text: string) => expect(text).not.toMatch(/dom0up: internal error|RangeError|Maximum call stack/);

describeTerminal('grub commands on a terminal (golden inputs)', () => {
  it('there are golden scenarios, refused ones among them', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(10);
    expect(scenarios.some((s) => s.refused)).toBe(true);
  });

  it.each(scenarios.filter((s) => !s.refused))('grub plan $name: the screen shows the golden diff, in colour', async ({ name, argv, input }) => {
    const diff = readFileSync(path.join(GOLDEN, name, 'expected.diff'), 'utf8');
    const r = await runOnTerminal(BUNDLED, ['grub', 'plan', input, '--detailed-exitcode', ...argv], { cols: 220, rows: 60 });
    noInternalError(r.text);
    expect(r.exitCode, r.text).toBe(diff ? 2 : 0);
    const want = diff ? screenOf(diff.replace(/\n$/, '')) : [];
    // the summary (stderr) comes first, the diff (stdout) is the end of the screen
    expect(r.lines.slice(r.lines.length - want.length)).toEqual(want);
    expect(r.lines.slice(0, r.lines.length - want.length).join('\n')).toMatch(/: (converts|adds|updates|Xen entry \d+ .* already matches)/);
    if (!diff) return;
    expect(r.session.colorOf(/^(\+)[^+]/m)).toBe(2);
    expect(r.session.colorOf(/^(-)[^-]/m)).toBe(1);
    expect(r.session.colorOf(/^(@@) /)).toBe(6);
    const mono = await runOnTerminal(BUNDLED, ['grub', 'plan', input, ...argv], { cols: 220, rows: 60, env: personEnv({ NO_COLOR: '1' }) });
    expect(mono.lines.slice(mono.lines.length - want.length)).toEqual(want);
    expect(mono.session.colorOf(/^(\+)[^+]/m)).toBe('default');
    expect(mono.session.bytes).not.toMatch(/\u001b\[3\dm/);
  });

  it.each(scenarios.filter((s) => s.refused))('grub plan $name: refused with the golden message, "error" in red, exit 1', async ({ name, argv, input }) => {
    const want = screenOf(readFileSync(path.join(GOLDEN, name, 'expected.stderr'), 'utf8').replace(/\n$/, ''));
    const r = await runOnTerminal(BUNDLED, ['grub', 'plan', input, ...argv], { cols: 220 });
    noInternalError(r.text);
    expect(r.exitCode).toBe(1);
    expect(r.lines).toEqual(want);
    expect(r.session.colorOf(/^dom0up: (error): /)).toBe(1);
  });

  it.each(scenarios)('grub show $name: the entries and the boot entry of the test bed\'s GRUB reader', async ({ input }) => {
    const conf = readFileSync(path.join(ROOT, input), 'latin1');
    const [fw] = firmwareBatch([{ conf }]);
    const r = await runOnTerminal(BUNDLED, ['grub', 'show', input], { cols: 200, rows: 60 });
    noInternalError(r.text);
    expect(r.exitCode).toBe(0);
    const rows = r.lines.map((l) => /^([* ]) +(\d+) {2}(.*?) {2}\[/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    expect(rows.map((m) => ({ index: Number(m[2]), title: m[3]!.trimEnd() }))).toEqual(fw!.config!.entries.map((e) => ({ index: e.index, title: e.title.trimEnd() })));
    const saved = /^\s*default[\s=]+saved\b/m.test(conf);
    const starred = rows.filter((m) => m[1] === '*').map((m) => Number(m[2]));
    // default=saved: the entry lives in stage2, so no entry is marked (the firmware reads saved word 0 here)
    expect(starred).toEqual(saved ? [] : [fw!.config!.default]);
    expect(r.lines[0]).toMatch(saved ? /default=saved/ : new RegExp(`boots entry ${fw!.config!.default}\\b`));
    // the same text as piped (the terminal adds colour only)
    expect(r.lines).toEqual(screenOf(piped(['grub', 'show', input]).stdout.replace(/\n+$/, '')));
    expect(r.session.colorOf(/^(\*) /)).toBe(saved ? null : 2);
  });

  it.each(scenarios)('grub lint $name: the findings, exit 1 exactly when one is an error', async ({ input }) => {
    const p = piped(['grub', 'lint', input]);
    const r = await runOnTerminal(BUNDLED, ['grub', 'lint', input], { cols: 250 });
    noInternalError(r.text);
    expect(r.lines).toEqual(p.stdout ? screenOf(p.stdout.replace(/\n$/, '')) : []);
    const errors = r.lines.filter((l) => l.startsWith(`${input}:`) && / error: /.test(l));
    expect(r.exitCode).toBe(errors.length ? 1 : 0);
    for (const l of r.lines) expect(l).toMatch(new RegExp(`^${input.replace(/[.]/g, '\\.')}:\\d+: (error|warning|info): `));
    if (errors.length) expect(r.session.colorOf(/:\d+: (error): /)).toBe(1);
  });

  it('grub plan - reads the file from the terminal (typed, then Ctrl-D)', async () => {
    const { TermSession } = await import('./pty.js');
    const s = TermSession.node(BUNDLED, ['grub', 'plan', '-', '--dom0-mem', '1024M'], { cols: 160, rows: 60 });
    try {
      const conf = readFileSync(path.join(GOLDEN, 'fresh-after-yum', 'input.conf'), 'utf8');
      for (const line of conf.replace(/\n$/, '').split('\n')) s.type(line.replace(/\t/g, '    ') + '\r');
      s.type('\x04');
      const e = await s.exit;
      noInternalError(s.text());
      expect(e.exitCode, s.text()).toBe(0);
      expect(s.text()).toMatch(/^--- a\/etc\/grub\.conf$/m);
      expect(s.text()).toMatch(/^\+\s+kernel \/xen\.gz dom0_mem=1024M,max:1024M/m);
    } finally {
      s.dispose();
    }
  });
});
