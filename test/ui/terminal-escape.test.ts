// Host text never reaches a terminal unescaped: a grub.conf title holding ESC ] 0 ; … BEL (set the
// terminal title) and ESC [ 1 A ESC [ 2 K (cursor up, erase the line) — and the same in any fact, in
// yum's output, in an error — is shown with visible escapes. A diff written to a pipe stays byte-exact
// (git apply still takes it); --json stays exact.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { run, reportError } from '../../src/cli.js';
import { Ui } from '../../src/ui/io.js';
import { visible } from '../../src/ui/escape.js';
import { renderChecks, renderFacts, renderPlan, renderReport } from '../../src/ui/render-remote.js';
import { renderFleetSummary } from '../../src/ui/render-fleet.js';
import { createProgress } from '../../src/ui/progress.js';
import { RemoteError } from '../../src/errors.js';
import { readHostFacts, type HostReport } from '../../src/apply/provision.js';
import { makePlan } from '../../src/plan/make-plan.js';
import { verifyRunning } from '../../src/commands/remote.js';
import type { HostFacts } from '../../src/facts/index.js';
import { ReplayHost } from '../hostile/session.js';
import { recordedFacts, session } from '../hostile/recordings.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'dom0up-esc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const EVIL = '\u001b]0;pwned\u0007\u001b[1A\u001b[2K';
/** Characters that act on a terminal (ESC only as the UI's own colour codes; TAB and LF are fine). */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/;
function expectTerminalSafe(out: string, what: string): void {
  // the UI's own colour codes, and CRLF line endings (a CR right before a LF moves nothing) are fine
  const rest = out.replace(/\u001b\[(?:1|2|22|31|32|33|36|39)m/g, '').replace(/\r\n/g, '\n');
  const m = ACTIVE.exec(rest);
  expect(m ? `${what}: ${JSON.stringify(rest.slice(Math.max(0, m.index - 30), m.index + 30))}` : null).toBeNull();
}

function streams(tty: boolean) {
  const mk = () => {
    const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
    if (tty) {
      s.isTTY = true;
      s.columns = 100;
      // what ora needs of a TTY stream
      Object.assign(s, { cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
    }
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    return { s, text: () => Buffer.concat(chunks) };
  };
  const out = mk();
  const err = mk();
  return { io: { stdout: out.s, stderr: err.s, env: { CI: '1' } as NodeJS.ProcessEnv }, out: out.text, err: () => err.text().toString('utf8') };
}

const parseTitle = (text: string) => /^title ([^\n]*)$/m.exec(text)![1]!;
const CONF = `default=0\ntimeout=5\ntitle CentOS ${EVIL}(4.9.241-37.el6.x86_64)\n\troot (hd0,0)\n\tkernel /vmlinuz-4.9.241-37.el6.x86_64 ro root=/dev/sda2\n\tinitrd /initramfs-4.9.241-37.el6.x86_64.img\n`;

describe('visible()', () => {
  it('shows control characters as escapes and keeps the rest', () => {
    expect(visible(EVIL)).toBe('\\x1b]0;pwned\\x07\\x1b[1A\\x1b[2K');
    expect(visible('a\r\nb\tc\u009bd\u202ee\u0000')).toBe('a\\r\\nb\\tc\\x9bd\\u202ee\\x00');
    expect(visible('a\rb\r\nc\td\r', { multiline: true })).toBe('a\\rb\r\nc\td\\r');
    expect(visible('CentOS (4.9) é ü 日本')).toBe('CentOS (4.9) é ü 日本');
    expect(visible('\u001b[31mred\u001b[39m\u001b[8m', { keepOwnColours: true })).toBe('\u001b[31mred\u001b[39m\\x1b[8m');
  });
});

describe('grub commands', () => {
  const file = path.join(tmp, 'evil.conf');
  writeFileSync(file, CONF);

  it('grub show and lint: titles shown with visible escapes', async () => {
    for (const args of [['grub', 'show', file], ['grub', 'lint', file], ['grub', 'plan', file, '--keep-plain']]) {
      for (const tty of [false, true]) {
        const s = streams(tty);
        await run(args, s.io);
        expectTerminalSafe(s.err(), `${args.join(' ')} stderr (tty ${tty})`);
        if (args[1] !== 'plan' || tty) expectTerminalSafe(s.out().toString('utf8'), `${args.join(' ')} stdout (tty ${tty})`);
      }
    }
    const s = streams(false);
    await run(['grub', 'show', file], s.io);
    expect(s.out().toString('utf8')).toContain('CentOS \\x1b]0;pwned\\x07\\x1b[1A\\x1b[2K(4.9.241');
  });

  it('grub plan: escaped on a terminal, byte-exact into a pipe (git apply takes it)', async () => {
    const tty = streams(true);
    expect(await run(['grub', 'plan', file, '--keep-plain'], tty.io)).toBe(0);
    expect(tty.out().toString('utf8')).toContain('+title CentOS \\x1b]0;pwned');
    const pipe = streams(false);
    expect(await run(['grub', 'plan', file, '--keep-plain'], pipe.io)).toBe(0);
    const diff = pipe.out();
    expect(diff.includes(Buffer.from(EVIL))).toBe(true);
    const applied = streams(false);
    await run(['grub', 'apply', file, '--keep-plain', '-o', '-'], applied.io);
    const work = path.join(tmp, 'git');
    mkdirSync(path.join(work, 'etc'), { recursive: true });
    writeFileSync(path.join(work, 'etc/grub.conf'), CONF);
    writeFileSync(path.join(work, 'p.diff'), diff);
    execFileSync('git', ['apply', '--unsafe-paths', '--whitespace=nowarn', 'p.diff'], { cwd: work });
    expect(readFileSync(path.join(work, 'etc/grub.conf')).equals(applied.out())).toBe(true);
    // apply -o - to a terminal shows the file escaped, into a pipe the bytes
    const onTty = streams(true);
    await run(['grub', 'apply', file, '--keep-plain', '-o', '-'], onTty.io);
    expectTerminalSafe(onTty.out().toString('utf8'), 'apply -o - on a tty');
  });

  it('--json stays exact (and C1 controls, which JSON leaves raw, are \\u escapes)', async () => {
    const c1 = path.join(tmp, 'c1.conf');
    writeFileSync(c1, CONF.replace('CentOS ', 'CentOS \u009b2J\u2028'));
    for (const f of [file, c1]) {
      const s = streams(true);
      await run(['grub', 'show', f, '--json'], s.io);
      const v = JSON.parse(s.out().toString('utf8')) as { entries: { title: string }[] };
      expect(v.entries[0]!.title).toBe(parseTitle(readFileSync(f, 'utf8')));
      expectTerminalSafe(s.out().toString('utf8'), 'json');
    }
  });
});

describe('remote output', () => {
  async function hostileFacts(text: string): Promise<{ facts: HostFacts; xen: HostFacts }> {
    const facts = await recordedFacts('apply-fresh', 'after-yum'); // a plan with a grub.conf diff
    const xen = await recordedFacts('tune-xen');
    for (const f of [facts, xen]) {
      f.os.text = `CentOS release 6.10 ${text}`;
      f.kernel.bootId = text;
      f.grub.text = f.grub.text!.replace(/^title (.*)$/gm, `title $1${text}`);
      f.grub.links = [`/etc/grub.conf -> ${text}`];
      f.boot.kernels = [...f.boot.kernels, `4.9${text}`];
      f.files.repos = [{ path: `/etc/yum.repos.d/${text}.repo`, text: '' }];
      f.state.lock = { runId: text, controller: text, pid: 1, startedAt: text, command: text };
    }
    return { facts, xen };
  }

  it('facts, plan, checks, report and the fleet summary escape every host text', async () => {
    const values = fc.string({ unit: fc.constantFrom('a', ' ', '\u001b', '[', ']', ';', '\u0007', '\r', '\n', '\u009b', '\u202e', '\u0000', 'é'), minLength: 1, maxLength: 12 });
    for (const text of [EVIL, ...fc.sample(values, { numRuns: 20, seed: 4 })]) {
      const { facts, xen } = await hostileFacts(text);
      for (const tty of [true, false]) {
        const p = new Ui(streams(tty).io, tty).out;
        expectTerminalSafe(renderFacts(`root@${text}`, facts, p), 'renderFacts');
        expectTerminalSafe(renderFacts('h', xen, p), 'renderFacts (xen)');
        const plan = makePlan(facts, { keepPlain: true }, 'apply', `root@${text}`);
        expectTerminalSafe(renderPlan(plan, p), 'renderPlan');
        const vt = new ReplayHost(session('verify-xen')).connect();
        const vf = await readHostFacts(vt, 'verify', { waitForXlS: 30 });
        const { rep } = await verifyRunning(vt, vf, {});
        rep.checks[0]!.actual = text;
        rep.checks[1]!.detail = text;
        expectTerminalSafe(renderChecks(rep, p), 'renderChecks');
        const report = { target: text, runId: 'r', outcome: 'failed', ok: false, plan, planAfterInstall: null, steps: [], reboot: { oldBootId: text, newBootId: text, totalMs: 1, detectMs: 1, attempts: 1 }, verify: rep, backups: [text], deviations: [text], journal: text, message: text, durationMs: 1, roundTrips: 1 } as unknown as HostReport;
        expectTerminalSafe(renderReport(report, p), 'renderReport');
        expectTerminalSafe(renderFleetSummary([{ target: { name: text, destination: text, ssh: {}, req: {}, notes: [] }, display: text, outcome: 'failed', ok: false, plan: null, report, message: text, durationMs: 1, logPath: null }], p), 'renderFleetSummary');
      }
    }
  });

  it('errors: message, detail (yum output) and hint', async () => {
    const s = streams(true);
    reportError(new Ui(s.io), new RemoteError(`root@h${EVIL}`, 'yum', `yum install xen failed ${EVIL}`, `hint ${EVIL}`, 1, `Loaded plugins\n${EVIL}\nError: x`));
    expectTerminalSafe(s.err(), 'reportError');
    expect(s.err()).toContain('Loaded plugins\n\\x1b]0;pwned');
  });

  it('progress lines, the spinner and the log file', async () => {
    for (const tty of [false, true]) {
      const s = streams(tty);
      const dir = path.join(tmp, `logs-${tty}`);
      const ev = await createProgress(new Ui({ ...s.io, env: { DOM0UP_LOG_DIR: dir, ...(tty ? {} : { CI: '1' }) } }), `root@h${EVIL}`, 'r1', { spinner: tty });
      ev.phase('yum', `yum ${EVIL}`);
      ev.log(`Installing : xen ${EVIL}\n`);
      ev.progress(`Installing : xen ${EVIL}`);
      ev.progress(`other ${EVIL}`);
      ev.done('yum', 'fail', `failed ${EVIL}`);
      ev.stop();
      // the spinner (ora) writes its own cursor codes; the host text in it must be escaped
      if (tty) for (const raw of ['\u001b]0;', '\u0007', '\u001b[1A']) expect(s.err()).not.toContain(raw);
      else expectTerminalSafe(s.err(), 'progress lines');
      expect(s.err()).toContain('\\x1b]0;pwned');
      expectTerminalSafe(readFileSync(ev.logPath, 'utf8'), 'log file');
    }
  });
});
