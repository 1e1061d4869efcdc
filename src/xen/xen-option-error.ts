/** What went wrong with a Xen hypervisor command-line option. */
export type XenOptionErrorCode = 'unknown-option' | 'invalid-value' | 'control-character' | 'syntax' | 'conflict';

/**
 * A Xen hypervisor option the tool refuses to write.
 * `message` is one line naming the option; `hint` (optional) is one line telling the user what to write instead.
 */
export class XenOptionError extends Error {
  override readonly name = 'XenOptionError';
  readonly code: XenOptionErrorCode;
  readonly option: string;
  readonly hint?: string;

  constructor(code: XenOptionErrorCode, option: string, message: string, hint?: string) {
    super(message);
    this.code = code;
    this.option = option;
    if (hint !== undefined) this.hint = hint;
  }
}

/** Output of an `xl` command that does not have the Xen 4.10 format. */
export class XlParseError extends Error {
  override readonly name = 'XlParseError';
  readonly code = 'xl-format' as const;
  /** 1-based line number in the parsed text, when the problem is on one line. */
  readonly line?: number;

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    if (line !== undefined) this.line = line;
  }
}

/** Render a user-supplied string safely inside a one-line message: escapes control and non-ASCII characters, shortens. */
export function printable(s: string, max = 60): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += `\\u{${c.toString(16)}}`;
    if (out.length > max) return `${out.slice(0, max)}…`;
  }
  return out;
}
