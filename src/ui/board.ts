/**
 * Progress for many hosts, readable from 2 hosts to 500 and more:
 * - on a terminal, a fleet that fits the screen: one line per host (host, phase, latest text),
 *   redrawn in place;
 * - on a terminal, a larger fleet: a few summary lines redrawn in place — counts per state and per
 *   phase, the slowest hosts still running (with their phase and time), the latest failures;
 * - elsewhere (CI, pipes, --json): plain timestamped lines on stderr. Small fleets get every
 *   host's phases (as before); larger ones get one line per finished or failed host (plan, facts
 *   and verify: per failed host) and the summary line every 10 s, instead of a dozen lines per host.
 * Every host also gets its own log file with everything.
 */
import type { ProvisionEvents } from '../apply/provision.js';
import { createProgress } from './progress.js';
import { visible } from './escape.js';
import type { Palette, Ui } from './io.js';

type State = 'wait' | 'run' | 'ok' | 'fail' | 'skip';

interface Line {
  host: string;
  text: string;
  state: State;
  /** The phase it is in (facts, yum, reboot, …). */
  phase: string;
  startedAt: number | null;
  endedAt: number | null;
}

export type BoardMode = 'lines' | 'summary' | 'plain' | 'plain-summary';

export interface BoardOptions {
  json: boolean;
  /** What the hosts are doing, for the summary line ("apply", "plan", …). */
  title?: string;
  /** Plain (non-terminal) output: a summary line this often (ms); default 10 s. */
  plainEveryMs?: number;
  /** Fleets larger than this get the summary instead of per-host lines (default: what fits the terminal; 20 when plain). */
  maxLines?: number;
  /** Plain output for a small fleet: nothing (the command prints its results at the end anyway). */
  quietPlain?: boolean;
  now?: () => number;
}

/** Host text (yum output, error messages) must not move the cursor of a board redrawn in place. */
/** A host's name or text on the board: through the one escaping function (src/ui/escape.ts). */
function clean(text: string): string {
  return visible(text);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class Board {
  private lines = new Map<string, Line>();
  private order: string[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly started: number;
  private readonly now: () => number;
  private failures: string[] = [];
  private stopped = false;
  readonly live: boolean;
  readonly mode: BoardMode;

  constructor(private readonly ui: Ui, hosts: string[], private readonly opts: BoardOptions) {
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.live = !opts.json && this.ui.streams.stderr.isTTY === true && !this.ui.streams.env.CI;
    for (const h of hosts) {
      this.order.push(h);
      this.lines.set(h, { host: h, text: 'waiting', state: 'wait', phase: '', startedAt: null, endedAt: null });
    }
    const rows = (this.ui.streams.stderr as { rows?: number }).rows ?? 24;
    const fits = opts.maxLines ?? (this.live ? Math.max(3, rows - 3) : 20);
    this.mode = this.live ? (hosts.length <= fits ? 'lines' : 'summary') : hosts.length <= fits ? 'plain' : 'plain-summary';
    if (this.live) this.timer = setInterval(() => this.draw(), this.mode === 'summary' ? 500 : 150);
    else if (this.mode === 'plain-summary') this.timer = setInterval(() => this.ui.note(`${this.stamp()} ${this.summaryLine(this.ui.err)}`), opts.plainEveryMs ?? 10_000);
    this.timer?.unref?.();
  }

  private stamp(): string {
    return new Date(this.now()).toISOString().slice(11, 19);
  }

  private set(host: string, patch: Partial<Line>): void {
    const l = this.lines.get(host);
    if (!l) return;
    Object.assign(l, patch);
    if (l.state === 'run' && l.startedAt === null) l.startedAt = this.now();
  }

  /** The provisioning events of one host (apply, tune): they drive its line and its log file. */
  async events(host: string, runId: string): Promise<ProvisionEvents & { logPath: string; stop(): void }> {
    const base = await createProgress(this.ui, host, runId, { spinner: false, prefixHost: true });
    if (this.mode === 'plain') return base;
    const quiet = this.mode === 'plain-summary';
    return {
      logPath: base.logPath,
      phase: (id, text) => {
        this.set(host, { state: 'run', phase: id, text: `${id}: ${text}` });
        if (quiet) base.log(`${new Date(this.now()).toISOString()} ${id}: ${text}\n`);
      },
      progress: (text) => {
        this.set(host, { state: 'run', text });
        if (quiet) base.log(`${new Date(this.now()).toISOString()}   ${text}\n`);
      },
      done: (id, status, text) => {
        this.set(host, { state: status === 'fail' ? 'fail' : 'run', text: `${id}: ${status === 'ok' ? 'done' : status === 'skip' ? 'skipped' : 'FAILED'} — ${text}` });
        if (quiet) base.log(`${new Date(this.now()).toISOString()} ${id}: ${status}: ${text}\n`);
        if (status === 'fail') this.failed(host, `${id}: ${text}`);
      },
      log: (t) => base.log(t),
      stop: () => base.stop(),
    };
  }

  /** A host starts working (for commands without provisioning events: facts, plan, verify). */
  begin(host: string, phase: string): void {
    this.set(host, { state: 'run', phase, text: phase, startedAt: this.now() });
    if (this.mode === 'plain' && !this.opts.quietPlain) this.ui.note(`${this.stamp()} ${clean(host)} ${phase}`);
  }

  finish(host: string, ok: boolean, text: string, state?: State): void {
    const l = this.lines.get(host);
    if (!l || l.state === 'ok' || l.state === 'fail' || l.state === 'skip') {
      if (l) l.text = text;
      return;
    }
    const st: State = state ?? (ok ? 'ok' : 'fail');
    this.set(host, { state: st, text, endedAt: this.now() });
    if (st === 'fail') this.failed(host, text);
    // plan/facts/verify (quietPlain) print every host's result at the end anyway: only failures here
    const quietOk = this.opts.quietPlain && st === 'ok';
    if ((this.mode === 'plain' && !this.opts.quietPlain) || (this.mode === 'plain-summary' && !quietOk)) {
      const p = this.ui.err;
      this.ui.note(`${this.stamp()} ${clean(host)} ${st === 'ok' ? p.green('done') : st === 'skip' ? p.yellow('skipped') : p.red('FAILED')} — ${clean(text)}`);
    }
  }

  private failed(host: string, text: string): void {
    this.failures.push(`${clean(host)} ${clean(text)}`);
    if (this.failures.length > 3) this.failures.shift();
  }

  private count(st: State): number {
    let n = 0;
    for (const l of this.lines.values()) if (l.state === st) n++;
    return n;
  }

  /** "apply 500 hosts · 412 done · 3 failed · 60 running (yum 31, reboot 20, verify 9) · 25 waiting · 1m32s" */
  summaryLine(p: Palette): string {
    const running = [...this.lines.values()].filter((l) => l.state === 'run');
    const phases = new Map<string, number>();
    for (const l of running) phases.set(l.phase || 'starting', (phases.get(l.phase || 'starting') ?? 0) + 1);
    // the 4 busiest phases (the line must fit a terminal; 12 phases of an apply would not)
    const sorted = [...phases].sort((a, b) => b[1] - a[1]);
    const byPhase = [...sorted.slice(0, 4).map(([ph, n]) => `${ph} ${n}`), ...(sorted.length > 4 ? [`${sorted.slice(4).reduce((t, [, n]) => t + n, 0)} other`] : [])].join(', ');
    const parts = [
      `${this.opts.title ? `${this.opts.title} ` : ''}${this.order.length} hosts`,
      p.green(`${this.count('ok')} done`),
      this.count('fail') ? p.red(`${this.count('fail')} failed`) : '0 failed',
      ...(this.count('skip') ? [p.yellow(`${this.count('skip')} skipped`)] : []),
      `${running.length} running${byPhase ? ` (${byPhase})` : ''}`,
      `${this.count('wait')} waiting`,
      formatDuration(this.now() - this.started),
    ];
    return parts.join(' · ');
  }

  /** The hosts running longest: "xen017 yum 1m10s" … */
  slowest(n = 3): string[] {
    const t = this.now();
    return [...this.lines.values()]
      .filter((l) => l.state === 'run' && l.startedAt !== null)
      .sort((a, b) => (a.startedAt as number) - (b.startedAt as number))
      .slice(0, n)
      .map((l) => `${clean(l.host)} ${l.phase || 'starting'} ${formatDuration(t - (l.startedAt as number))}`);
  }

  /** What the summary mode draws (also used by tests). */
  summaryLines(p: Palette, cols = 100): string[] {
    const out = [this.summaryLine(p)];
    const slow = this.slowest();
    if (slow.length) out.push(p.dim(`  slowest: ${slow.join(' · ')}`));
    for (const f of this.failures) out.push(`  ${p.red('✖')} ${f}`);
    return out.map((l) => l.slice(0, Math.max(20, cols - 1)));
  }

  private draw(): void {
    const p = this.ui.err;
    const rows = Math.max(5, ((this.ui.streams.stderr as { rows?: number }).rows ?? 24) - 2);
    const cols = (this.ui.streams.stderr as { columns?: number }).columns || 100;
    let out: string[];
    if (this.mode === 'summary') out = this.summaryLines(p, cols);
    else {
      const width = Math.min(32, Math.max(...this.order.map((h) => h.length)));
      const visible = this.order.slice(0, rows - 1);
      out = [];
      for (const h of visible) {
        const l = this.lines.get(h)!;
        const mark = l.state === 'ok' ? p.green('✔') : l.state === 'fail' ? p.red('✖') : l.state === 'wait' ? p.dim('·') : l.state === 'skip' ? p.yellow('–') : p.cyan('›');
        out.push(`${mark} ${clean(h).padEnd(width)} ${clean(l.text)}`.slice(0, cols - 1));
      }
      if (this.order.length > visible.length) out.push(p.dim(`  … ${this.summaryLine(p)}`));
    }
    let s = this.drawn ? `\u001b[${this.drawn}A` : '';
    s += out.map((l) => `\u001b[2K${l}`).join('\n') + '\n';
    // a shorter board than last time: clear what is left below
    for (let i = out.length; i < this.drawn; i++) s += '\u001b[2K\n';
    if (this.drawn > out.length) s += `\u001b[${this.drawn - out.length}A`;
    this.drawn = out.length;
    this.ui.streams.stderr.write(s);
  }

  /** Draw again after stop() (e.g. once the plans were confirmed). */
  resume(): void {
    if (this.timer) return;
    this.stopped = false;
    this.drawn = 0;
    if (this.live) this.timer = setInterval(() => this.draw(), this.mode === 'summary' ? 500 : 150);
    else if (this.mode === 'plain-summary') this.timer = setInterval(() => this.ui.note(`${this.stamp()} ${this.summaryLine(this.ui.err)}`), this.opts.plainEveryMs ?? 10_000);
    this.timer?.unref?.();
  }

  /** Stop redrawing; the last state is drawn once (a second stop() draws nothing). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.live) this.draw();
    else if (this.mode === 'plain-summary') this.ui.note(`${this.stamp()} ${this.summaryLine(this.ui.err)}`);
  }
}
