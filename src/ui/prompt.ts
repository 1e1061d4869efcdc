/**
 * Passphrase prompts on the terminal, made safe for runs nobody watches:
 * - one prompt at a time: parallel hosts (a fleet) wait for the terminal instead of sharing it;
 * - asked once per key file for the whole process: every later connection (another host, the
 *   reconnect after a reboot) gets the same answer without a prompt; only a second attempt of the same
 *   connection (the answer was wrong) asks again;
 * - a prompt nobody answers gives up after `promptTimeoutMs` (default 2 min), so the connect timer,
 *   which pauses while a person types, never stops for longer than that;
 * - without a terminal (or in CI) there is no prompt at all: the key must be in ssh-agent.
 * Passphrases stay in this process's memory only; they are never logged or printed.
 */
import type { Ui } from './io.js';
import { visible } from './escape.js';

export const PASSPHRASE_PROMPT_TIMEOUT_MS = 120_000;

export type AskPassphrase = (keyPath: string, attempt?: number) => Promise<string | undefined>;

interface State {
  queue: Promise<unknown>;
  answers: Map<string, string>;
}
const states = new WeakMap<Ui, State>();

function readHidden(ui: Ui, keyPath: string, timeoutMs: number): Promise<string | undefined> {
  const stdin = ui.streams.stdin as NodeJS.ReadableStream & { setRawMode?: (b: boolean) => void; pause(): void; resume(): void };
  ui.streams.stderr.write(`passphrase for ${visible(keyPath)}: `);
  return new Promise((resolve) => {
    let buf = '';
    const done = (v: string | undefined, note?: string) => {
      clearTimeout(timer);
      stdin.setRawMode?.(false);
      stdin.removeListener('data', onData);
      stdin.pause();
      ui.streams.stderr.write(note ? `\n${note}\n` : '\n');
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined, `no passphrase within ${Math.round(timeoutMs / 1000)} s: going on without this key`), timeoutMs);
    const onData = (d: Buffer | string) => {
      for (const ch of d.toString()) {
        if (ch === '\r' || ch === '\n') return done(buf);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined);
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The passphrase asker of this terminal (shared by every connection the process opens through `ui`). */
export function passphraseAsker(ui: Ui, o: { promptTimeoutMs?: number } = {}): AskPassphrase {
  let st = states.get(ui);
  if (!st) {
    st = { queue: Promise.resolve(), answers: new Map() };
    states.set(ui, st);
  }
  const state = st;
  const timeoutMs = o.promptTimeoutMs ?? PASSPHRASE_PROMPT_TIMEOUT_MS;
  return (keyPath, attempt = 0) => {
    const turn = state.queue.then(async () => {
      if (attempt > 0) state.answers.delete(keyPath);
      const known = state.answers.get(keyPath);
      if (known !== undefined) return known;
      if (!ui.interactive) return undefined;
      const got = await readHidden(ui, keyPath, timeoutMs);
      if (got !== undefined) state.answers.set(keyPath, got);
      return got;
    });
    state.queue = turn.catch(() => undefined);
    return turn;
  };
}
