/**
 * Shell-style `KEY=value` files (/etc/sysconfig/*, /etc/xen/xl.conf): a lossless line view,
 * a reader for the value of an assignment, and an edit that changes only the lines of one key.
 */
import { TemplateError, firstControlChar, shown } from './template-error.js';

export interface Line {
  /** The line without its terminator. */
  readonly text: string;
  /** '\n', '\r\n', or '' for a last line without one. */
  readonly eol: string;
}

/** Splits on LF (a CR before it belongs to the terminator). `joinLines(splitLines(s)) === s`. */
export function splitLines(s: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  while (at < s.length) {
    const nl = s.indexOf('\n', at);
    if (nl === -1) {
      out.push({ text: s.slice(at), eol: '' });
      break;
    }
    const crlf = nl > at && s[nl - 1] === '\r';
    out.push({ text: s.slice(at, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n' });
    at = nl + 1;
  }
  return out;
}

export function joinLines(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

/** The terminator most lines use ('\n' when there are none). */
export function dominantEol(lines: readonly Line[]): string {
  let crlf = 0;
  let lf = 0;
  for (const l of lines) {
    if (l.eol === '\r\n') crlf++;
    else if (l.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/**
 * The value of a shell word as `sh` would assign it (no expansion): unquoted text, '…' and "…"
 * parts concatenated up to the first unquoted blank, `;` or `#` at a word start.
 * Returns null when the quoting is unbalanced.
 */
export function shellWordValue(rest: string): string | null {
  let out = '';
  let i = 0;
  while (i < rest.length) {
    const ch = rest[i] as string;
    if (ch === ' ' || ch === '\t' || ch === ';' || ch === '&' || ch === '|' || ch === '\r') break;
    if (ch === "'") {
      const end = rest.indexOf("'", i + 1);
      if (end === -1) return null;
      out += rest.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < rest.length) {
        const c = rest[i] as string;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < rest.length && '"\\$`'.includes(rest[i + 1] as string)) {
          out += rest[i + 1];
          i += 2;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return null;
    } else if (ch === '\\') {
      if (i + 1 < rest.length) out += rest[i + 1];
      i += 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

const ASSIGN = /^([ \t]*)((?:export[ \t]+)?)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

export interface Assignment {
  /** 0-based line index. */
  readonly index: number;
  readonly key: string;
  /** null when the quoting is unbalanced. */
  readonly value: string | null;
  readonly indent: string;
  readonly exportPrefix: string;
}

/** Every active `KEY=value` line, in file order. */
export function assignments(lines: readonly Line[]): Assignment[] {
  const out: Assignment[] = [];
  lines.forEach((l, index) => {
    const m = ASSIGN.exec(l.text);
    if (!m) return;
    out.push({ index, key: m[3] as string, value: shellWordValue(m[4] as string), indent: m[1] as string, exportPrefix: m[2] as string });
  });
  return out;
}

/** KEY → value of its last assignment (the one a shell that sources the file ends up with). */
export function parseShellVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const a of assignments(splitLines(text))) if (a.value !== null) vars.set(a.key, a.value);
  return vars;
}

/**
 * A value that goes between double quotes in a file a shell sources: refuses everything the
 * shell would interpret there (`"`, `$`, backtick, backslash) and any control character.
 */
export function assertShellSafe(key: string, value: string): void {
  const ctl = firstControlChar(value);
  if (ctl !== undefined) {
    throw new TemplateError('unsafe-shell-value', value, `${key} value "${shown(value)}" contains the control character ${shown(ctl)}`, `${key} is one line in a file a shell script sources; remove the control characters`);
  }
  const m = /["$`\\]/.exec(value);
  if (m) {
    throw new TemplateError('unsafe-shell-value', value, `${key} value "${shown(value)}" contains ${m[0]}, which the shell sourcing the file would interpret`, `write ${key} without " $ \` or \\ (Xen options never need them)`);
  }
  if (/[^\x20-\x7e]/.test(value)) {
    throw new TemplateError('unsafe-shell-value', value, `${key} value "${shown(value)}" contains non-ASCII characters`, `${key} takes plain ASCII options`);
  }
}

export interface SetVarOptions {
  /** Lines after the last match of this get the new assignment when the key has no active line. */
  after?: RegExp;
  /** Whether an existing value already means what is wanted (then the file is left alone). */
  same?: (value: string) => boolean;
}

/**
 * Sets KEY to `rendered` (the text after `KEY=`, already quoted) on every active line of KEY,
 * keeping each line's indent, `export` and terminator; adds the line when there is none.
 * Every other byte stays as it was. Nothing changes when every assignment already has the value.
 */
export function setShellVar(text: string, key: string, rendered: string, want: string, opts: SetVarOptions = {}): string {
  const lines = splitLines(text);
  const same = opts.same ?? ((v: string) => v === want);
  const found = assignments(lines).filter((a) => a.key === key);
  if (found.length > 0) {
    if (found.every((a) => a.value !== null && same(a.value))) return text;
    const next = lines.slice();
    for (const a of found) {
      const old = next[a.index] as Line;
      next[a.index] = { text: `${a.indent}${a.exportPrefix}${key}=${rendered}`, eol: old.eol };
    }
    return joinLines(next);
  }
  return insertLine(lines, `${key}=${rendered}`, opts.after);
}

/** Inserts a line after the last line matching `after`, else at the end; keeps a missing final newline's neighbours intact. */
export function insertLine(lines: readonly Line[], newText: string, after?: RegExp): string {
  const eol = dominantEol(lines);
  const next = lines.slice();
  let at = -1;
  if (after) lines.forEach((l, i) => {
    if (after.test(l.text)) at = i;
  });
  if (at === -1) at = next.length - 1;
  if (at >= 0) {
    const prev = next[at] as Line;
    if (prev.eol === '') {
      // the line we insert after was the unterminated last line: it gets a terminator, the new line ends the file as before
      next[at] = { text: prev.text, eol };
      next.splice(at + 1, 0, { text: newText, eol: '' });
      return joinLines(next);
    }
  }
  next.splice(at + 1, 0, { text: newText, eol });
  return joinLines(next);
}
