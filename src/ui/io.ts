/**
 * The only place that writes to the terminal. Commands return data; this module renders it.
 * Colour only on a TTY, never with NO_COLOR (any non-empty value) or TERM=dumb, unless
 * forced with --color.
 */
import { jsonSafe, visible } from './escape.js';

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function processStreams(): Streams {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: boolean): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export type Paint = (s: string) => string;
export interface Palette {
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
  bold: Paint;
  dim: Paint;
}

const code = (open: number, close: number): Paint => (s) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain: Paint = (s) => s;

export function palette(on: boolean): Palette {
  return on
    ? { red: code(31, 39), green: code(32, 39), yellow: code(33, 39), cyan: code(36, 39), bold: code(1, 22), dim: code(2, 22) }
    : { red: plain, green: plain, yellow: plain, cyan: plain, bold: plain, dim: plain };
}

export class Ui {
  readonly out: Palette;
  readonly err: Palette;
  constructor(readonly streams: Streams, colorFlag?: boolean) {
    this.out = palette(colorWanted(streams.stdout, streams.env, colorFlag));
    this.err = palette(colorWanted(streams.stderr, streams.env, colorFlag));
  }
  /**
   * Writes human output to stdout. A string passes the escaping function once more (control
   * characters shown visibly, only the palette's own colours kept); a Buffer is written as-is (exact
   * bytes for a pipe or a file, e.g. a diff or a latin1 grub.conf).
   */
  print(text: string | Buffer): void {
    this.streams.stdout.write(typeof text === 'string' ? visible(text, { multiline: true, keepOwnColours: true }) : text);
  }
  /** Writes a line to stderr (progress, warnings, errors), escaped like print(). */
  note(text: string): void {
    const safe = visible(text, { multiline: true, keepOwnColours: true });
    this.streams.stderr.write(safe.endsWith('\n') ? safe : safe + '\n');
  }
  /** One JSON document: exact values (DEL, C1 and the Unicode separators as \u escapes). */
  json(value: unknown): void {
    this.streams.stdout.write(jsonSafe(JSON.stringify(value, null, 2)) + '\n');
  }
  /** Is stdout a terminal (escape what is printed there) rather than a pipe or a file (exact bytes)? */
  get stdoutIsTerminal(): boolean {
    return this.streams.stdout.isTTY === true;
  }
  get interactive(): boolean {
    return this.streams.stdin?.isTTY === true && this.streams.stderr.isTTY === true && !this.streams.env.CI;
  }
}
