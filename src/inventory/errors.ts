/**
 * The one error type of the inventory layer.
 *
 * The message is always ONE line and starts with the file (and line, when known):
 * `hosts.ini:12: invalid port "70000" for host "web1"`. Values quoted from the file are
 * JSON-quoted and shortened, so a hostile inventory cannot inject terminal escapes or newlines.
 */

export type InventoryErrorCode =
  /** The file does not parse (bad section, unclosed quote, bad YAML/JSON …). */
  | 'syntax'
  /** The structure parses but is not an inventory (wrong types, plugin config …). */
  | 'invalid-structure'
  /** A host name or address that is not sane (whitespace, shell metacharacters, leading '-' …). */
  | 'invalid-host'
  | 'invalid-port'
  /** A connection or Dom0 variable with an unusable value (ansible_become=maybe, dom0_mem=[1]). */
  | 'invalid-value'
  /** `[g:vars]` / `[p:children]` naming a group that is never declared. */
  | 'undefined-group'
  | 'group-cycle'
  /** A host range like `web[3:1]` or `web[01:9]`. */
  | 'bad-range'
  /** The same host given twice with conflicting user/port (plain lists, command line). */
  | 'duplicate-host'
  | 'unknown-format'
  /** A --limit pattern that is malformed (bad regex, `@file`). */
  | 'invalid-pattern'
  /** A --limit pattern (or part of it) that matches no host and no group. */
  | 'no-match'
  /** The selection is empty. */
  | 'no-hosts'
  | 'read-failed';

export interface InventoryErrorOptions {
  line?: number;
  hint?: string;
  cause?: unknown;
}

/** Collapse anything that would break the one-line rule. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

/** A value from the input, quoted for a message: JSON-escaped and at most ~60 characters. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
    if (typeof value !== 'string' && text.length <= 60) return text;
  }
  if (text.length > 60) text = `${text.slice(0, 57)}…`;
  return JSON.stringify(text);
}

export class InventoryError extends Error {
  override readonly name = 'InventoryError';
  readonly code: InventoryErrorCode;
  /** The inventory file (or `<command line>`, `<limit>`, `<inventory>` for in-memory text). */
  readonly file: string;
  /** 1-based line in `file`, when the problem is tied to one. */
  readonly line?: number;
  readonly hint?: string;

  constructor(code: InventoryErrorCode, file: string, message: string, options: InventoryErrorOptions = {}) {
    const where = options.line !== undefined ? `${file}:${options.line}` : file;
    super(`${where}: ${oneLine(message)}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = file;
    if (options.line !== undefined) this.line = options.line;
    if (options.hint !== undefined) this.hint = oneLine(options.hint);
  }
}

export function isInventoryError(err: unknown, code?: InventoryErrorCode): err is InventoryError {
  return err instanceof InventoryError && (code === undefined || err.code === code);
}
