import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Board, formatDuration } from '../../src/ui/board.js';
import { palette, Ui } from '../../src/ui/io.js';

function fakeUi(tty: boolean, env: NodeJS.ProcessEnv = {}, rows = 40) {
  const err = new PassThrough() as PassThrough & { isTTY?: boolean; rows?: number; columns?: number };
  let text = '';
  err.on('data', (c: Buffer) => (text += c.toString()));
  if (tty) Object.assign(err, { isTTY: true, rows, columns: 120 });
  const ui = new Ui({ stdout: new PassThrough(), stderr: err, env: { NO_COLOR: '1', DOM0UP_LOG_DIR: '/tmp/dom0up-board-test-logs', ...env } });
  return { ui, text: () => text };
}

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `xen${String(i).padStart(3, '0')}`);

describe('Board', () => {
  it('one line per host when the fleet fits the terminal, a summary when it does not', () => {
    const small = new Board(fakeUi(true).ui, hosts(10), { json: false });
    const big = new Board(fakeUi(true).ui, hosts(500), { json: false });
    expect(small.mode).toBe('lines');
    expect(big.mode).toBe('summary');
    expect(new Board(fakeUi(false).ui, hosts(10), { json: false }).mode).toBe('plain');
    expect(new Board(fakeUi(false).ui, hosts(500), { json: false }).mode).toBe('plain-summary');
    expect(new Board(fakeUi(true, { CI: 'true' }).ui, hosts(500), { json: false }).mode).toBe('plain-summary');
    for (const b of [small, big]) b.stop();
  });

  it('summarises 500 hosts in a few lines: counts per state and phase, the slowest hosts, the latest failures', async () => {
    let t = 1_000_000;
    const { ui } = fakeUi(true);
    const b = new Board(ui, hosts(500), { json: false, title: 'apply', now: () => t });
    b.stop(); // no timer: lines are asked for below
    const ev = await Promise.all(hosts(500).slice(0, 120).map((h) => b.events(h, 'run1')));
    ev.forEach((e, i) => e.phase(i < 30 ? 'yum' : 'reboot', 'working'));
    t += 75_000;
    for (let i = 30; i < 100; i++) b.finish(`xen${String(i).padStart(3, '0')}`, true, 'verified');
    ev[5]!.done('yum', 'fail', 'yum install xen failed: Error: Package: xen-runtime requires: seabios\u001b[2J');
    b.finish('xen005', false, 'yum install xen failed');
    b.finish('xen006', false, 'skipped: the failure budget was spent', 'skip');
    const lines = b.summaryLines(palette(false), 120);
    expect(lines[0]).toBe('apply 500 hosts · 70 done · 1 failed · 1 skipped · 48 running (yum 28, reboot 20) · 380 waiting · 1m15s');
    expect(lines[1]).toBe('  slowest: xen000 yum 1m15s · xen001 yum 1m15s · xen002 yum 1m15s');
    // host text is shown through the one escaping function: the escape sequence is visible, inert
    expect(lines[2]).toMatch(/^ {2}✖ xen005 yum: yum install xen failed: Error: Package: xen-runtime requires: seabios\\x1b\[2J$/);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.join('\n')).not.toContain('\u001b');
  });

  it('names the 4 busiest phases, the rest as "other"', async () => {
    const { ui } = fakeUi(true);
    const b = new Board(ui, hosts(500), { json: false, title: 'apply' });
    b.stop();
    const phases = ['yum', 'yum', 'yum', 'reboot', 'reboot', 'repo', 'grub', 'lock', 'facts'];
    for (const [i, ph] of phases.entries()) (await b.events(`xen${String(i).padStart(3, '0')}`, 'r3')).phase(ph, 'x');
    expect(b.summaryLine(palette(false))).toMatch(/ 9 running \(yum 3, reboot 2, \w+ 1, \w+ 1, 2 other\) /);
  });

  it('on a terminal it redraws the same few lines in place', async () => {
    const { ui, text } = fakeUi(true);
    const b = new Board(ui, hosts(500), { json: false, title: 'plan' });
    b.begin('xen001', 'plan');
    await new Promise((r) => setTimeout(r, 1200));
    b.stop();
    const frames = text().split('\u001b[2K').filter((l) => l.startsWith('plan 500 hosts'));
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(text()).toContain('\u001b[2A'); // back up over the two lines drawn before
  });

  it('stop() draws the last state once: a second stop() (e.g. in a finally) does not draw over what came after', () => {
    const { ui, text } = fakeUi(true);
    const b = new Board(ui, hosts(500), { json: false, title: 'plan' });
    b.stop();
    const once = text();
    ui.note('the plans…');
    b.stop();
    expect(text()).toBe(`${once}the plans…\n`);
  });

  it('plain output of a large fleet: a line per finished host and the summary line, not every phase', async () => {
    const { ui, text } = fakeUi(false);
    const b = new Board(ui, hosts(50), { json: false, title: 'apply', plainEveryMs: 50 });
    const e = await b.events('xen001', 'run2');
    e.phase('facts', 'reading');
    e.progress('yum: Installing xen');
    b.finish('xen001', true, 'verified');
    await new Promise((r) => setTimeout(r, 120));
    b.stop();
    const lines = text().trim().split('\n');
    expect(lines.some((l) => /xen001 done — verified$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('facts'))).toBe(false);
    expect(lines.filter((l) => /apply 50 hosts · 1 done/.test(l)).length).toBeGreaterThanOrEqual(2);
  });

  it('plain output of a large plan: only failed hosts and the summary line (the results follow anyway)', async () => {
    const { ui, text } = fakeUi(false, { CI: 'true' });
    const b = new Board(ui, hosts(50), { json: false, title: 'plan', quietPlain: true, plainEveryMs: 50 });
    for (let i = 0; i < 10; i++) b.begin(`xen${String(i).padStart(3, '0')}`, 'plan');
    b.finish('xen001', true, 'changes pending');
    b.finish('xen002', false, 'unknown host key for [127.0.0.12]:2222');
    await new Promise((r) => setTimeout(r, 80));
    b.stop();
    const lines = text().trim().split('\n');
    expect(lines.some((l) => l.includes('xen001'))).toBe(false);
    expect(lines.some((l) => /xen002 FAILED — unknown host key/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^\d\d:\d\d:\d\d plan 50 hosts · 1 done · 1 failed · 8 running \(plan 8\) · 40 waiting · \d+s$/);
  });

  it('formats durations', () => {
    expect([0, 999, 59_000, 61_000, 3_600_000 + 120_000].map(formatDuration)).toEqual(['0s', '1s', '59s', '1m01s', '1h02m']);
  });
});
