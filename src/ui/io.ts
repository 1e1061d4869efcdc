/**
 * The only place that writes to the terminal. Commands return data; this module renders it.
 * Colour only on a TTY, never with NO_COLOR (any non-empty value) or TERM=dumb, unless
 * forced with --color.
 */
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
  /** Writes to stdout (a Buffer is written as-is, e.g. a latin1 grub.conf). */
  print(text: string | Buffer): void {
    this.streams.stdout.write(text);
  }
  /** Writes a line to stderr (progress, warnings, errors). */
  note(text: string): void {
    this.streams.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }
  json(value: unknown): void {
    this.streams.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
  get interactive(): boolean {
    return this.streams.stdin?.isTTY === true && this.streams.stderr.isTTY === true && !this.streams.env.CI;
  }
}
