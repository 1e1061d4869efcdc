/**
 * Progress for remote runs. On a TTY: one spinner (ora, on stderr) per phase. Otherwise (CI,
 * pipes, --json): plain timestamped lines on stderr, including progress text that a spinner
 * would only show in place. Everything also goes to the per-host log file.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProvisionEvents } from '../apply/provision.js';
import type { Ui } from './io.js';

export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.DOM0UP_LOG_DIR ?? path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'dom0up', 'logs');
  return base;
}

export function hostLogPath(target: string, runId: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(logDir(env), `${target.replace(/[^\w.@:-]+/g, '_').replace(/:/g, '_')}-${runId}.log`);
}

type Spinner = { start(text?: string): Spinner; succeed(t?: string): Spinner; fail(t?: string): Spinner; info(t?: string): Spinner; stop(): Spinner; text: string };

export async function createProgress(ui: Ui, target: string, runId: string, opts: { spinner: boolean; prefixHost?: boolean }): Promise<ProvisionEvents & { logPath: string; stop(): void }> {
  const logPath = hostLogPath(target, runId, ui.streams.env);
  let logOk = true;
  try {
    mkdirSync(path.dirname(logPath), { recursive: true });
  } catch {
    logOk = false;
  }
  const log = (s: string) => {
    if (!logOk) return;
    try {
      appendFileSync(logPath, s);
    } catch {
      logOk = false;
    }
  };
  const stamp = () => new Date().toISOString().slice(11, 19);
  const who = opts.prefixHost === false ? '' : `${target} `;
  let spinner: Spinner | null = null;
  let makeSpinner: ((text: string) => Spinner) | null = null;
  if (opts.spinner) {
    if (ui.err.red('x') === 'x') process.env.FORCE_COLOR = '0'; // ora/chalk ignore NO_COLOR
    const { default: ora } = await import('ora');
    makeSpinner = (text) => ora({ text, stream: ui.streams.stderr as NodeJS.WritableStream & { isTTY?: boolean }, discardStdin: false }).start() as unknown as Spinner;
  }
  let lastProgress = 0;
  return {
    logPath,
    phase(id, text) {
      log(`${new Date().toISOString()} ${id}: ${text}\n`);
      if (makeSpinner) spinner = makeSpinner(`${who}${text}`);
      else ui.note(`${stamp()} ${who}${id}: ${text}`);
    },
    progress(text) {
      log(`${new Date().toISOString()}   ${text}\n`);
      if (spinner) spinner.text = `${who}${text}`;
      else if (Date.now() - lastProgress > 2000) {
        lastProgress = Date.now();
        ui.note(`${stamp()} ${who}  ${text}`);
      }
    },
    done(id, status, text) {
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
      log(text);
    },
    stop() {
      spinner?.stop();
      spinner = null;
    },
  };
}
