/**
 * Reboot and wait: record boot_id, start the reboot detached (so the command returns at once
 * and "no exit status" does not matter), wait for the connection to drop, then reconnect with
 * the SAME host key until a new boot_id answers — all within one deadline, naming the phase.
 */
import type { Transport } from '../transport/index.js';
import { RemoteError } from '../errors.js';

export interface RebootOptions {
  transport: Transport;
  /** Opens a new connection; must verify the host key equals the one seen before (pinned). */
  reconnect: () => Promise<Transport>;
  bootId: string;
  /** Absolute deadline (Date.now() based). */
  deadline: number;
  onProgress?: (text: string) => void;
  /** Sleep between reconnect attempts while the host is down (ms, default 250, doubling to maxPollMs). */
  pollMs?: number;
  maxPollMs?: number;
  /** How long the old connection may stay up after the reboot command (ms). */
  dropTimeoutMs?: number;
}

export interface RebootResult {
  transport: Transport;
  newBootId: string;
  /** From the reboot command to the new boot_id (ms). */
  totalMs: number;
  /** From the first successful TCP/SSH connect after the drop to reading the new boot_id (ms). */
  detectMs: number;
  attempts: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const REBOOT_COMMAND = "nohup sh -c 'sleep 1; /sbin/shutdown -r now' >/dev/null 2>&1 </dev/null &";

export async function rebootAndWait(o: RebootOptions): Promise<RebootResult> {
  const t0 = Date.now();
  const target = o.transport.target;
  const left = () => o.deadline - Date.now();
  let dropped = false;
  o.transport.onClose(() => {
    dropped = true;
  });
  const r = await o.transport.exec(REBOOT_COMMAND, { sudo: true, timeoutMs: Math.max(1000, Math.min(30_000, left())) });
  if (!r.lost && r.code !== 0 && r.code !== null) {
    throw new RemoteError(target, 'reboot', `the reboot command failed (exit ${r.code}): ${r.stderr.toString('utf8').trim().slice(0, 300)}`);
  }
  o.onProgress?.('reboot started; waiting for the host to go down');
  const dropBy = Date.now() + (o.dropTimeoutMs ?? 120_000);
  while (!dropped && Date.now() < Math.min(dropBy, o.deadline)) {
    // the connection usually drops within a second; a host that keeps answering has not rebooted yet
    const probe = await o.transport.exec('cat /proc/sys/kernel/random/boot_id', { timeoutMs: 5000 }).catch(() => null);
    if (!probe || probe.lost) break;
    const id = probe.stdout.toString('utf8').trim();
    if (UUID.test(id) && id !== o.bootId) break; // already back (extremely fast reboot): fine
    await sleep(250);
  }
  await o.transport.close().catch(() => undefined);
  if (!dropped && Date.now() >= dropBy) {
    throw new RemoteError(target, 'reboot', `the host did not go down within ${Math.round((o.dropTimeoutMs ?? 120_000) / 1000)} s of the reboot command`, 'check the host (shutdown may be blocked); nothing else was changed after the grub.conf write');
  }
  let delay = o.pollMs ?? 250;
  let attempts = 0;
  let lastError = '';
  for (;;) {
    if (left() <= 0) {
      throw new RemoteError(target, 'reboot (waiting for the host)', `the host did not come back within the deadline (${Math.round((Date.now() - t0) / 1000)} s after the reboot; last error: ${lastError || 'none'})`,
        'use the console: the one-shot boot falls back to the previous default on the next reboot; `dom0up rollback HOST` restores the previous grub.conf once it answers');
    }
    attempts++;
    let conn: Transport;
    const connectStarted = Date.now();
    try {
      conn = await o.reconnect();
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === 'host-key-changed' || err.code === 'host-key-unknown' || err.code === 'auth-failed') {
        throw new RemoteError(target, 'reboot (reconnecting)', err.message.replace(/^[^:]*: /, ''), (err as { hint?: string }).hint);
      }
      lastError = err.message;
      o.onProgress?.(`host down (${Math.round((Date.now() - t0) / 1000)} s; ${err.code ?? 'no answer'})`);
      await sleep(Math.min(delay, Math.max(0, left())));
      delay = Math.min(delay * 2, o.maxPollMs ?? 1000);
      continue;
    }
    const id = await conn.exec('cat /proc/sys/kernel/random/boot_id', { timeoutMs: 10_000 }).catch(() => null);
    const newId = id && id.code === 0 ? id.stdout.toString('utf8').trim() : '';
    if (UUID.test(newId) && newId !== o.bootId) {
      return { transport: conn, newBootId: newId, totalMs: Date.now() - t0, detectMs: Date.now() - connectStarted, attempts };
    }
    // same boot (still going down) or no answer: try again
    await conn.close().catch(() => undefined);
    lastError = newId === o.bootId ? 'the old boot still answers' : 'no boot_id';
    await sleep(Math.min(250, Math.max(0, left())));
  }
}
