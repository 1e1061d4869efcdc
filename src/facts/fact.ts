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

/**
 * An answer a parser cannot read: not the format its command prints, not plausible, or too large.
 * gatherFacts turns it into a RemoteError naming the host, the phase and the fact (exit 1), so a run
 * stops before anything is planned from a fact it could not read.
 */
export class FactParseError extends Error {
  override readonly name = 'FactParseError';
}

/** Largest file a fact reads whole (grub.conf, a .repo file, sysconfig files): real ones are a few KiB. */
export const MAX_FACT_FILE_BYTES = 1024 * 1024;

/**
 * Decodes base64 text (whitespace ignored) strictly: anything but the base64 alphabet, or a file
 * larger than `maxBytes`, is a FactParseError ('' for an absent file marker is handled by callers).
 */
export function fromBase64(s: string, what = 'a file', maxBytes = MAX_FACT_FILE_BYTES): Buffer {
  const b = s.replace(/\s+/g, '');
  if (b.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b)) throw new FactParseError(`${what}: not base64 (${JSON.stringify(b.slice(0, 20))}…)`);
  if ((b.length / 4) * 3 > maxBytes + 2) throw new FactParseError(`${what}: larger than ${Math.round(maxBytes / 1048576)} MiB (about ${Math.round((b.length / 4) * 3 / 1048576)} MiB); no real one is`);
  return Buffer.from(b, 'base64');
}

/** A decimal number of at most `max` (a FactParseError otherwise; `null` input stays null). */
export function boundedNumber(v: string | undefined, what: string, max: number): number | null {
  if (v === undefined || v === '') return null;
  if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) > max) throw new FactParseError(`${what} ${JSON.stringify(v.slice(0, 24))} is not a plausible number (at most ${max})`);
  return Number(v);
}

/** Lines of a command's output without the trailing empty line. */
export function lines(s: string): string[] {
  const out = s.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * The output of a key=value fact holds only its own keys: any other non-empty line (binary, another
 * command's output, a name with a newline in it) means the answer cannot be read.
 */
export function onlyKeys(s: string, known: readonly string[]): void {
  for (const l of lines(s)) {
    if (l === '') continue;
    const i = l.indexOf('=');
    if (i <= 0 || !known.includes(l.slice(0, i))) throw new FactParseError(`unexpected line ${JSON.stringify(l.slice(0, 40))} (expected ${known.join('=, ')}=)`);
  }
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
