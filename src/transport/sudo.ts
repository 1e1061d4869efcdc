/**
 * Running scripts as root through sudo, independent of the channel (ssh or test doubles).
 *
 * Modes, detected once per connection:
 * - 'root'  — already uid 0: sudo is a no-op;
 * - 'plain' — `sudo -n /bin/sh -c <script>` works without a tty;
 * - 'pty'   — sudoers has `Defaults requiretty` (CentOS 6 default). The pty is used ONLY to run
 *             sudo: stdin is staged into a private temp dir by a non-pty exec, the command runs
 *             under a pty with its stdin/stdout/stderr redirected to files in that dir, and the
 *             outputs and exit status are read back by a non-pty exec (so no CRLF conversion or
 *             stdout/stderr merging ever touches content). 3 round trips instead of 1.
 * Passwordless sudo (NOPASSWD) is required; a password prompt is reported as
 * 'sudo-password-required'.
 */
import { TransportError } from './errors.js';
import { quoteScript, shellQuote } from './quote.js';
import type { ExecResult } from './transport.js';

export interface RawExecOptions {
  stdin?: string | Buffer;
  pty?: boolean;
  timeoutMs?: number;
  onStdout?(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  signal?: AbortSignal;
}

/** Run one command string on the host (one round trip). */
export type RawExec = (command: string, opts?: RawExecOptions) => Promise<ExecResult>;

export type SudoMode = 'root' | 'plain' | 'pty';

/** `/bin/sh -c <script>`: the command line sent for a script (the login shell then runs sh). */
export function shCommand(script: string): string {
  return `/bin/sh -c ${quoteScript(script)}`;
}

/** `sudo -n -- /bin/sh -c <script>` */
export function sudoCommand(script: string): string {
  return `sudo -n -- ${shCommand(script)}`;
}

/**
 * Wrap a script so the HOST kills it (and its whole process group) a little after our own
 * timeout fires, with GNU `timeout -s KILL` when the host has it (CentOS 6: coreutils 8.4 does).
 * Closing an SSH channel does not kill a command that runs without a pty, and CentOS 6's sshd
 * ignores "signal" channel requests.
 */
export function withRemoteTimeout(script: string, timeoutMs: number, slackSeconds = 2): string {
  const secs = Math.ceil(timeoutMs / 1000) + slackSeconds;
  return [
    'T=',
    `command -v timeout >/dev/null 2>&1 && T="timeout -s KILL ${secs}"`,
    `exec $T /bin/sh -c ${quoteScript(script)}`,
  ].join('\n');
}

const REQUIRETTY = /must have a tty|requiretty/i;
const PASSWORD = /password is required|no tty present and no askpass|terminal is required to read the password|askpass/i;

function firstLine(buf: Buffer | string): string {
  const text = typeof buf === 'string' ? buf : buf.toString('utf8');
  return text.replace(/\r/g, '').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join('; ').slice(0, 300);
}

export function passwordRequired(target: string, user: string, detail: string): TransportError {
  return new TransportError('sudo-password-required', target, `sudo asks ${user} for a password (${detail || 'a password is required'}); dom0up needs passwordless sudo`, {
    hint: `add a sudoers rule such as "${user} ALL=(ALL) NOPASSWD: ALL" (visudo), or log in as root`,
  });
}

function lostResult(started: number): ExecResult {
  return { code: null, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), lost: true, timedOut: false, durationMs: performance.now() - started };
}

/** Thrown internally when the connection drops during detection (not cached). */
export class SudoDetectionLost extends Error {}

/**
 * Find out how to become root. One round trip for root logins that are not named "root" and for
 * plain sudo, two when requiretty is on (the second checks sudo under a pty).
 */
export async function detectSudo(raw: RawExec, target: string, user: string): Promise<SudoMode> {
  if (user === 'root') return 'root';
  const probe = [
    'if [ "$(id -u)" = 0 ]; then echo dom0up-sudo:root; exit 0; fi',
    'out=$(sudo -n true 2>&1 </dev/null); rc=$?',
    'printf "dom0up-sudo:%s\\n%s\\n" "$rc" "$out"',
  ].join('\n');
  const r = await raw(shCommand(probe));
  if (r.lost) throw new SudoDetectionLost('connection lost while checking sudo');
  const text = r.stdout.toString('utf8');
  const m = /^dom0up-sudo:(\S+)\n([\s\S]*)$/.exec(text);
  if (!m) {
    throw new TransportError('sudo-failed', target, `cannot check sudo (exit ${r.code ?? 'none'}): ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}`);
  }
  const status = m[1] as string;
  const out = m[2] as string;
  if (status === 'root') return 'root';
  if (status === '0') return 'plain';
  if (REQUIRETTY.test(out)) {
    // requiretty: make sure sudo -n works under a pty (it may still want a password)
    const p = await raw('sudo -n true', { pty: true });
    if (p.lost) throw new SudoDetectionLost('connection lost while checking sudo');
    if (p.code === 0) return 'pty';
    const ptyOut = Buffer.concat([p.stdout, p.stderr]).toString('utf8');
    if (PASSWORD.test(ptyOut)) throw passwordRequired(target, user, firstLine(ptyOut));
    throw new TransportError('sudo-failed', target, `sudo -n true under a pty failed (exit ${p.code ?? 'none'}): ${firstLine(ptyOut) || 'no output'}`);
  }
  if (PASSWORD.test(out)) throw passwordRequired(target, user, firstLine(out));
  if (status === '127' || /command not found|not found/i.test(out)) {
    throw new TransportError('sudo-failed', target, `sudo is not installed and ${user} is not root`, { hint: 'install sudo or log in as root' });
  }
  throw new TransportError('sudo-failed', target, `sudo -n true failed for ${user} (exit ${status}): ${firstLine(out) || 'no output'}`, {
    hint: `give ${user} passwordless sudo (NOPASSWD) or log in as root`,
  });
}

/** After a plain `sudo -n` exec: turn sudo's own refusal into a typed error. */
export function checkPlainSudoResult(r: ExecResult, target: string, user: string): void {
  if (r.code === 1 && r.stdout.length === 0) {
    const err = r.stderr.toString('utf8');
    if (/^sudo: /m.test(err) && PASSWORD.test(err)) throw passwordRequired(target, user, firstLine(err));
  }
}

const TEMP_DIR = /^\/[A-Za-z0-9_./-]+$/;

/**
 * Run `script` as root with sudo under a pty (requiretty), never streaming content through the
 * pty. See the module comment for the protocol.
 */
export async function execSudoPty(raw: RawExec, target: string, user: string, script: string, opts: RawExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  // 1. private temp dir + stdin (non-pty)
  const stage = await raw(
    shCommand(['umask 077', 'd=$(mktemp -d "${TMPDIR:-/tmp}/dom0up.XXXXXXXXXX") || exit 90', 'cat >"$d/in" || exit 91', 'printf "%s\\n" "$d"'].join('\n')),
    { stdin: opts.stdin ?? '', signal: opts.signal },
  );
  if (stage.lost) return lostResult(started);
  const dir = stage.stdout.toString('utf8').trim();
  if (stage.code !== 0 || !TEMP_DIR.test(dir)) {
    throw new TransportError('sudo-failed', target, `cannot stage input for sudo in a temporary directory (exit ${stage.code ?? 'none'}): ${firstLine(stage.stderr) || 'no output'}`);
  }
  const cleanup = shCommand(`rm -rf ${shellQuote(dir)}`);

  // 2. the privileged command under a pty, all of its I/O redirected to files
  const inner = '/bin/sh -c "$1" <"$2/in" >"$2/out" 2>"$2/err"; echo $? >"$2/rc"';
  const cmd = `sudo -n -- /bin/sh -c ${shellQuote(inner)} dom0up-sudo ${quoteScript(script)} ${shellQuote(dir)}`;
  let run: ExecResult;
  try {
    run = await raw(cmd, { pty: true, timeoutMs: opts.timeoutMs, signal: opts.signal });
  } catch (e) {
    await raw(cleanup).catch(() => undefined);
    throw e;
  }
  if (run.lost) return { ...lostResult(started), timedOut: run.timedOut };

  // 3. read rc, stdout, stderr back without a pty, then clean up
  const fetchScript = [
    `d=${shellQuote(dir)}`,
    'rc=$(cat "$d/rc" 2>/dev/null)',
    'o=$(wc -c <"$d/out" 2>/dev/null) || o=0',
    'e=$(wc -c <"$d/err" 2>/dev/null) || e=0',
    'printf "%s %s %s\\n" "${rc:-none}" $o $e',
    'cat "$d/out" "$d/err" 2>/dev/null',
    'rm -rf "$d"',
  ].join('\n');
  const fetched = await raw(shCommand(fetchScript));
  if (fetched.lost) return { ...lostResult(started), timedOut: run.timedOut };
  const body = fetched.stdout;
  const nl = body.indexOf(0x0a);
  const header = nl >= 0 ? body.subarray(0, nl).toString('latin1') : '';
  const hm = /^(\S+) (\d+) (\d+)$/.exec(header);
  if (fetched.code !== 0 || !hm) {
    throw new TransportError('sudo-failed', target, `cannot read back the output of the sudo command (exit ${fetched.code ?? 'none'}): ${firstLine(fetched.stderr) || 'no output'}`);
  }
  const outLen = Number(hm[2]);
  const errLen = Number(hm[3]);
  const stdout = body.subarray(nl + 1, nl + 1 + outLen);
  const stderr = body.subarray(nl + 1 + outLen, nl + 1 + outLen + errLen);
  const rcText = hm[1] as string;
  const ptyText = Buffer.concat([run.stdout, run.stderr]).toString('utf8');
  if (rcText === 'none' && !run.timedOut) {
    if (PASSWORD.test(ptyText)) throw passwordRequired(target, user, firstLine(ptyText));
    if (/^sudo: /m.test(ptyText) || run.code !== 0) {
      throw new TransportError('sudo-failed', target, `sudo failed under a pty (exit ${run.code ?? 'none'}): ${firstLine(ptyText) || 'no output'}`);
    }
  }
  const code = rcText === 'none' || run.timedOut ? null : Number(rcText);
  if (stdout.length) opts.onStdout?.(stdout);
  if (stderr.length) opts.onStderr?.(stderr);
  return {
    code: code !== null && Number.isInteger(code) ? code : null,
    signal: null,
    stdout: Buffer.from(stdout),
    stderr: Buffer.from(stderr),
    lost: false,
    timedOut: run.timedOut,
    durationMs: performance.now() - started,
  };
}
