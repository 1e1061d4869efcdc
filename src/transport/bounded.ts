/**
 * Bounds on everything a host sends back, for any Transport:
 * - output: stdout + stderr of one command are read up to `maxOutputBytes` (default 16 MiB, far
 *   above anything dom0up's commands print: the facts of a host are about 100 KiB, yum's output a
 *   few hundred); beyond that the command is stopped and the exec rejects with a TransportError
 *   'output-limit', having held at most the limit plus one chunk;
 * - time: a command without its own timeout gets `defaultTimeoutMs` (2 min), and no exec outlives
 *   its timeout by more than `graceMs` (10 s), even when the host never answers the channel's close
 *   or a step inside the transport (sudo detection) hangs: the exec then resolves as timed out.
 * openHost (src/remote/connect.ts) wraps every connection in it.
 */
import { abortError, TransportError } from './errors.js';
import type { CloseReason, ExecOptions, ExecResult, Transport } from './transport.js';

export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 2 * 60_000;
export const TIMEOUT_GRACE_MS = 10_000;

export interface BoundOptions {
  maxOutputBytes?: number;
  defaultTimeoutMs?: number;
  graceMs?: number;
}

export class BoundedTransport implements Transport {
  readonly maxOutputBytes: number;
  readonly defaultTimeoutMs: number;
  readonly graceMs: number;

  constructor(
    readonly inner: Transport,
    o: BoundOptions = {},
  ) {
    this.maxOutputBytes = o.maxOutputBytes ?? MAX_OUTPUT_BYTES;
    this.defaultTimeoutMs = o.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.graceMs = o.graceMs ?? TIMEOUT_GRACE_MS;
  }

  get target(): string {
    return this.inner.target;
  }
  get hostKeySha256(): string | undefined {
    return this.inner.hostKeySha256;
  }
  get roundTrips(): number {
    return this.inner.roundTrips;
  }
  set roundTrips(n: number) {
    this.inner.roundTrips = n;
  }

  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    const timeoutMs = opts.timeoutMs !== undefined && opts.timeoutMs > 0 ? opts.timeoutMs : this.defaultTimeoutMs;
    const limit = this.maxOutputBytes;
    const stop = new AbortController();
    let seen = 0;
    let overflow = false;
    const onOuterAbort = () => stop.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const count = (c: Buffer, cb?: (c: Buffer) => void) => {
      if (overflow) return;
      seen += c.length;
      if (seen > limit) {
        overflow = true;
        stop.abort(new Error('output limit'));
        return;
      }
      cb?.(c);
    };
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        opts.signal?.removeEventListener('abort', onOuterAbort);
        fn();
      };
      const overLimit = () =>
        new TransportError('output-limit', this.target, `the command's output went past ${Math.round(limit / 1048576)} MiB, far more than any command dom0up runs prints; it was stopped`, {
          hint: 'the host answers something else than a CentOS 6 host would: check it',
        });
      // the host never answers (not even the close of the channel): a timed-out result all the same
      const guard = setTimeout(() => {
        finish(() => resolve({ code: null, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), lost: false, timedOut: true, durationMs: performance.now() - started }));
        stop.abort(new Error('timeout'));
      }, timeoutMs + this.graceMs);
      const innerOpts: ExecOptions = {
        ...opts,
        timeoutMs,
        signal: stop.signal,
        onStdout: (c) => count(c, opts.onStdout),
        onStderr: (c) => count(c, opts.onStderr),
      };
      this.inner.exec(script, innerOpts).then(
        (r) => finish(() => {
          // a transport that delivers the output only at the end (no chunks seen): checked here
          if (overflow || r.stdout.length + r.stderr.length > limit) reject(overLimit());
          else resolve(r);
        }),
        (e: unknown) => finish(() => reject(overflow ? overLimit() : opts.signal?.aborted ? abortError(opts.signal) : e)),
      );
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  onClose(cb: (reason: CloseReason, err?: Error) => void): void {
    this.inner.onClose(cb);
  }
}

/** Wraps a transport in the bounds (idempotent). */
export function bounded<T extends Transport>(t: T, o: BoundOptions = {}): BoundedTransport {
  return t instanceof BoundedTransport ? t : new BoundedTransport(t, o);
}
