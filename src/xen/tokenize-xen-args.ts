import { isKnownXenOption } from './known-xen-options.js';

/** One hypervisor option as written: `name` is the text before the first `=`, `value` the text after it (null without `=`). */
export interface XenToken {
  readonly name: string;
  readonly value: string | null;
  readonly text: string;
}

/** Blanks that separate options. (Xen itself splits on spaces only; a tab inside a token is refused by the validator.) */
const BLANKS = /[ \t]+/;

/** Parse one option token (no blanks inside). */
export function parseXenToken(text: string): XenToken {
  const eq = text.indexOf('=');
  return eq < 0 ? { name: text, value: null, text } : { name: text.slice(0, eq), value: text.slice(eq + 1), text };
}

/** Build a token from a name and value. */
export function makeXenToken(name: string, value: string | null = null): XenToken {
  return { name, value, text: value === null ? name : `${name}=${value}` };
}

/** Split a hypervisor argument string on runs of blanks. */
export function tokenizeXenArgs(line: string): XenToken[] {
  return line
    .split(BLANKS)
    .filter((t) => t !== '')
    .map(parseXenToken);
}

/** Join tokens with single spaces. `formatXenArgs(tokenizeXenArgs(s)) === s` for single-space-separated `s`. */
export function formatXenArgs(tokens: readonly XenToken[]): string {
  return tokens.map((t) => (t.value === null ? t.name : `${t.name}=${t.value}`)).join(' ');
}

/**
 * The option a token refers to. Xen 4.10 strips a `no-` prefix before looking a name up (`no-dom0_vcpus_pin` is
 * `dom0_vcpus_pin` set to false), so `no-X` is reported as `X` with `negated: true` when `X` is a known option.
 * `extraNames` adds names (for example forced unknown options) that should be treated the same way.
 */
export function canonicalName(
  token: Pick<XenToken, 'name' | 'value'>,
  extraNames?: ReadonlySet<string>,
): { name: string; negated: boolean } {
  const { name } = token;
  if (name.startsWith('no-') && !isKnownXenOption(name, token.value !== null)) {
    const rest = name.slice(3);
    if (isKnownXenOption(rest, token.value !== null) || extraNames?.has(rest)) return { name: rest, negated: true };
  }
  return { name, negated: false };
}

/** A piece of a lossless split: the blanks before a token, and the token. */
export interface XenArgPiece {
  readonly sep: string;
  readonly text: string;
}

/** Lossless split: `pieces.map(p => p.sep + p.text).join('') + trailing === line`. */
export function lexXenArgs(line: string): { pieces: XenArgPiece[]; trailing: string } {
  const pieces: XenArgPiece[] = [];
  const re = /([ \t]*)([^ \t]+)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(line)) !== null) {
    pieces.push({ sep: m[1] ?? '', text: m[2] ?? '' });
    end = re.lastIndex;
  }
  return { pieces, trailing: line.slice(end) };
}
