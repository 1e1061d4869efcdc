// Every answer of a host is bounded: output beyond 16 MiB stops the command (holding at most the limit
// plus a chunk), and no exec outlives its timeout by more than the grace period, even when the host
// never answers at all.
import { describe, expect, it } from 'vitest';
import { BoundedTransport, LocalTransport, MAX_OUTPUT_BYTES, TransportError, type ExecResult, type Transport } from '../../src/transport/index.js';

describe('BoundedTransport', () => {
  it('stops a command whose output passes the limit, delivering no more than the limit', async () => {
    const t = new BoundedTransport(new LocalTransport({ target: 'local' }));
    let delivered = 0;
    const t0 = Date.now();
    const e = await t.exec('head -c 200000000 /dev/zero', { onStdout: (c) => (delivered += c.length), timeoutMs: 60_000 }).then(() => null, (x: unknown) => x as TransportError);
    expect(e).toBeInstanceOf(TransportError);
    expect(e!.code).toBe('output-limit');
    expect(e!.message).toMatch(/^local: the command's output went past 16 MiB/);
    expect(delivered).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('output within the limit passes unchanged, and stderr counts too', async () => {
    const t = new BoundedTransport(new LocalTransport(), { maxOutputBytes: 1000 });
    const r = await t.exec('printf ok; printf err >&2');
    expect([r.code, r.stdout.toString(), r.stderr.toString()]).toEqual([0, 'ok', 'err']);
    await expect(t.exec('head -c 600 /dev/zero; head -c 600 /dev/zero >&2')).rejects.toMatchObject({ code: 'output-limit' });
  });

  it('a transport that delivers everything at the end is checked at the end', async () => {
    const big: Transport = {
      target: 'h', roundTrips: 0, async close() {}, onClose() {},
      async exec(): Promise<ExecResult> {
        return { code: 0, signal: null, stdout: Buffer.alloc(2000), stderr: Buffer.alloc(0), lost: false, timedOut: false, durationMs: 1 };
      },
    };
    await expect(new BoundedTransport(big, { maxOutputBytes: 1000 }).exec('x')).rejects.toMatchObject({ code: 'output-limit' });
  });

  it('a host that never answers: timed out after the timeout and the grace, not never', async () => {
    const never: Transport = { target: 'h', roundTrips: 0, async close() {}, onClose() {}, exec: () => new Promise<ExecResult>(() => undefined) };
    const t = new BoundedTransport(never, { graceMs: 50, defaultTimeoutMs: 100 });
    const t0 = Date.now();
    const r = await t.exec('x', { timeoutMs: 100 });
    expect(r).toMatchObject({ code: null, timedOut: true, lost: false });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const r2 = await t.exec('y'); // no timeout of its own: the default applies
    expect(r2.timedOut).toBe(true);
  });

  it('passes every timeout down (default 2 min when none is given)', async () => {
    const seen: (number | undefined)[] = [];
    const spy: Transport = {
      target: 'h', roundTrips: 0, async close() {}, onClose() {},
      async exec(_s, o): Promise<ExecResult> {
        seen.push(o?.timeoutMs);
        return { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), lost: false, timedOut: false, durationMs: 1 };
      },
    };
    const t = new BoundedTransport(spy);
    await t.exec('a');
    await t.exec('b', { timeoutMs: 5000 });
    expect(seen).toEqual([120_000, 5000]);
  });
});
