/**
 * A lock on the host so two runs never edit it at once: /var/lib/dom0up/lock, created with
 * noclobber (atomic), holding the run's id and owner. It lives on disk, so it spans the reboot.
 */
import { sh, type Transport } from '../transport/index.js';
import { RemoteError } from '../errors.js';
import { LOCK_PATH, STATE_DIR, type LockInfo } from '../facts/index.js';

export const STALE_LOCK_S = 3 * 3600;

export async function acquireLock(t: Transport, info: LockInfo, opts: { breakLock?: boolean; phase?: string } = {}): Promise<void> {
  const phase = opts.phase ?? 'lock';
  const json = JSON.stringify(info);
  const r = await t.exec(
    sh`mkdir -p ${STATE_DIR} && chmod 700 ${STATE_DIR} || exit 3
if [ ${opts.breakLock ? '1' : '0'} = 1 ]; then rm -f ${LOCK_PATH}; fi
if ( set -C; printf '%s\n' ${json} > ${LOCK_PATH} ) 2>/dev/null; then echo acquired; exit 0; fi
echo "age=$(( $(date +%s) - $(stat -c %Y ${LOCK_PATH}) ))"; cat ${LOCK_PATH}; exit 1`,
    { sudo: true, timeoutMs: 30_000 },
  );
  if (r.code === 0) return;
  if (r.lost) throw new RemoteError(t.target, phase, 'the connection was lost while taking the lock');
  const out = r.stdout.toString('utf8');
  const age = Number(/^age=(\d+)/m.exec(out)?.[1] ?? NaN);
  let owner = out.replace(/^age=.*\n/m, '').trim();
  try {
    const j = JSON.parse(owner) as LockInfo;
    owner = `run ${j.runId} (${j.command}) from ${j.controller} pid ${j.pid}, started ${j.startedAt}`;
  } catch {
    /* keep raw */
  }
  const stale = Number.isFinite(age) && age > STALE_LOCK_S;
  throw new RemoteError(
    t.target,
    phase,
    `${stale ? 'a stale lock' : 'another dom0up run holds the lock'}: ${owner}${Number.isFinite(age) ? `, ${Math.round(age / 60)} min ago` : ''} (${LOCK_PATH})`,
    stale ? 'if that run is gone, run again with --break-lock' : 'wait for it to finish, or --break-lock if it is gone',
  );
}

/** Releases the lock if it is still ours. Never throws (a lost connection leaves a lock the next run reports as stale). */
export async function releaseLock(t: Transport, runId: string): Promise<void> {
  await t
    .exec(sh`if grep -q ${`"runId":"${runId}"`} ${LOCK_PATH} 2>/dev/null; then rm -f ${LOCK_PATH}; fi`, { sudo: true, timeoutMs: 15_000 })
    .catch(() => undefined);
}

/** Appends a line to the host's journal (what the run did last, for the next run and for humans). */
export async function journal(t: Transport, entry: Record<string, unknown>): Promise<void> {
  const line = JSON.stringify({ t: new Date().toISOString(), ...entry });
  await t
    .exec(sh`mkdir -p ${STATE_DIR} && printf '%s\n' ${line} >> ${STATE_DIR}/journal && tail -n 200 ${STATE_DIR}/journal > ${STATE_DIR}/journal.tmp && mv -f ${STATE_DIR}/journal.tmp ${STATE_DIR}/journal`, { sudo: true, timeoutMs: 15_000 })
    .catch(() => undefined);
}
