// The terminal tier's harness: runs a program on a real pseudo-terminal (node-pty, prebuilt
// binaries from @lydell/node-pty) and renders everything it writes with a real terminal emulator
// (@xterm/headless, the emulator of VS Code's terminal), so tests judge what a person would see:
// erased spinner frames are gone, cursor movements are applied, long lines wrap at the width.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IPty } from '@lydell/node-pty';
import type { Terminal as XTerm } from '@xterm/headless';

const require = createRequire(import.meta.url);
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The shipped bin (esbuild bundle) and the plain tsc build of the same sources. */
export const BUNDLED = path.join(ROOT, 'dist', 'bin', 'dom0up.js');
export const UNBUNDLED = path.join(ROOT, 'dist', 'main.js');

/** The braille frames of ora's default spinner ("dots"). */
export const SPINNER_FRAMES = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

type PtyModule = typeof import('@lydell/node-pty');
type XTermModule = typeof import('@xterm/headless');

let loaded: { pty: PtyModule; xterm: XTermModule } | string | undefined;

function load(): { pty: PtyModule; xterm: XTermModule } | string {
  if (loaded !== undefined) return loaded;
  const forced = (process.env.DOM0UP_MACHINE_MISSING ?? '').split(',').map((s) => s.trim());
  if (forced.includes('pty')) {
    loaded = 'no pseudo-terminal (simulated: DOM0UP_MACHINE_MISSING=pty); the tier needs @lydell/node-pty (a devDependency: npm ci) with a prebuilt binary for this platform, and /dev/ptmx with devpts';
    return loaded;
  }
  let pty: PtyModule;
  try {
    pty = require('@lydell/node-pty') as PtyModule;
  } catch (e) {
    loaded = `cannot load @lydell/node-pty (${(e as Error).message.split('\n')[0]}): run npm ci; it has prebuilt binaries for linux/darwin/win32 on x64/arm64 only (${process.platform}-${process.arch} here)`;
    return loaded;
  }
  let xterm: XTermModule;
  try {
    xterm = require('@xterm/headless') as XTermModule;
  } catch (e) {
    loaded = `cannot load @xterm/headless (${(e as Error).message.split('\n')[0]}): run npm ci`;
    return loaded;
  }
  loaded = { pty, xterm };
  return loaded;
}

/** null when programs can be run on a pseudo-terminal here, else why not and how to get it. */
export async function ptyUnavailableReason(): Promise<string | null> {
  const m = load();
  if (typeof m === 'string') return m;
  // a real round trip: a child on the terminal sees a TTY and its output comes back
  try {
    const s = TermSession.spawn(process.execPath, ['-e', 'process.stdout.write(String(process.stdout.isTTY && process.stdin.isTTY))'], { cols: 40, rows: 5 });
    let timer: NodeJS.Timeout | undefined;
    let exitCode: number;
    let text: string;
    try {
      ({ exitCode } = await Promise.race([s.exit, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('no exit within 20 s')), 20_000)))]));
      await s.settled();
      text = s.text();
    } finally {
      clearTimeout(timer);
      s.dispose();
    }
    if (exitCode !== 0 || !text.includes('true')) return `a program on the pseudo-terminal did not see a terminal (exit ${exitCode}, screen "${text}"): /dev/ptmx and a devpts mount (/dev/pts) are needed`;
  } catch (e) {
    return `cannot open a pseudo-terminal: ${(e as Error).message.split('\n')[0]} (needs /dev/ptmx and a devpts mount at /dev/pts)`;
  }
  return null;
}

/** The environment of a person's shell: a UTF-8 xterm, no CI variable (CI turns prompts and spinners off). */
export function personEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    USER: process.env.USER ?? 'root',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface SpawnOptions {
  cols?: number;
  rows?: number;
  /** the whole environment of the child (default: personEnv()) */
  env?: Record<string, string>;
  cwd?: string;
  /** the terminal reports no size (0×0), as a pseudo-terminal made by `script` or `ssh -t` from a pipe
   *  does: the program is started through `stty cols 0 rows 0`; the emulator still renders at cols×rows */
  unknownSize?: boolean;
}

export interface Exit {
  exitCode: number;
  /** the signal that ended the process, 0 if none */
  signal: number;
}

/** One program on a pseudo-terminal, its output rendered by a terminal emulator. */
export class TermSession {
  readonly term: XTerm;
  private readonly pty: IPty;
  private raw = '';
  private pending = 0;
  private idle: (() => void)[] = [];
  private watchers = new Set<() => void>();
  readonly exit: Promise<Exit>;
  exited: Exit | null = null;

  private constructor(file: string, args: string[], o: SpawnOptions) {
    const m = load();
    if (typeof m === 'string') throw new Error(m);
    const cols = o.cols ?? 100;
    const rows = o.rows ?? 30;
    this.term = new m.xterm.Terminal({ cols, rows, scrollback: 50_000, allowProposedApi: true, convertEol: false });
    const [f, a] = o.unknownSize ? ['/bin/sh', ['-c', 'stty cols 0 rows 0 && exec "$0" "$@"', file, ...args]] : [file, args];
    this.pty = m.pty.spawn(f, a, { name: 'xterm-256color', cols, rows, cwd: o.cwd ?? ROOT, env: o.env ?? personEnv() });
    this.pty.onData((d) => {
      this.raw += d;
      this.pending++;
      this.term.write(d, () => {
        this.pending--;
        for (const w of [...this.watchers]) w();
        if (this.pending === 0) for (const f of this.idle.splice(0)) f();
      });
    });
    this.exit = new Promise<Exit>((resolve) =>
      this.pty.onExit((e) => {
        this.exited = { exitCode: e.exitCode, signal: e.signal ?? 0 };
        // the last bytes may still be on their way from the pty: give them a moment, then parse them
        setTimeout(() => void this.settled().then(() => resolve(this.exited!)), 100);
      }),
    );
  }

  static spawn(file: string, args: string[], o: SpawnOptions = {}): TermSession {
    return new TermSession(file, args, o);
  }

  /** node BIN ARGS on a terminal. */
  static node(bin: string, args: string[], o: SpawnOptions = {}): TermSession {
    if (!existsSync(bin)) throw new Error(`${bin} does not exist: run npm run build`);
    return new TermSession(process.execPath, [bin, ...args], o);
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** Everything the program wrote, escape sequences and all. */
  get bytes(): string {
    return this.raw;
  }

  /** Resolves once every byte received so far has been parsed by the emulator. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Types text as a person would (\r is Enter, \x03 is Ctrl-C). */
  type(text: string): void {
    this.pty.write(text);
  }

  ctrlC(): void {
    this.pty.write('\x03');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exited) return;
    try {
      this.pty.kill(signal);
    } catch {
      /* gone */
    }
  }

  /** The whole screen, scrollback included, as logical lines: rows the terminal wrapped are joined,
   *  trailing blanks of each line and empty lines at the end are dropped. */
  lines(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) {
      const l = b.getLine(i);
      if (!l) continue;
      const s = l.translateToString(true);
      if (l.isWrapped && out.length) out[out.length - 1] += s;
      else out.push(s);
    }
    while (out.length && out[out.length - 1]!.trim() === '') out.pop();
    return out.map((s) => s.replace(/\s+$/, ''));
  }

  /** Logical lines the terminal had to wrap because they were wider than the screen. */
  wrappedLines(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 1; i < b.length; i++) {
      const l = b.getLine(i);
      if (l?.isWrapped) out.push(`${b.getLine(i - 1)?.translateToString(true) ?? ''}⏎${l.translateToString(true)}`);
    }
    return out;
  }

  /** The rows visible right now (the viewport), as the terminal shows them. */
  viewport(): string[] {
    const b = this.term.buffer.active;
    const rows: string[] = [];
    for (let i = b.viewportY; i < b.viewportY + this.term.rows; i++) rows.push(b.getLine(i)?.translateToString(true).replace(/\s+$/, '') ?? '');
    return rows;
  }

  text(): string {
    return this.lines().join('\n');
  }

  /** The foreground colour where re first matches on the screen (the first character of the match, or
   *  of its first capture group): 'default', a palette index (0-255: 1 red, 2 green, 3 yellow, 6 cyan), or 'rgb'. */
  colorOf(re: RegExp): string | number | null {
    const b = this.term.buffer.active;
    const cols = this.term.cols;
    for (let i = 0; i < b.length; i++) {
      const first = b.getLine(i);
      if (!first || first.isWrapped) continue;
      // the logical line: this row and the rows the terminal wrapped it onto
      const rows = [first];
      for (let j = i + 1; j < b.length && b.getLine(j)?.isWrapped; j++) rows.push(b.getLine(j)!);
      const text = rows.map((r) => r.translateToString(false)).join('');
      const m = re.exec(text);
      if (!m) continue;
      const at = m.index + (m[1] !== undefined ? m[0].indexOf(m[1]) : 0);
      const c = rows[Math.floor(at / cols)]?.getCell(at % cols);
      if (!c) return null;
      if (c.isFgDefault()) return 'default';
      if (c.isFgPalette()) return c.getFgColor();
      return 'rgb';
    }
    return null;
  }

  /** Calls fn after every chunk the emulator has parsed (e.g. to catch a spinner frame while it is shown). */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Waits until the screen (whole buffer, logical lines) matches; returns the match. */
  async waitFor(pattern: RegExp | string, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.settled();
      const m = this.text().match(re);
      if (m) return m;
      if (this.exited) {
        await new Promise((r) => setTimeout(r, 300));
        await this.settled();
        const again = this.text().match(re);
        if (again) return again;
        throw new Error(`the program exited (${JSON.stringify(this.exited)}) and the screen never showed ${re}:\n${this.text()}`);
      }
      if (Date.now() > deadline) throw new Error(`the screen did not show ${re} within ${timeoutMs} ms:\n${this.text()}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  dispose(): void {
    this.kill();
    this.term.dispose();
  }
}

/** Runs node BIN ARGS on a terminal to the end; returns the exit and the rendered screen. */
export async function runOnTerminal(bin: string, args: string[], o: SpawnOptions & { timeoutMs?: number } = {}): Promise<Exit & { lines: string[]; text: string; session: TermSession }> {
  const s = TermSession.node(bin, args, o);
  const timeoutMs = o.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const e = await Promise.race([
      s.exit,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`dom0up ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${s.text()}`)), timeoutMs);
      }),
    ]);
    return { ...e, lines: s.lines(), text: s.text(), session: s };
  } finally {
    clearTimeout(timer);
    s.kill();
  }
}

/** Expands tabs as a terminal with 8-column tab stops shows them. */
export function expandTabs(line: string): string {
  let out = '';
  for (const ch of line) {
    if (ch === '\t') out += ' '.repeat(8 - (out.length % 8));
    else out += ch;
  }
  return out;
}
