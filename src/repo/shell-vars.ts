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
 * parts concatenated up to the first unquoted blank, newline, `;` or `#` at a word start;
 * backslash-newline is a line continuation (outside quotes and inside "…"). Returns null when
 * the quoting is unbalanced (the value goes on past the end of `rest`).
 */
export function shellWordValue(rest: string): string | null {
  let out = '';
  let i = 0;
  while (i < rest.length) {
    const ch = rest[i] as string;
    if (ch === ' ' || ch === '\t' || ch === ';' || ch === '&' || ch === '|' || ch === '\r' || ch === '\n') break;
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
        if (c === '\\' && rest[i + 1] === '\n') {
          i += 2;
        } else if (c === '\\' && i + 1 < rest.length && '"\\$`'.includes(rest[i + 1] as string)) {
          out += rest[i + 1];
          i += 2;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return null;
    } else if (ch === '\\') {
      if (i + 1 >= rest.length) return null;
      if (rest[i + 1] !== '\n') out += rest[i + 1];
      i += 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

const ASSIGN = /^([ \t]*)((?:export[ \t]+)?)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
/** A value may span at most this many lines (an unterminated quote further than that is reported). */
const MAX_VALUE_LINES = 200;

export interface Assignment {
  /** 0-based index of the assignment's first line. */
  readonly index: number;
  /** 0-based index of its last line (a quoted value may span several lines). */
  readonly endIndex: number;
  readonly key: string;
  /** null when the quoting is unbalanced up to the end of the file. */
  readonly value: string | null;
  readonly indent: string;
  readonly exportPrefix: string;
}

/** Every active `KEY=value` assignment, in file order; a quoted value that spans lines is one assignment. */
export function assignments(lines: readonly Line[]): Assignment[] {
  const out: Assignment[] = [];
  for (let index = 0; index < lines.length; index++) {
    const m = ASSIGN.exec((lines[index] as Line).text);
    if (!m) continue;
    let rest = m[4] as string;
    let value = shellWordValue(rest);
    let endIndex = index;
    while (value === null && endIndex + 1 < lines.length && endIndex - index < MAX_VALUE_LINES) {
      endIndex++;
      rest += '\n' + (lines[endIndex] as Line).text;
      value = shellWordValue(rest);
    }
    if (value === null) endIndex = lines.length - 1;
    out.push({ index, endIndex, key: m[3] as string, value, indent: m[1] as string, exportPrefix: m[2] as string });
    index = endIndex;
  }
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
 * Sets KEY to `rendered` (the text after `KEY=`, already quoted) in every active assignment of
 * KEY — a value that spans several lines is replaced as a whole by one line — keeping each
 * line's indent, `export` and terminator; adds the line when there is none. Every other byte
 * stays as it was. Nothing changes when every assignment already has the value. An assignment
 * whose quote never closes is refused: the shell could not read the file either.
 */
export function setShellVar(text: string, key: string, rendered: string, want: string, opts: SetVarOptions = {}): string {
  const lines = splitLines(text);
  const same = opts.same ?? ((v: string) => v === want);
  const all = assignments(lines);
  const broken = all.find((a) => a.value === null);
  if (broken) {
    throw new TemplateError('invalid-value', (lines[broken.index] as Line).text, `line ${broken.index + 1} (${shown((lines[broken.index] as Line).text, 60)}): the quote of ${broken.key} is never closed, so a shell cannot read this file`, 'fix the file by hand (close the quote), then run again');
  }
  const found = all.filter((a) => a.key === key);
  if (found.length > 0) {
    if (found.every((a) => a.value !== null && same(a.value))) return text;
    const next: (Line | null)[] = lines.slice();
    for (const a of found) {
      const last = lines[a.endIndex] as Line;
      next[a.index] = { text: `${a.indent}${a.exportPrefix}${key}=${rendered}`, eol: last.eol };
      for (let i = a.index + 1; i <= a.endIndex; i++) next[i] = null;
    }
    return joinLines(next.filter((l): l is Line => l !== null));
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
