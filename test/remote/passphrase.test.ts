// Unattended runs never hang on a prompt: a passphrase is asked once per key file (a reconnect — after
// the reboot, to release the lock — reuses it and never prompts), prompts of parallel hosts do not share
// the terminal at once (one prompt, the others wait for its answer), a prompt nobody answers gives up
// after its time limit, and without a terminal there is no prompt at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Ui } from '../../src/ui/io.js';
import { withAsk } from '../../src/commands/remote.js';
import { openHost } from '../../src/remote/connect.js';
import { sshdSkipReason, startPrivateSshd, type PrivateSshd } from '../transport/helpers/private-sshd.js';

/** A terminal: stdin/stderr are TTYs; `answer` types a line when a prompt appears. */
function terminal(answer: ((prompt: string) => string | null) | null) {
  const stdin = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode: (b: boolean) => void };
  stdin.isTTY = true;
  stdin.setRawMode = () => undefined;
  const stderr = new PassThrough() as PassThrough & { isTTY: boolean };
  stderr.isTTY = true;
  const prompts: string[] = [];
  stderr.on('data', (c: Buffer) => {
    const s = c.toString('utf8');
    if (!/passphrase for/.test(s)) return;
    prompts.push(s);
    const a = answer?.(s);
    if (a !== null && a !== undefined) setTimeout(() => stdin.write(a + '\r'), 5);
  });
  const ui = new Ui({ stdin, stdout: new PassThrough(), stderr, env: {} });
  return { ui, prompts };
}

describe('passphrase prompts', () => {
  it('asked once per key: a second connection (the reconnect) reuses it without a prompt', async () => {
    const { ui, prompts } = terminal(() => 'secret');
    const ask = withAsk(ui, {}).askPassphrase!;
    expect(await ask('/k/id_rsa')).toBe('secret');
    expect(await ask('/k/id_rsa')).toBe('secret');
    expect(prompts).toHaveLength(1);
  });

  it('a wrong passphrase is asked again (the second attempt of the same connection)', async () => {
    let n = 0;
    const { ui, prompts } = terminal(() => (++n === 1 ? 'wrong' : 'right'));
    const ask = withAsk(ui, {}).askPassphrase! as (k: string, attempt?: number) => Promise<string | undefined>;
    expect(await ask('/k/a', 0)).toBe('wrong');
    expect(await ask('/k/a', 1)).toBe('right');
    expect(await ask('/k/a', 0)).toBe('right');
    expect(prompts).toHaveLength(2);
  });

  it('parallel hosts: one prompt at a time on the terminal, one answer for the same key', async () => {
    const { ui, prompts } = terminal(() => 'pp');
    const ask = withAsk(ui, {}).askPassphrase!;
    const got = await Promise.all(Array.from({ length: 8 }, () => ask('/k/fleet')));
    expect(got).toEqual(Array(8).fill('pp'));
    expect(prompts).toHaveLength(1);
  });

  it('a prompt nobody answers gives up after its time limit', async () => {
    const { ui, prompts } = terminal(null);
    const ask = withAsk(ui, {}, { promptTimeoutMs: 200 }).askPassphrase!;
    const t0 = Date.now();
    expect(await ask('/k/unattended')).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(prompts).toHaveLength(1);
  });

  it('without a terminal: no prompt', async () => {
    const stderr = new PassThrough();
    const ui = new Ui({ stdin: new PassThrough(), stdout: new PassThrough(), stderr, env: {} });
    expect(await withAsk(ui, {}).askPassphrase!('/k/x')).toBeUndefined();
  });
});

const skip = sshdSkipReason();
describe.skipIf(!!skip)('reconnecting with an encrypted key (private sshd)', () => {
  let sshd: PrivateSshd;
  let tmp: string;
  beforeAll(async () => {
    sshd = await startPrivateSshd();
    tmp = mkdtempSync(join(tmpdir(), 'dom0up-pp-'));
    writeFileSync(join(tmp, 'known_hosts'), `[${sshd.address}]:${sshd.port} ${sshd.hostKeys.ed25519}\n`);
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the reconnect after the reboot does not prompt again (it would wait forever holding the lock)', async () => {
    let prompts = 0;
    const { transport, reconnect } = await openHost(`root@${sshd.address}:${sshd.port}`, {
      identity: [sshd.keys.encrypted], knownHosts: [join(tmp, 'known_hosts')], sshConfig: '/dev/null',
      askPassphrase: async () => {
        prompts++;
        return prompts === 1 ? sshd.encryptedPassphrase : new Promise<string | undefined>(() => undefined); // nobody at the terminal any more
      },
    });
    expect(prompts).toBe(1);
    const t0 = Date.now();
    const again = await reconnect();
    expect((await again.exec('echo ok', { timeoutMs: 10_000 })).stdout.toString()).toBe('ok\n');
    expect(prompts).toBe(1);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await again.close();
    await transport.close();
  });
});
