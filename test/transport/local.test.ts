import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/transport/errors.js';
import { sh } from '../../src/transport/quote.js';
import { LocalTransport, succeeded } from '../../src/transport/transport.js';

describe('LocalTransport', () => {
  it('runs /bin/sh -c and reports exit codes, output and signals', async () => {
    const t = new LocalTransport();
    expect(t.target).toBe('local');
    const r = await t.exec('echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ code: 3, signal: null, lost: false, timedOut: false });
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
    expect(succeeded(r)).toBe(false);
    const s = await t.exec('kill -TERM $$');
    expect(s).toMatchObject({ code: null, signal: 'SIGTERM' });
    const q = await t.exec(sh`printf '%s' ${"a'b $(c) `d`"}`);
    expect(q.stdout.toString()).toBe("a'b $(c) `d`");
    expect(t.roundTrips).toBe(3);
    await t.close();
  });

  it('passes binary stdin through and streams output', async () => {
    const t = new LocalTransport();
    const data = randomBytes(256 * 1024);
    const chunks: Buffer[] = [];
    const r = await t.exec('cat', { stdin: data, onStdout: (c) => chunks.push(c) });
    expect(r.stdout.equals(data)).toBe(true);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    // a script that ignores stdin does not break
    expect((await t.exec('true', { stdin: data })).code).toBe(0);
  });

  it('times out and kills the whole process tree', async () => {
    const t = new LocalTransport();
    const started = Date.now();
    const r = await t.exec('sleep 30 & sleep 30; wait', { timeoutMs: 200 });
    expect(r).toMatchObject({ code: null, timedOut: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects with AbortError when aborted', async () => {
    const t = new LocalTransport();
    const ac = new AbortController();
    const p = t.exec('sleep 30', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    ac.abort();
    await expect(t.exec('true', { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('sudo: a no-op as root, an error otherwise', async () => {
    const t = new LocalTransport();
    if (process.getuid?.() === 0) {
      expect((await t.exec('id -u', { sudo: true })).stdout.toString()).toBe('0\n');
    } else {
      await expect(t.exec('id -u', { sudo: true })).rejects.toMatchObject({ code: 'sudo-failed' });
    }
  });

  it('close() fires onClose and refuses further commands', async () => {
    const t = new LocalTransport({ target: 'offline' });
    const reasons: string[] = [];
    t.onClose((r) => reasons.push(r));
    await t.close();
    expect(reasons).toEqual(['closed']);
    await expect(t.exec('true')).rejects.toBeInstanceOf(TransportError);
  });
});
