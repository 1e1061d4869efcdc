import { printable } from '../xen/index.js';
/** What went wrong while rendering or editing a repository or sysconfig file. */
export type TemplateErrorCode =
  | 'control-character'
  | 'invalid-repo-id'
  | 'reserved-repo-id'
  | 'unknown-mirror'
  | 'invalid-url'
  | 'unsafe-shell-value'
  | 'invalid-path'
  | 'invalid-value'
  | 'templates-missing'
  | 'render-failed';

/**
 * A value the repo/sysconfig renderer refuses to write, or a broken templates directory.
 * `message` is one line naming the value; `hint` is one line telling the user what to do.
 */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly code: TemplateErrorCode;
  /** The offending value, as given. */
  readonly value: string;
  readonly hint: string;

  constructor(code: TemplateErrorCode, value: string, message: string, hint: string) {
    super(message);
    this.code = code;
    this.value = value;
    this.hint = hint;
  }
}

/** A user-supplied string made safe for a one-line message: control and non-ASCII characters escaped, shortened. */
export function shown(s: string, max = 80): string {
  return printable(s, max);
}

/** The first C0/C1 control character (or DEL) in `s`, if any. Covers NUL, CR and LF. */
export function firstControlChar(s: string): string | undefined {
  const m = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.exec(s);
  return m?.[0];
}

/** Refuses any control character (newline, CR, NUL, TAB, …) in a value that must stay on one line. */
export function assertOneLine(what: string, value: string): void {
  const bad = firstControlChar(value);
  if (bad !== undefined) {
    throw new TemplateError(
      'control-character',
      value,
      `${what} "${shown(value)}" contains the control character ${shown(bad)}`,
      `${what} must be a single line of printable characters`,
    );
  }
}
