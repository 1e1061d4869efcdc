/**
 * Typed errors of the transport layer.
 *
 * The message is always ONE line and starts with the target (`root@127.0.0.11:2222: …`) when
 * there is one. It never contains a secret (passphrase, key material): callers may print it as is.
 */

export type TransportErrorCode =
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'auth-failed'
  | 'connect-refused'
  | 'connect-timeout'
  | 'dns'
  | 'lost'
  | 'timeout'
  | 'unsafe-argument'
  | 'sudo-password-required'
  | 'sudo-failed'
  | 'output-limit'
  | 'config';

export interface TransportErrorOptions {
  hint?: string;
  cause?: unknown;
}

/** Collapse whitespace runs that contain line breaks so the message stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  /** Display name of the host (or '' for errors not tied to a host, e.g. quoting). */
  readonly target: string;
  readonly hint?: string;

  constructor(code: TransportErrorCode, target: string, message: string, options: TransportErrorOptions = {}) {
    const text = oneLine(message);
    super(target ? `${target}: ${text}` : text, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.target = target;
    if (options.hint !== undefined) this.hint = oneLine(options.hint);
  }
}

export function isTransportError(err: unknown, code?: TransportErrorCode): err is TransportError {
  return err instanceof TransportError && (code === undefined || err.code === code);
}

/** An Error with name 'AbortError', like the ones Node's own APIs throw. */
export function abortError(signal: AbortSignal | undefined): Error {
  const err = new Error('The operation was aborted', signal?.reason === undefined ? undefined : { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

/** Re-issue a target-less TransportError (e.g. from quoting) so its message names the host. */
export function withTarget(err: unknown, target: string): unknown {
  if (err instanceof TransportError && err.target === '' && target !== '') {
    const opts: TransportErrorOptions = { cause: err };
    if (err.hint !== undefined) opts.hint = err.hint;
    return new TransportError(err.code, target, err.message, opts);
  }
  return err;
}
