/**
 * The interface the rest of dom0up uses to run shell text on a host.
 *
 * Contract of `exec`:
 * - `script` is POSIX sh text (build it with `sh`/`shellCommand` from quote.ts); it runs with
 *   `/bin/sh -c` semantics; with `sudo: true` it runs as root.
 * - The promise resolves with an `ExecResult` for everything that happened on the host, including
 *   non-zero exits, signals, timeouts and a dropped connection (`lost: true, code: null`).
 *   Only `code === 0` is success. It rejects with a `TransportError` when the command could not be
 *   started (e.g. sudo needs a password, the server refused a new channel) and with an
 *   `AbortError` when `signal` aborted it.
 */
export interface ExecOptions {
  stdin?: string | Buffer;
  sudo?: boolean;
  timeoutMs?: number;
  onStdout?(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal, timed out or the connection was lost. */
  code: number | null;
  /** e.g. 'SIGKILL' when the command died of a signal. */
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  /** The connection dropped before an exit status arrived. Never a success. */
  lost: boolean;
  timedOut: boolean;
  durationMs: number;
}

export type CloseReason = 'closed' | 'lost';

export interface Transport {
  /** Display name, e.g. "root@127.0.0.11:2222" or an ssh_config alias. */
  readonly target: string;
  /** "SHA256:…" fingerprint of the verified host key (ssh only). */
  readonly hostKeySha256?: string;
  exec(script: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Commands sent so far (for benchmarks). */
  roundTrips: number;
  close(): Promise<void>;
  onClose(cb: (reason: CloseReason, err?: Error) => void): void;
}

/** True when the command ran and exited with status 0 (the only success). */
export function succeeded(r: ExecResult): boolean {
  return r.code === 0 && !r.lost && !r.timedOut;
}

export { abortError } from './errors.js';
export { LocalTransport, type LocalTransportOptions } from './local.js';
