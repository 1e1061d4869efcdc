/**
 * POSIX sh quoting. Every piece of user input that ends up in remote shell text goes through here.
 *
 * Policy:
 * - `shellQuote` (arguments): single-quote style. Refuses every C0 control character (U+0000–U+001F,
 *   which includes NUL, TAB, LF and CR), DEL (U+007F) and lone UTF-16 surrogates (they cannot be
 *   encoded, so the remote side would see something else). A file name or option value containing
 *   any of those is almost certainly a mistake or an attack; refusing is safer than transporting it.
 * - `quoteScript` (a whole script handed to `sh -c`): refuses only NUL and lone surrogates, because
 *   scripts legitimately contain newlines and tabs.
 */
import { TransportError } from './errors.js';

// eslint-disable-next-line no-control-regex
const UNSAFE_ARG = /[\u0000-\u001f\u007f]|\p{Cs}/u;
// eslint-disable-next-line no-control-regex
const UNSAFE_SCRIPT = /\u0000|\p{Cs}/u;
/** Characters that never need quoting as an argument (not in command position). */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** A word that can stand unquoted in command position (no `=`: that would be an assignment). */
const PLAIN_COMMAND = /^[A-Za-z0-9_@%+:,./-]+$/;
const RESERVED = new Set([
  '!', '{', '}', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'if', 'in', 'then', 'until', 'while',
  // not POSIX-reserved, but reserved in bash/ksh (which is /bin/sh on CentOS)
  'function', 'select', 'time', '[[', ']]',
]);

/** Show a refused value safely: control characters escaped, long values shortened. */
export function describeArgument(arg: string): string {
  const shown = arg.length > 60 ? `${arg.slice(0, 57)}...` : arg;
  return JSON.stringify(shown).replace(/[\u007f-\u009f]|\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function unsafe(arg: string, what: string): TransportError {
  return new TransportError('unsafe-argument', '', `refusing to pass ${what} ${describeArgument(arg)} to a shell: it contains a control character, NUL or invalid Unicode`, {
    hint: 'file names and values with control characters (newline, tab, escape, NUL, DEL) are not supported',
  });
}

function singleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Quote one argument for POSIX sh. Plain words stay readable (`/etc/grub.conf`), the rest is single-quoted. */
export function shellQuote(arg: string): string {
  if (typeof arg !== 'string') throw new TypeError(`shellQuote: expected a string, got ${typeof arg}`);
  if (UNSAFE_ARG.test(arg)) throw unsafe(arg, 'the argument');
  if (arg !== '' && PLAIN.test(arg)) return arg;
  return singleQuote(arg);
}

/**
 * Quote a complete script (multi-line text is fine) so it survives as ONE argument, e.g. for
 * `sh -c <script>` or `sudo -n sh -c <script>`.
 */
export function quoteScript(script: string): string {
  if (UNSAFE_SCRIPT.test(script)) throw unsafe(script, 'the script');
  return singleQuote(script);
}

/** Quote a command word: like shellQuote, but words that sh would treat as syntax are quoted too. */
function quoteCommandWord(word: string): string {
  if (UNSAFE_ARG.test(word)) throw unsafe(word, 'the command');
  if (word !== '' && PLAIN_COMMAND.test(word) && !RESERVED.has(word)) return word;
  return singleQuote(word);
}

/** `['cat', '/etc/grub.conf']` → `cat /etc/grub.conf`; each word quoted as needed. */
export function shellCommand(argv: readonly string[]): string {
  const [first, ...rest] = argv;
  if (first === undefined) throw new TypeError('shellCommand: empty argv');
  return [quoteCommandWord(first), ...rest.map(shellQuote)].join(' ');
}

/** A piece of shell text that `sh` inserts verbatim (for composing scripts out of fragments). */
export class ShellFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/**
 * Insert trusted shell text verbatim into an `sh` template. Only use it for text that was itself
 * built with `sh`/`shellCommand`, or for constants written in the source code.
 */
export function raw(text: string): ShellFragment {
  return new ShellFragment(text);
}

export type ShellValue = string | number | bigint | ShellFragment | readonly (string | number | bigint)[];

function interpolate(value: ShellValue): string {
  if (value instanceof ShellFragment) return value.text;
  if (typeof value === 'string') return shellQuote(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`sh: refusing to interpolate the number ${value}`);
    return shellQuote(String(value));
  }
  if (Array.isArray(value)) {
    return (value as readonly (string | number | bigint)[]).map((v) => interpolate(v)).join(' ');
  }
  throw new TypeError(`sh: cannot interpolate a value of type ${typeof value}`);
}

/**
 * Tagged template that quotes every interpolation:
 *
 *     sh`cat ${path} > ${dest}`           // → cat '/tmp/a b' > /etc/x
 *     sh`rpm -q ${['xen', 'kernel']}`      // arrays become several quoted words
 *     sh`${raw(otherScript)} && echo ok`  // trusted fragments go in verbatim
 *
 * The literal parts are the caller's own source text and are inserted as is. Do not put an
 * interpolation inside quotes in the template (`'${x}'`): it is already quoted.
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += interpolate(values[i] as ShellValue) + (strings[i + 1] ?? '');
  }
  return out;
}
