/**
 * A lock on the host so two runs never edit it at once: /var/lib/dom0up/lock, created with
 * noclobber (atomic), holding the run's id and owner. It lives on disk, so it spans the reboot.
 *
 * A run that cannot release its lock (the connection is gone, the tool was killed) leaves it
 * behind. The lock records where its process runs (the controller's kernel boot id, PID namespace
 * and the process's start time), so a later run on the same machine can prove the owner is gone
 * and take the lock over (reported); from anywhere else the lock is refused with its owner.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { sh, type Transport } from '../transport/index.js';
import { RemoteError } from '../errors.js';
import { LOCK_PATH, STATE_DIR, type LockInfo } from '../facts/index.js';

export const STALE_LOCK_S = 3 * 3600;

/** Where the owning process runs (Linux controllers). */
export interface LockProcess {
  /** /proc/sys/kernel/random/boot_id of the controller. */
  boot: string;
  /** The PID namespace (readlink /proc/self/ns/pid). */
  pidns: string;
  /** Start time of the process (field 22 of /proc/PID/stat), so a reused PID is not mistaken for it. */
  start: string;
}

export interface LockOwner extends LockInfo {
  proc?: LockProcess;
}

export interface AcquireResult {
  /** The lock of a run whose process is provably gone was taken over: its owner, described. */
  tookOver: string | null;
}

/** Runs of this process that hold (or are taking) a lock. */
const ownRuns = new Set<string>();

function procStart(pid: number): string | null {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** This process, as a lock records it; null where /proc does not tell (not Linux). */
export function thisProcess(): LockProcess | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidns = readlinkSync('/proc/self/ns/pid');
    const start = procStart(process.pid);
    return boot && pidns && start ? { boot, pidns, start } : null;
  } catch {
    return null;
  }
}

/**
 * True only when the owner is provably gone: it ran on this machine in this PID namespace and its
 * process is no longer there (or it is this process and that run has ended). Anything else — another
 * machine, an old lock without `proc`, no /proc here — is treated as alive.
 */
export function ownerGone(owner: LockOwner, me: LockProcess | null = thisProcess()): boolean {
  const p = owner.proc;
  if (!p || !me || p.boot !== me.boot || p.pidns !== me.pidns || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  if (owner.pid === process.pid && p.start === me.start) return !ownRuns.has(owner.runId);
  return procStart(owner.pid) !== p.start;
}

export function describeOwner(j: LockInfo): string {
  return `run ${j.runId} (${j.command}) from ${j.controller} pid ${j.pid}, started ${j.startedAt}`;
}

export async function acquireLock(t: Transport, info: LockInfo, opts: { breakLock?: boolean; phase?: string } = {}): Promise<AcquireResult> {
  const phase = opts.phase ?? 'lock';
  const me = thisProcess();
  const owner: LockOwner = me ? { ...info, proc: me } : { ...info };
  const json = JSON.stringify(owner);
  ownRuns.add(info.runId);
  let takeOver: string | null = null;
  let tookOver: string | null = null;
  for (let attempt = 0; ; attempt++) {
    // a lock is removed only when it still is the one we saw (--break-lock: any)
    const remove = opts.breakLock ? sh`rm -f ${LOCK_PATH}` : takeOver ? sh`if grep -qF ${`"runId":${JSON.stringify(takeOver)}`} ${LOCK_PATH} 2>/dev/null; then rm -f ${LOCK_PATH}; fi` : ':';
    const r = await t.exec(
      sh`mkdir -p ${STATE_DIR} && chmod 700 ${STATE_DIR} || exit 3
` + remove + sh`
if ( set -C; printf '%s\n' ${json} > ${LOCK_PATH} ) 2>/dev/null; then echo acquired; exit 0; fi
echo "age=$(( $(date +%s) - $(stat -c %Y ${LOCK_PATH}) ))"; cat ${LOCK_PATH}; exit 1`,
      { sudo: true, timeoutMs: 30_000 },
    );
    if (r.code === 0) return { tookOver };
    if (r.lost || r.code !== 1) {
      ownRuns.delete(info.runId);
      if (r.lost) throw new RemoteError(t.target, phase, 'the connection was lost while taking the lock', 'run again');
      throw new RemoteError(t.target, phase, `taking the lock failed (exit ${r.code ?? '?'})`, undefined, 1, r.stderr.toString('utf8').trim() || undefined);
    }
    const out = r.stdout.toString('utf8');
    const age = Number(/^age=(\d+)/m.exec(out)?.[1] ?? NaN);
    const rawOwner = out.replace(/^age=.*\n/m, '').trim();
    let parsed: LockOwner | null = null;
    try {
      const j = JSON.parse(rawOwner) as LockOwner;
      if (typeof j.runId === 'string') parsed = j;
    } catch {
      /* keep raw */
    }
    if (parsed && attempt < 2 && ownerGone(parsed, me)) {
      takeOver = parsed.runId;
      tookOver = `${describeOwner(parsed)}: its process is gone`;
      continue;
    }
    ownRuns.delete(info.runId);
    const stale = Number.isFinite(age) && age > STALE_LOCK_S;
    throw new RemoteError(
      t.target,
      phase,
      `${stale ? 'a stale lock' : 'another dom0up run holds the lock'}: ${parsed ? describeOwner(parsed) : rawOwner}${Number.isFinite(age) ? `, ${Math.round(age / 60)} min ago` : ''} (${LOCK_PATH})`,
      stale ? 'if that run is gone, run again with --break-lock' : 'wait for it to finish, or --break-lock if it is gone',
    );
  }
}

/** The run is over (whether or not its lock could be released): a later run of this process may take a lock it left. */
export function runEnded(runId: string): void {
  ownRuns.delete(runId);
}

/**
 * Releases the lock if it is still ours. Never throws: 'released', 'not-ours' (someone broke it),
 * or 'failed' (no answer: the lock stays until a later run takes it over or breaks it).
 */
export async function releaseLock(t: Transport, runId: string): Promise<'released' | 'not-ours' | 'failed'> {
  try {
    const r = await t.exec(sh`if grep -qF ${`"runId":${JSON.stringify(runId)}`} ${LOCK_PATH} 2>/dev/null; then rm -f ${LOCK_PATH} && echo released; else echo not-ours; fi`, { sudo: true, timeoutMs: 15_000 });
    if (r.code !== 0) return 'failed';
    return r.stdout.toString('utf8').includes('released') ? 'released' : 'not-ours';
  } catch {
    return 'failed';
  }
}

/** Appends a line to the host's journal (what the run did last, for the next run and for humans). */
export async function journal(t: Transport, entry: Record<string, unknown>): Promise<void> {
  const line = JSON.stringify({ t: new Date().toISOString(), ...entry });
  await t
    .exec(sh`mkdir -p ${STATE_DIR} && printf '%s\n' ${line} >> ${STATE_DIR}/journal && tail -n 200 ${STATE_DIR}/journal > ${STATE_DIR}/journal.tmp && mv -f ${STATE_DIR}/journal.tmp ${STATE_DIR}/journal`, { sudo: true, timeoutMs: 15_000 })
    .catch(() => undefined);
}

export interface PreviousRun {
  runId: string;
  /** The last phase it recorded ('failed' entries report where it failed in `at`). */
  phase: string;
  finished: boolean;
  error?: string;
}

/** The last run the host's journal knows (null when there is none). */
export function previousRun(journalText: string | null): PreviousRun | null {
  if (!journalText) return null;
  const entries: Record<string, unknown>[] = [];
  for (const l of journalText.split('\n')) {
    try {
      if (l.trim()) entries.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* a torn line (power cut): skip */
    }
  }
  let start = -1;
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.phase === 'start') { start = i; break; }
  if (start < 0) return null;
  const runId = String(entries[start]!.run);
  const mine = entries.slice(start).filter((e) => e.run === runId);
  const last = mine[mine.length - 1]!;
  const failed = last.phase === 'failed';
  const phase = failed ? String(last.at ?? '?') : String(last.phase);
  return { runId, phase, finished: last.phase === 'done' || last.phase === 'end', ...(failed && typeof last.error === 'string' ? { error: last.error } : {}) };
}
