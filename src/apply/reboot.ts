/**
 * Reboot and wait: record boot_id, start the reboot detached (so the command returns at once
 * and "no exit status" does not matter), wait for the connection to drop, then reconnect with
 * the SAME host key until a new boot_id answers — all within one deadline, naming the phase.
 */
import { abortError, sh, type ExecResult, type Transport } from '../transport/index.js';
import { RemoteError } from '../errors.js';

export interface RebootOptions {
  transport: Transport;
  /** Opens a new connection; must verify the host key equals the one seen before (pinned). */
  reconnect: () => Promise<Transport>;
  /** Cheap check that sshd accepts connections (polled every 100 ms before a full SSH reconnect). */
  probe?: () => Promise<boolean>;
  bootId: string;
  /** Absolute deadline (Date.now() based). */
  deadline: number;
  onProgress?: (text: string) => void;
  /** Sleep between reconnect attempts while the host is down (ms, default 250, doubling to maxPollMs). */
  pollMs?: number;
  maxPollMs?: number;
  /** How long the old connection may stay up after the reboot command (ms). */
  dropTimeoutMs?: number;
  /** What to tell the operator when the host does not come back (console / rollback advice). */
  advice?: string;
  /** Stops the wait (Ctrl-C): rejects with an AbortError. The reboot itself may be under way. */
  signal?: AbortSignal;
  /** Called when the reboot command has been sent (from then on the host may reboot). */
  onCommandSent?: () => void;
  /**
   * Sends the reboot (default: rebootCommand(token) alone). A caller that has more to do on the
   * host first (the run's last writes, its reboot lease) sends one script ending in
   * rebootCommand(token); a non-zero exit before the reboot part fails the reboot step.
   */
  send?: (token: string) => Promise<ExecResult>;
  /** Describes a failed send (the script's own failure, e.g. a write refused) — thrown as is. */
  onSendFailed?: (r: ExecResult) => Error;
  /**
   * The old boot answers without the marker (the script that ends in the reboot never completed):
   * with `send`, what to throw instead of sending the reboot alone (the script's other work —
   * writes, the one-shot boot — may not have happened; only a new run knows what the host has).
   */
  onMarkerMissing?: () => Error;
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
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const REBOOT_COMMAND = "nohup sh -c 'sleep 0.5; /sbin/shutdown -r now' >/dev/null 2>&1 </dev/null &";
/**
 * The reboot command leaves this marker (in the boot that is going down) before it starts the
 * shutdown. A reconnect that finds the old boot_id and no marker knows the command never ran
 * (the connection dropped before it arrived) and sends it again.
 */
export const REBOOT_MARKER = '/var/run/dom0up-reboot';

export function rebootCommand(token: string): string {
  return sh`printf '%s\n' ${token} > ${REBOOT_MARKER} 2>/dev/null; ` + REBOOT_COMMAND;
}

/** boot_id, then the marker (empty when absent), in one round trip. */
const PROBE = sh`cat /proc/sys/kernel/random/boot_id; cat ${REBOOT_MARKER} 2>/dev/null; true`;

function parseProbe(out: string): { bootId: string; marker: string } {
  const [bootId = '', marker = ''] = out.split('\n').map((l) => l.trim());
  return { bootId, marker };
}

export async function rebootAndWait(o: RebootOptions): Promise<RebootResult> {
  const t0 = Date.now();
  const target = o.transport.target;
  const left = () => o.deadline - Date.now();
  const signal = o.signal;
  const checkAbort = () => {
    if (signal?.aborted) throw abortError(signal);
  };
  checkAbort();
  let dropped = false;
  o.transport.onClose(() => {
    dropped = true;
  });
  const token = `${o.bootId} ${t0}`;
  const command = rebootCommand(token);
  o.onCommandSent?.();
  const r = o.send ? await o.send(token) : await o.transport.exec(command, { sudo: true, timeoutMs: Math.max(1000, Math.min(30_000, left())) });
  if (!r.lost && r.code !== 0 && r.code !== null) {
    if (o.onSendFailed) throw o.onSendFailed(r);
    throw new RemoteError(target, 'reboot', `the reboot command failed (exit ${r.code}): ${r.stderr.toString('utf8').trim().slice(0, 300)}`);
  }
  // no exit status (the connection dropped first): the reboot may or may not have started; the
  // marker tells once the host answers again. Success is decided by a new boot_id only.
  o.onProgress?.(r.lost ? 'the connection dropped while sending the reboot command; waiting to see whether the host goes down' : 'reboot started; waiting for the host to go down');
  const dropMs = o.dropTimeoutMs ?? 120_000;
  const dropBy = Date.now() + dropMs;
  // wait for the connection to drop (an event, no round trips); ask the old boot only now and then
  let lastProbe = Date.now();
  while (!dropped && Date.now() < Math.min(dropBy, o.deadline)) {
    checkAbort();
    await sleep(100, signal);
    if (dropped || Date.now() - lastProbe < 5000) continue;
    lastProbe = Date.now();
    const probe = await o.transport.exec('cat /proc/sys/kernel/random/boot_id', { timeoutMs: 5000 }).catch(() => null);
    if (!probe || probe.lost) break;
    const id = probe.stdout.toString('utf8').trim();
    if (UUID.test(id) && id !== o.bootId) break; // already back (extremely fast reboot): fine
  }
  await o.transport.close().catch(() => undefined);
  if (!dropped && Date.now() >= dropBy) {
    throw new RemoteError(target, 'reboot', `the host did not go down within ${Math.round(dropMs / 1000)} s of the reboot command`, 'check the host (shutdown may be blocked); nothing else was changed after the grub.conf write');
  }
  let delay = o.pollMs ?? 250;
  let attempts = 0;
  let lastError = '';
  let resent = 0;
  let oldSince = 0;
  for (;;) {
    checkAbort();
    if (left() <= 0) {
      throw new RemoteError(target, 'reboot (waiting for the host)', `the host did not come back within the deadline (${Math.round((Date.now() - t0) / 1000)} s after the reboot command; last error: ${lastError || 'none'})`,
        o.advice ?? 'use the console: the one-shot boot falls back to the previous default on the next reboot; `dom0up rollback HOST` restores the previous grub.conf once it answers');
    }
    if (o.probe) {
      // poll the port cheaply; a full SSH connect only once sshd accepts (keeps detection well under a second)
      let up = false;
      while (!up && left() > 0) {
        checkAbort();
        up = await o.probe();
        if (!up) {
          o.onProgress?.(`host down (${Math.round((Date.now() - t0) / 1000)} s)`);
          await sleep(100, signal);
        }
      }
      if (!up) continue;
    }
    attempts++;
    let conn: Transport;
    const connectStarted = Date.now();
    try {
      conn = await o.reconnect();
    } catch (e) {
      const err = e as Error & { code?: string; target?: string; hint?: string };
      if (err.code === 'host-key-changed' || err.code === 'host-key-unknown' || err.code === 'auth-failed') {
        const msg = err.target && err.message.startsWith(`${err.target}: `) ? err.message.slice(err.target.length + 2) : err.message;
        throw new RemoteError(target, 'reboot (reconnecting)', msg, err.hint);
      }
      lastError = err.message;
      o.onProgress?.(`host down (${Math.round((Date.now() - t0) / 1000)} s; ${err.code ?? 'no answer'})`);
      await sleep(Math.min(delay, Math.max(0, left())), signal);
      delay = Math.min(delay * 2, o.maxPollMs ?? 1000);
      continue;
    }
    const probe = await conn.exec(PROBE, { timeoutMs: 10_000 }).catch(() => null);
    const { bootId: newId, marker } = probe && probe.code === 0 ? parseProbe(probe.stdout.toString('utf8')) : { bootId: '', marker: '' };
    if (UUID.test(newId) && newId !== o.bootId) {
      return { transport: conn, newBootId: newId, totalMs: Date.now() - t0, detectMs: Date.now() - connectStarted, attempts };
    }
    if (newId === o.bootId) {
      if (!oldSince) oldSince = Date.now();
      // the old boot answers without the marker: the reboot command never ran. Send it again.
      if (marker !== token && o.onMarkerMissing) {
        await conn.close().catch(() => undefined);
        throw o.onMarkerMissing();
      }
      if (marker !== token && resent < 3) {
        resent++;
        o.onProgress?.('the reboot command did not reach the host (the connection dropped before it); sending it again');
        const again = await conn.exec(command, { sudo: true, timeoutMs: Math.max(1000, Math.min(30_000, left())) }).catch(() => null);
        if (again && !again.lost && again.code !== 0 && again.code !== null) {
          await conn.close().catch(() => undefined);
          throw new RemoteError(target, 'reboot', `the reboot command failed (exit ${again.code}): ${again.stderr.toString('utf8').trim().slice(0, 300)}`);
        }
      } else if (Date.now() - oldSince > dropMs) {
        await conn.close().catch(() => undefined);
        throw new RemoteError(target, 'reboot', `the host did not go down within ${Math.round(dropMs / 1000)} s of the reboot command`, 'check the host (shutdown may be blocked); nothing else was changed after the grub.conf write');
      }
    }
    // same boot (still going down) or no answer: try again
    await conn.close().catch(() => undefined);
    lastError = newId === o.bootId ? 'the old boot still answers' : 'no boot_id';
    await sleep(Math.min(250, Math.max(0, left())), signal);
  }
}
