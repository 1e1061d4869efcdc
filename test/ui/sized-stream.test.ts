// A terminal that reports 0 columns (`script` or `ssh -t` from a pipe, a serial console) gets a width
// for the spinner (ora divided by 0 and spun forever); the stream stays the same object, resizes count.
// The end-to-end proof is test/terminal/apply.test.ts (apply on a 0×0 pseudo-terminal).
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { sizedStream } from '../../src/ui/progress.js';

const tty = (columns: number) => Object.assign(new PassThrough(), { isTTY: true, columns });

describe('sizedStream', () => {
  it('a terminal of 0 columns reads 100; the stream is the same object', () => {
    const s = tty(0);
    expect(sizedStream(s)).toBe(s);
    expect(s.columns).toBe(100);
  });

  it('a terminal with a width keeps it, and a resize (node sets columns) is seen at once', () => {
    const s = sizedStream(tty(72));
    expect(s.columns).toBe(72);
    s.columns = 130;
    expect(s.columns).toBe(130);
    s.columns = 0;
    expect(s.columns).toBe(100);
  });

  it('not a terminal, or already done: left as it is', () => {
    const p = Object.assign(new PassThrough(), { columns: 0 });
    expect(sizedStream(p).columns).toBe(0);
    const s = sizedStream(tty(0));
    expect(sizedStream(s).columns).toBe(100);
  });
});
