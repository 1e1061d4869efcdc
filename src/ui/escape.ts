/**
 * The one escaping function for text on a terminal. Text from a host (titles, paths, os-release,
 * yum's output, xl's answers, error details) or from a grub.conf under review may hold escape
 * sequences that would retitle the terminal, move the cursor or erase the diff the operator is about
 * to confirm. `visible()` shows every control character as a visible escape instead:
 *   ESC → \x1b, BEL → \x07, CR → \r, DEL → \x7f, C1 (U+0080–U+009F) → \x9b,
 *   U+2028/U+2029 and the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C)
 *   → \u202e, a lone surrogate → \ud800.
 * Newlines (and TABs, and a CR right before a newline: a CRLF line ending) are kept only for
 * multi-line text (diffs, yum's output); in a one-line field they are shown as \n, \t and \r, so a
 * host cannot forge lines of the output either.
 *
 * The UI renders host text through it, and every string the UI writes passes it once more at the
 * sink (Ui.print / Ui.note, keeping only the colour codes of the UI's own palette). Bytes that must
 * stay exact — a diff or a grub.conf written to a pipe or a file, `--json` — are not escaped
 * (JSON escapes control characters itself; Ui.json also escapes C1 and the separators).
 */

// eslint-disable-next-line no-control-regex
const UNSAFE_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|\p{Cs}/gu;
// eslint-disable-next-line no-control-regex
const UNSAFE_MULTI_LINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|\p{Cs}/gu;
/** The SGR codes of the UI's own palette (io.ts): colours, bold, dim and their resets. */
const OWN_SGR = /\u001b\[(?:1|2|22|31|32|33|36|39)m/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface VisibleOptions {
  /** Keep newlines and TABs (a diff, a command's output). Default: one line, they are escaped too. */
  multiline?: boolean;
  /** Keep the colour codes of the UI's own palette (the sink, after rendering). */
  keepOwnColours?: boolean;
}

/** `text` with every control character shown as a visible escape (see the module comment). */
export function visible(text: string, opts: VisibleOptions = {}): string {
  const re = opts.multiline ? UNSAFE_MULTI_LINE : UNSAFE_ONE_LINE;
  // in multi-line text a CR right before a LF is a line ending (a CRLF file): harmless, kept
  const esc = (s: string) => s.replace(re, (c, at: number, all: string) => (opts.multiline && c === '\r' && all[at + 1] === '\n' ? c : escapeChar(c)));
  if (!opts.keepOwnColours) return esc(text);
  let out = '';
  let at = 0;
  for (const m of text.matchAll(OWN_SGR)) {
    out += esc(text.slice(at, m.index)) + m[0];
    at = (m.index ?? 0) + m[0].length;
  }
  return out + esc(text.slice(at));
}

/** For JSON: the same characters as \uXXXX escapes (JSON.stringify leaves DEL, C1 and these as they are). */
export function jsonSafe(json: string): string {
  // eslint-disable-next-line no-control-regex
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
