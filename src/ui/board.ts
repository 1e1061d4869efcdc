/**
 * Progress for many hosts. On a TTY: one line per host (host, phase, latest text), redrawn in
 * place — not many concurrent spinners. Otherwise: plain timestamped per-host lines (CI).
 * Every host also gets its own log file.
 */
import type { ProvisionEvents } from '../apply/provision.js';
import { createProgress } from './progress.js';
import type { Ui } from './io.js';
import { visible } from './escape.js';

interface Line {
  host: string;
  text: string;
  state: 'wait' | 'run' | 'ok' | 'fail' | 'skip';
}

export class Board {
  private lines = new Map<string, Line>();
  private order: string[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly live: boolean;
  constructor(private readonly ui: Ui, hosts: string[], opts: { json: boolean }) {
    this.live = !opts.json && this.ui.streams.stderr.isTTY === true && !this.ui.streams.env.CI;
    for (const h of hosts) {
      this.order.push(visible(h));
      this.lines.set(visible(h), { host: visible(h), text: 'waiting', state: 'wait' });
    }
    if (this.live) this.timer = setInterval(() => this.draw(), 150);
  }

  async events(host: string, runId: string): Promise<ProvisionEvents & { logPath: string; stop(): void }> {
    const base = await createProgress(this.ui, host, runId, { spinner: false, prefixHost: true });
    if (!this.live) return base;
    const set = (text: string, state: Line['state']) => {
      const l = this.lines.get(visible(host));
      if (l) {
        l.text = visible(text);
        l.state = state;
      }
    };
    return {
      logPath: base.logPath,
      phase: (id, text) => set(`${id}: ${text}`, 'run'),
      progress: (text) => set(text, 'run'),
      done: (id, status, text) => set(`${id}: ${status === 'ok' ? 'done' : status === 'skip' ? 'skipped' : 'FAILED'} — ${text}`, status === 'fail' ? 'fail' : 'run'),
      log: (t) => base.log(t),
      stop: () => base.stop(),
    };
  }

  finish(host: string, ok: boolean, text: string): void {
    const l = this.lines.get(visible(host));
    if (l) {
      l.state = ok ? 'ok' : 'fail';
      l.text = visible(text);
    }
  }

  private draw(): void {
    const p = this.ui.err;
    const rows = Math.max(5, ((this.ui.streams.stderr as { rows?: number }).rows ?? 24) - 2);
    const cols = (this.ui.streams.stderr as { columns?: number }).columns ?? 100;
    const width = Math.min(32, Math.max(...this.order.map((h) => h.length)));
    const visible = this.order.slice(0, rows - 1);
    const out: string[] = [];
    // cut the plain text to the width, then colour it (cutting coloured text could split an escape sequence)
    const fit = (s: string) => [...s].slice(0, Math.max(1, cols - 1)).join('');
    for (const h of visible) {
      const l = this.lines.get(h)!;
      const mark = l.state === 'ok' ? p.green('✔') : l.state === 'fail' ? p.red('✖') : l.state === 'wait' ? p.dim('·') : p.cyan('›');
      out.push(`${mark}${fit(`  ${h.padEnd(width)} ${l.text}`).slice(1)}`);
    }
    if (this.order.length > visible.length) {
      const rest = this.order.slice(visible.length).map((h) => this.lines.get(h)!);
      out.push(p.dim(fit(`  … ${rest.length} more: ${rest.filter((l) => l.state === 'run').length} running, ${rest.filter((l) => l.state === 'ok').length} done, ${rest.filter((l) => l.state === 'fail').length} failed`)));
    }
    let s = this.drawn ? `\u001b[${this.drawn}A` : '';
    s += out.map((l) => `\u001b[2K${l}`).join('\n') + '\n';
    this.drawn = out.length;
    this.ui.streams.stderr.write(s);
  }

  /** Draws the board once more and stops redrawing it; what is printed next goes below it. */
  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.live && !this.stopped) this.draw();
    // the cursor is below the board now: later output must not be overwritten by a redraw
    this.drawn = 0;
  }

  /** Redraws the board in place again (below whatever was printed while it was paused). */
  resume(): void {
    if (this.live && !this.stopped && !this.timer) this.timer = setInterval(() => this.draw(), 150);
  }

  /** The final drawing; the board is done. */
  stop(): void {
    this.pause();
    this.stopped = true;
  }
}
