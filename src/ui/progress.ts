/**
 * Progress for remote runs. On a TTY: one spinner (ora, on stderr) per phase. Otherwise (CI,
 * pipes, --json): plain timestamped lines on stderr, including progress text that a spinner
 * would only show in place. Everything also goes to the per-host log file.
 */
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProvisionEvents } from '../apply/provision.js';
import type { Ui } from './io.js';
import { visible } from './escape.js';

export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.DOM0UP_LOG_DIR ?? path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'dom0up', 'logs');
  return base;
}

export function hostLogPath(target: string, runId: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(logDir(env), `${target.replace(/[^\w.@:-]+/g, '_').replace(/:/g, '_')}-${runId}.log`);
}

/**
 * Opens the log for appending, privately: its directories are created 0700 (an existing one of the
 * user is made 0700), the file 0600, and a link at the file's name is not followed (O_NOFOLLOW).
 * Returns the descriptor, or why there is no log.
 */
export function openPrivateLog(logPath: string): { fd: number } | { error: string } {
  const dir = path.dirname(logPath);
  const me = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return { error: `${dir} is not a directory` };
    if (me >= 0 && st.uid !== me) return { error: `${dir} belongs to uid ${st.uid}, not to you` };
    if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
    const fd = openSync(logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const f = fstatSync(fd);
    if (!f.isFile() || (me >= 0 && f.uid !== me)) {
      closeSync(fd);
      return { error: `${logPath} is not a file of yours` };
    }
    if ((f.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
    return { fd };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'ELOOP' ? `${logPath} is a symbolic link` : `${code ?? (e as Error).message}` };
  }
}

type Spinner = { start(text?: string): Spinner; succeed(t?: string): Spinner; fail(t?: string): Spinner; info(t?: string): Spinner; stop(): Spinner; text: string };

export async function createProgress(ui: Ui, target: string, runId: string, opts: { spinner: boolean; prefixHost?: boolean }): Promise<ProvisionEvents & { logPath: string; stop(): void }> {
  const logPath = hostLogPath(target, runId, ui.streams.env);
  const opened = openPrivateLog(logPath);
  let fd: number | null = 'fd' in opened ? opened.fd : null;
  if ('error' in opened) ui.note(`${ui.err.yellow('warning')}: no log for this run: ${opened.error}`);
  const log = (s: string) => {
    if (fd === null) return;
    try {
      writeSync(fd, s);
    } catch (e) {
      ui.note(`${ui.err.yellow('warning')}: the log ${logPath} stopped: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      try {
        closeSync(fd);
      } catch {
        /* gone */
      }
      fd = null;
    }
  };
  // raw output (yum's) is logged as it comes; a progress text that only repeats a line of it is not
  // logged a second time
  let rawTail = '';
  const stamp = () => new Date().toISOString().slice(11, 19);
  const who = opts.prefixHost === false ? '' : `${visible(target)} `;
  let spinner: Spinner | null = null;
  let makeSpinner: ((text: string) => Spinner) | null = null;
  if (opts.spinner) {
    if (ui.err.red('x') === 'x') process.env.FORCE_COLOR = '0'; // ora/chalk ignore NO_COLOR
    const { default: ora } = await import('ora');
    const stream = sizedStream(ui.streams.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number });
    makeSpinner = (text) => ora({ text, stream, discardStdin: false }).start() as unknown as Spinner;
  }
  let lastProgress = 0;
  return {
    logPath,
    phase(id, text0) {
      rawTail = '';
      const text = visible(text0);
      log(`${new Date().toISOString()} ${id}: ${text}\n`);
      if (makeSpinner) spinner = makeSpinner(`${who}${text}`);
      else ui.note(`${stamp()} ${who}${id}: ${text}`);
    },
    progress(text0) {
      const text = visible(text0);
      if (!(text0.trim() !== '' && rawTail.includes(text0))) log(`${new Date().toISOString()}   ${text}\n`);
      if (spinner) spinner.text = `${who}${text}`;
      else if (Date.now() - lastProgress > 2000) {
        lastProgress = Date.now();
        ui.note(`${stamp()} ${who}  ${text}`);
      }
    },
    done(id, status, text0) {
      const text = visible(text0);
      log(`${new Date().toISOString()} ${id}: ${status}: ${text}\n`);
      // on a terminal a step that ends without having started (no spinner) gets the same line as the others
      if (!spinner && makeSpinner) spinner = makeSpinner(`${who}${id}`);
      if (spinner) {
        if (status === 'ok') spinner.succeed(`${who}${id}: ${text}`);
        else if (status === 'fail') spinner.fail(`${who}${id}: ${text}`);
        else spinner.info(`${who}${id}: skipped — ${text}`);
        spinner = null;
      } else ui.note(`${stamp()} ${who}${id}: ${status === 'ok' ? 'done' : status === 'fail' ? ui.err.red('FAILED') : 'skipped'} — ${text}`);
    },
    log(text) {
      rawTail = (rawTail + text).slice(-16_384);
      // raw output (yum's) as it came, with control characters shown: the log is read with cat too
      log(visible(text, { multiline: true }));
    },
    stop() {
      spinner?.stop();
      spinner = null;
      if (fd !== null) {
        try {
          closeSync(fd);
        } catch {
          /* gone */
        }
        fd = null;
      }
    },
  };
}

const sized = new WeakSet<object>();

/**
 * The terminal stream given a width where it reports none: a terminal of 0 columns (`script` or
 * `ssh -t` from a pipe, a serial console) made ora count Infinity lines to erase and spin forever.
 * The stream itself keeps its identity (ora hooks the writes of process.stderr and of its stream,
 * once when they are the same object); its `columns` reads 100 while the terminal says 0, and a
 * resize (node sets `columns` on SIGWINCH) is taken as it comes.
 */
export function sizedStream<S extends NodeJS.WritableStream & { isTTY?: boolean; columns?: number }>(stream: S): S {
  if (!stream.isTTY || sized.has(stream)) return stream;
  const own = Object.getOwnPropertyDescriptor(stream, 'columns');
  if (own && !own.configurable) return stream;
  let cols = stream.columns;
  Object.defineProperty(stream, 'columns', {
    configurable: true,
    enumerable: true,
    get: () => cols || 100,
    set: (v: number) => {
      cols = v;
    },
  });
  sized.add(stream);
  return stream;
}
