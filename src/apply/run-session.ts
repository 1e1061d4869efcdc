/**
 * One run's conversation with its host: the lock (a lease renewed by every script), the run
 * journal, and the queue of step records that ride along with the next script (so recording a
 * step costs no round trip of its own). Each call is one SSH command; every failure becomes a
 * RemoteError naming the host and the phase.
 */
import { randomBytes } from 'node:crypto';
import { RemoteError } from '../errors.js';
import type { Transport, ExecResult } from '../transport/index.js';
import { parseLockInfo, RUNS_DIR } from '../facts/index.js';
import {
  acquireLockScript,
  HOST_EXIT,
  journalScript,
  leaseGuard,
  LEASE_S,
  releaseLockScript,
  scriptOutput,
  type LockOwner,
} from './host-scripts.js';
import type { StepRecord } from './run-journal.js';

export class LockRefusedError extends RemoteError {
  constructor(target: string, phase: string, message: string, hint: string) {
    super(target, phase, message, hint);
  }
}

/** What the lock output says about its holder. */
export function describeLockRefusal(stdout: string): { message: string; hint: string } {
  const { kv } = scriptOutput(stdout);
  const age = Number(kv.get('lock_age') ?? NaN);
  const until = Number(kv.get('lock_until') ?? 0);
  const now = Number(kv.get('lock_now') ?? NaN);
  const body = /lock_begin\n([\s\S]*?)\nlock_end/.exec(stdout)?.[1] ?? '';
  const ownerLine = /^owner=(.*)$/m.exec(body)?.[1];
  const owner = ownerLine ? parseLockInfo(ownerLine) : parseLockInfo(body);
  const who = owner ? `run ${owner.runId} (${owner.command}) from ${owner.controller} pid ${owner.pid}, started ${owner.startedAt}` : 'another dom0up run';
  if (/^yum=/m.test(body) && owner) {
    // that run stopped while its detached yum install went on (yumLockHandOffScript)
    return {
      message: `the yum install xen of run ${owner.runId} still runs on the host (that run stopped; the install goes on, detached) and holds the host lock (renewed ${Number.isFinite(age) ? `${age} s` : '?'} ago)`,
      hint: `run again when it has ended: the lock is released then (its output: ${RUNS_DIR}/${owner.runId}/yum.log on the host)`,
    };
  }
  if (kv.get('lock_live') === '1' || (kv.get('lock_live') === undefined && Number.isFinite(age) && age < LEASE_S)) {
    return {
      message: `${who} holds the host lock and renewed it ${age} s ago: it is running`,
      hint: 'wait for it to finish (a run whose controller died releases the lock after ' + `${LEASE_S} s without renewal)`,
    };
  }
  const left = Number.isFinite(now) ? Math.max(0, until - now) : NaN;
  return {
    message: `${who} is rebooting this host and holds the lock for ${Number.isFinite(left) ? `${Math.ceil(left / 60)} more min` : 'a while'} (last renewed ${Number.isFinite(age) ? `${Math.round(age / 60)} min` : '?'} ago)`,
    hint: 'wait for it to verify the host, or --break-lock if that run is gone (its reboot lease is then ignored)',
  };
}

export class RunSession {
  /** Step records not yet written to the host's journal. */
  private pending: StepRecord[] = [];
  locked = false;
  constructor(
    public t: Transport,
    readonly runId: string,
    readonly owner: LockOwner,
  ) {}

  record(step: string, status: StepRecord['status'], detail?: string, extra: Partial<StepRecord> = {}): void {
    this.pending.push({ t: new Date().toISOString(), step, status, ...(detail !== undefined ? { detail: detail.slice(0, 500) } : {}), ...extra });
  }

  /** The journal lines waiting to be written, as shell text (consumed). */
  private flushRecords(): string {
    const text = journalScript(this.runId, this.pending);
    this.pending = [];
    return text;
  }

  /** The text every script of the run starts with: (the lock,) the lease guard, the pending records. */
  prefix(o: { acquire?: { breakLock: boolean } } = {}): string {
    const parts: string[] = [];
    if (o.acquire) parts.push(acquireLockScript({ owner: this.owner, breakLock: o.acquire.breakLock }));
    parts.push(leaseGuard(this.runId), this.flushRecords());
    return parts.join('\n');
  }

  /**
   * Runs one script of this run: the lease guard (the lock must still be ours), the pending step
   * records, then `body` (`recordsAfter`: the records after it, for the script that creates the
   * run's journal). `acquire` takes the lock first (before the guard).
   */
  async run(phase: string, body: string, o: { stdin?: Buffer; timeoutMs?: number; acquire?: { breakLock: boolean }; recordsAfter?: boolean; onStdout?: (c: Buffer) => void } = {}): Promise<ExecResult & { out: string }> {
    void phase;
    const parts: string[] = [];
    if (o.acquire) parts.push(acquireLockScript({ owner: this.owner, breakLock: o.acquire.breakLock }));
    parts.push(leaseGuard(this.runId));
    if (o.recordsAfter) parts.push(body, this.flushRecords());
    else parts.push(this.flushRecords(), body);
    const r = await this.t.exec(parts.join('\n'), { sudo: true, timeoutMs: o.timeoutMs ?? 120_000, ...(o.stdin ? { stdin: o.stdin } : {}), ...(o.onStdout ? { onStdout: o.onStdout } : {}) });
    const out = r.stdout.toString('utf8');
    if (o.acquire && /^lock_acquired=/m.test(out)) this.locked = true;
    return { ...r, out };
  }

  /** Throws the RemoteError for a script that ended badly in a way every script shares. */
  checkCommon(phase: string, r: ExecResult & { out: string }, what: string): void {
    if (r.lost) throw new RemoteError(this.t.target, phase, `the connection was lost during ${what}`, 'run again: dom0up reads the host and continues from what it has');
    if (r.timedOut) throw new RemoteError(this.t.target, phase, `${what} took too long (the host was asked to stop it)`);
    if (r.code === HOST_EXIT.lockRefused) {
      const d = describeLockRefusal(r.out);
      throw new LockRefusedError(this.t.target, 'lock', d.message, d.hint);
    }
    if (r.code === HOST_EXIT.lockLost) {
      this.locked = false;
      throw new RemoteError(this.t.target, phase, 'the host lock is no longer this run\'s (another run broke it): stopped before changing anything more', 'check who holds it: dom0up facts HOST');
    }
    if (r.code === HOST_EXIT.noFlock) throw new RemoteError(this.t.target, phase, 'flock(1) is missing on the host (package util-linux-ng)', 'yum install util-linux-ng');
    if (r.code === HOST_EXIT.mutex) throw new RemoteError(this.t.target, phase, 'the lock mutex stayed busy for 20 s', 'run again');
  }

  /**
   * Writes the pending records and the end record, and releases the lock, in one command (never throws). `release` replaces the release (the
   * yum hand-off: the lock stays with a detached yum that still runs). `onOutput` gets the
   * script's output when it ran.
   */
  async end(outcome: string, detail?: string, extraBody = '', release = releaseLockScript(this.runId), onOutput?: (stdout: string) => void): Promise<boolean> {
    this.record('end', 'end', detail, { outcome });
    try {
      const r = await this.t.exec([this.flushRecords(), extraBody, release].filter(Boolean).join('\n'), { sudo: true, timeoutMs: 30_000 });
      if (r.code !== 0) return false;
      this.locked = false;
      onOutput?.(r.stdout.toString('utf8'));
      return true;
    } catch {
      return false;
    }
  }
}

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}
