/**
 * Errors the user can cause or act on are printed as one line plus a hint and exit 1 (or
 * the code they carry); anything else is a bug and gets a stack trace. The pure modules
 * define their own error classes (they import nothing from here); they are recognised by name.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A remote step failed: names the host and the phase. */
export class RemoteError extends UserError {
  override readonly name = 'RemoteError';
  constructor(
    readonly host: string,
    readonly phase: string,
    message: string,
    hint?: string,
    exitCode = 1,
    readonly detail?: string,
  ) {
    super(`${host}: ${phase}: ${message}`, hint, exitCode);
  }
}

const USER_FACING = new Set(['UserError', 'RemoteError', 'GrubEditError', 'XenOptionError', 'TransportError', 'TemplateError', 'InventoryError', 'PreflightError']);

export interface UserFacing {
  message: string;
  hint?: string;
  exitCode: number;
  detail?: string;
}

/** The one-line form of an error the user can act on, or null for a bug. */
export function userFacing(err: unknown): UserFacing | null {
  if (!(err instanceof Error) || !USER_FACING.has(err.name)) return null;
  const e = err as Error & { hint?: unknown; exitCode?: unknown; detail?: unknown; option?: unknown };
  const out: UserFacing = { message: e.message, exitCode: typeof e.exitCode === 'number' ? e.exitCode : 1 };
  if (typeof e.hint === 'string' && e.hint) out.hint = e.hint;
  if (typeof e.detail === 'string' && e.detail) out.detail = e.detail;
  return out;
}

/**
 * Every remote error names the host and the phase. A user-facing error raised without them (a
 * TransportError from an exec, a UserError about what the host has) becomes a RemoteError of `phase`;
 * a RemoteError (or a PreflightError, "HOST: preflight: …") is kept; anything else is a bug and is
 * kept as it is (exit 70 with its stack).
 */
export function inPhase(err: unknown, target: string, phase: string): unknown {
  if (!(err instanceof Error) || err instanceof RemoteError || err.name === 'PreflightError' || err.name === 'AbortError') return err;
  const uf = userFacing(err);
  if (!uf) return err;
  const msg = err.message.startsWith(`${target}: `) ? err.message.slice(target.length + 2) : err.message;
  const out = new RemoteError(target, phase, msg, uf.hint, uf.exitCode, uf.detail);
  (out as Error & { cause?: unknown }).cause = err;
  return out;
}
