// The shipped bin (dist/bin/dom0up.js, bundled by esbuild with an ASCII fast path for
// string-width) behaves exactly like the unbundled build (dist/main.js) — piped, and on a terminal,
// where yargs measures every help line's width (the bundle once recursed there until the stack
// overflowed: exit 70 on every terminal while every piped test passed). `npm test` builds first.
import { expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { BUNDLED as bin, UNBUNDLED as plain, ROOT as root, personEnv, runOnTerminal } from './pty.js';
import { describeTerminal } from './tier.js';

const HELP = [['--help'], ['apply', '--help'], ['grub', '--help'], ['grub', 'plan', '--help'], ['facts', '--help'], ['rollback', '--help']];

describeTerminal('the bundled bin', () => {
  it.each(HELP.map((args) => ({ args })))('$args piped: the same help text as the unbundled build', ({ args }) => {
    const env = { ...process.env, COLUMNS: '100', NO_COLOR: '1' };
    const a = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
    const b = spawnSync(process.execPath, [plain, ...args], { env, encoding: 'utf8' });
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/Exit codes:/);
  });

  it.each(HELP.flatMap((args) => [80, 132].map((cols) => ({ args, cols }))))('$args on a $cols-column terminal: the same screen as the unbundled build, exit 0', async ({ args, cols }) => {
    const a = await runOnTerminal(bin, args, { cols, rows: 40 });
    const b = await runOnTerminal(plain, args, { cols, rows: 40 });
    expect(a.text).not.toMatch(/dom0up: internal error|RangeError|Maximum call stack/);
    expect(a.exitCode, a.text).toBe(0);
    expect(b.exitCode, b.text).toBe(0);
    expect(a.lines).toEqual(b.lines);
    expect(a.text).toMatch(/Exit codes:/);
  });

  it('runs grub plan and exits with the right code', () => {
    const out = execFileSync(process.execPath, [bin, 'grub', 'plan', root + 'golden/fresh-after-yum/input.conf', '--dom0-mem', '1024M'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toMatch(/^--- a\/etc\/grub\.conf$/m);
    const r = spawnSync(process.execPath, [bin, 'grub', 'plan', root + 'golden/fresh-after-yum/input.conf', '--dom0-mem', '1024'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^dom0up: error: .*KiB/m);
  });

  it.each([
    { args: ['grub', 'plan', 'golden/seed-centos610/input.conf', '--dom0-mem', '1024M', '--xen-arg', 'cpufreq=xen'] },
    { args: ['grub', 'show', 'golden/seed-centos610/input.conf'] },
    { args: ['grub', 'lint', 'golden/seed-centos610/input.conf'] },
    { args: ['grub', 'plan', 'golden/fresh-after-yum/input.conf', '--dom0-mem', '1024'] },
  ])('$args on a terminal, in colour: the same screen, colours and exit code as the unbundled build', async ({ args }) => {
    const env = personEnv();
    const a = await runOnTerminal(bin, args, { cols: 120, env });
    const b = await runOnTerminal(plain, args, { cols: 120, env });
    expect(a.text).not.toMatch(/dom0up: internal error/);
    expect(a.exitCode).toBe(b.exitCode);
    expect(a.lines).toEqual(b.lines);
    // byte for byte, escape sequences included
    expect(a.session.bytes).toBe(b.session.bytes);
  });
});
