/**
 * A fact is one piece of remote state: a POSIX sh command (for CentOS 6: bash 4.1, coreutils
 * 8.4, no python assumed) and a pure parser of its output. Facts are gathered together in one
 * round trip (gather.ts) and parsed separately, so each parser is tested against captured output.
 */
export interface FactOutput {
  /** Everything the command printed on stdout (stderr is discarded). */
  stdout: string;
  /** Exit status of the command. */
  rc: number;
}

export interface Fact<T> {
  readonly name: string;
  readonly command: string;
  parse(out: FactOutput): T;
}

export function fact<T>(name: string, command: string, parse: (out: FactOutput) => T): Fact<T> {
  return { name, command, parse };
}

/** Decodes base64 text (whitespace ignored); '' for an absent file marker is handled by callers. */
export function fromBase64(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'base64');
}

/** Lines of a command's output without the trailing empty line. */
export function lines(s: string): string[] {
  const out = s.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** `KEY=value` lines into a map (first `=` splits; the last value of a key wins). */
export function keyValues(s: string): Map<string, string> {
  return keyValueLines(s).kv;
}

/** `KEY=value` lines; the keys in `listKeys` may repeat and are collected in order. */
export function keyValueLines(s: string, listKeys: readonly string[] = []): { kv: Map<string, string>; lists: Map<string, string[]> } {
  const kv = new Map<string, string>();
  const lists = new Map<string, string[]>(listKeys.map((k) => [k, []]));
  for (const l of lines(s)) {
    const i = l.indexOf('=');
    if (i <= 0) continue;
    const k = l.slice(0, i);
    const v = l.slice(i + 1);
    const list = lists.get(k);
    if (list) list.push(v);
    else kv.set(k, v);
  }
  return { kv, lists };
}
