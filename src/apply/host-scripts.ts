/**
 * The shell scripts a run sends to a host (POSIX sh for CentOS 6: bash 4.1, coreutils 8.4,
 * util-linux-ng's flock and setsid). Pure builders and parsers: nothing here talks to a host.
 *
 * A run is one script per phase, each starting with the lease check: the host lock
 * (/var/lib/dom0up/lock) names the run that holds it and is renewed (mtime) while the run's
 * scripts work; a lock not renewed for LEASE_S seconds belongs to a run that is gone, unless its
 * owner is rebooting the host (`rebootUntil`). Taking or taking over the lock happens under
 * flock(1), so two runs can never both take it. Liveness never depends on reading another
 * user's processes.
 *
 * Every run keeps a journal under /var/lib/dom0up/runs/RUN/: meta.json (what the host was before
 * the run: each file's bytes in files/N, owner, mode, context, the stage2 word, the entry GRUB
 * booted), plan.json, and `steps` (one JSON line per step as it happens).
 */
import { raw, sh } from '../transport/quote.js';
import { LOCK_PATH, RUNS_DIR, STATE_DIR } from '../facts/index.js';
import { STAGE2_SAVED_OFFSET } from './one-shot.js';

/** Seconds a lock stays valid without renewal. */
export const LEASE_S = 120;
/** Runs kept besides the host's first one (which is never pruned). */
export const KEEP_RUNS = 30;

export const HOST_EXIT = {
  changed: 65,
  mkdir: 66,
  write: 67,
  shortWrite: 68,
  owner: 69,
  backup: 70,
  rename: 71,
  link: 72,
  readBack: 73,
  lockRefused: 74,
  lockLost: 75,
  noFlock: 76,
  mutex: 77,
} as const;

export interface LockOwner {
  runId: string;
  controller: string;
  pid: number;
  startedAt: string;
  command: string;
}

/**
 * The lock file: line-based so the host's shell can read the run, the reboot lease and the boot
 * it was taken in (`boot=` is filled in on the host: a lock from an earlier boot, without a reboot
 * lease, belongs to a run that died with that boot — a power cut — and is taken over at once).
 */
export function lockFileText(owner: LockOwner, rebootUntil = 0): string {
  return `dom0up-lock 1\nrun=${owner.runId}\nrebootUntil=${rebootUntil}\nboot=BOOT\nowner=${JSON.stringify(owner)}\n`;
}

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id 2>/dev/null';

const RUN_OF_LOCK = sh`sed -n 's/^run=//p' ${LOCK_PATH} 2>/dev/null | head -n 1`;

/**
 * The lease guard every script of a run starts with (after the lock is taken): the lock must
 * still be this run's (else exit lockLost: someone broke it), it is renewed now and every 20 s
 * while the script runs (a background loop that ends with the script).
 */
export function leaseGuard(runId: string): string {
  return [
    sh`if [ "$(${raw(RUN_OF_LOCK)})" != ${runId} ]; then echo "dom0up: the host lock is no longer this run's (${raw(LOCK_PATH)})" >&2; exit ${HOST_EXIT.lockLost}; fi`,
    sh`touch ${LOCK_PATH}`,
    sh`( while sleep 20; do kill -0 $$ 2>/dev/null || exit 0; [ "$(${raw(RUN_OF_LOCK)})" = ${runId} ] && touch ${LOCK_PATH}; done ) </dev/null >/dev/null 2>&1 &`,
    'lease_pid=$!',
    'cleanup() { kill "$lease_pid" 2>/dev/null; [ -n "${tmp:-}" ] && rm -f "$tmp"; }',
    'trap cleanup EXIT',
    "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM",
  ].join('\n');
}

export interface AcquireOptions {
  owner: LockOwner;
  /** Take over a lock whose owner is rebooting (its lease not yet expired): the operator says it is gone. */
  breakLock: boolean;
}

/**
 * Takes the host lock (under flock): free, this run's own (after its reboot), or expired (no
 * renewal for LEASE_S and no reboot lease; with breakLock a reboot lease does not count). A live
 * lock is refused with exit lockRefused, printing `lock_age=`, `lock_until=`, `lock_now=` and the file.
 */
export function acquireLockScript(o: AcquireOptions): string {
  return [
    sh`S=${STATE_DIR}; L=${LOCK_PATH}; mine=${o.owner.runId}; brk=${o.breakLock ? 1 : 0}`,
    'umask 077',
    sh`mkdir -p ${RUNS_DIR} && chmod 700 "$S" || exit 3`,
    `command -v flock >/dev/null 2>&1 || { echo "dom0up: flock(1) is missing (util-linux)" >&2; exit ${HOST_EXIT.noFlock}; }`,
    'exec 8>>"$S/.mutex"',
    `flock -w 20 8 || { echo "dom0up: the lock mutex is busy" >&2; exit ${HOST_EXIT.mutex}; }`,
    'now=$(date +%s)',
    'if [ -f "$L" ]; then',
    `  held=$(${RUN_OF_LOCK})`,
    `  until=$(sed -n 's/^rebootUntil=//p' "$L" 2>/dev/null | head -n 1); case "$until" in ''|*[!0-9]*) until=0 ;; esac`,
    '  age=$(( now - $(stat -c %Y "$L") ))',
    `  hboot=$(sed -n 's/^boot=//p' "$L" 2>/dev/null | head -n 1); cboot=$(${BOOT_ID})`,
    '  live=0; [ "$age" -lt ' + LEASE_S + ' ] && live=1',
    // seconds since this boot: how long PID 1 has run (procps 3.2.8's etime: [[dd-]hh:]mm:ss)
    `  up=$(ps -o etime= -p 1 2>/dev/null | awk -F'[-:]' '{ n = NF; s = $n + 60 * $(n-1); if (n >= 3) s += 3600 * $(n-2); if (n >= 4) s += 86400 * $(n-3); print s }'); case "$up" in ''|*[!0-9]*) up=0 ;; esac`,
    '  if [ -n "$hboot" ] && [ "$hboot" != BOOT ] && [ "$hboot" != "$cboot" ]; then',
    // renewals were made in an earlier boot: only a reboot lease keeps the lock, until its owner is
    // back (it must take the lock again within LEASE_S of the new boot); without one (a power cut) it is free
    '    live=0',
    `    if [ "$now" -lt "$until" ] && [ "$up" -ge ${LEASE_S} ]; then until=0; echo "tookover_reason=its owner did not come back after the reboot"; fi`,
    '    [ "$now" -ge "$until" ] && echo "tookover_reason=the host rebooted"',
    '  fi',
    '  if [ "$held" != "$mine" ]; then',
    `    if [ "$live" = 1 ] || { [ "$now" -lt "$until" ] && [ "$brk" = 0 ]; }; then`,
    '      echo "lock_age=$age"; echo "lock_until=$until"; echo "lock_now=$now"; echo "lock_live=$live"; echo "lock_begin"; head -c 4096 "$L"; echo; echo "lock_end"',
    `      exit ${HOST_EXIT.lockRefused}`,
    '    fi',
    '    echo "tookover_age=$age"; echo "tookover_until=$until"; echo "tookover_begin"; head -c 4096 "$L"; echo; echo "tookover_end"',
    '  fi',
    'fi',
    sh`printf '%s\n' ${lockFileText(o.owner).trimEnd().split('\n')} | sed "s/^boot=BOOT$/boot=$(${raw(BOOT_ID)})/" > "$L.tmp" && mv -f "$L.tmp" "$L" || exit 3`,
    'flock -u 8; exec 8>&-',
    'echo "lock_acquired=$mine"',
  ].join('\n');
}

/** Sets the reboot lease: the lock stays this run's for `seconds` (host clock) while the host reboots. */
export function rebootLeaseScript(owner: LockOwner, seconds: number): string {
  return [
    sh`until=$(( $(date +%s) + ${String(Math.max(0, Math.round(seconds)))} ))`,
    sh`printf 'dom0up-lock 1\nrun=%s\nrebootUntil=%s\nboot=%s\nowner=%s\n' ${owner.runId} "$until" "$(${raw(BOOT_ID)})" ${JSON.stringify(owner)} > ${LOCK_PATH}.tmp && mv -f ${LOCK_PATH}.tmp ${LOCK_PATH} || exit 3`,
  ].join('\n');
}

/** Releases the lock when it is still this run's (never fails the script). */
export function releaseLockScript(runId: string): string {
  return sh`if [ "$(${raw(RUN_OF_LOCK)})" = ${runId} ]; then rm -f ${LOCK_PATH}; echo "lock_released=1"; fi`;
}

export const yumLogPath = (runId: string): string => `${RUNS_DIR}/${runId}/yum.log`;

/**
 * The end of a run that stops while its detached `yum install` may still run on the host: the
 * lock is released when yum has ended; else it stays this run's, marked for the next run to read
 * (`yum=`), and the yum wrapper releases it when yum ends (the `.abandoned` mark). Checked again
 * after the mark, so a yum that ends in between is not missed. Prints `lock_released=1` or
 * `lock_kept_for_yum=1`.
 */
export function yumLockHandOffScript(runId: string): string {
  const log = yumLogPath(runId);
  return [
    sh`log=${log}`,
    `if [ ! -f "$log" ] || [ -f "$log.rc" ]; then ${releaseLockScript(runId)}`,
    sh`elif [ "$(${raw(RUN_OF_LOCK)})" = ${runId} ]; then`,
    '  : > "$log.abandoned"',
    sh`  grep -q '^yum=' ${LOCK_PATH} || echo 'yum=running detached: the lock is released when it ends' >> ${LOCK_PATH}`,
    `  if [ -f "$log.rc" ]; then ${releaseLockScript(runId)}; else echo "lock_kept_for_yum=1"; fi`,
    'fi',
  ].join('\n');
}

/** Appends step records (JSON lines) to the run's journal. */
export function journalScript(runId: string, records: readonly object[]): string {
  if (!records.length) return ':';
  // JSON.stringify escapes every control character, so each record is one line and one argument
  const lines = records.map((r) => JSON.stringify(r));
  return sh`if [ -d ${`${RUNS_DIR}/${runId}`} ]; then printf '%s\n' ${lines} >> ${`${RUNS_DIR}/${runId}/steps`}; fi`;
}

// ---------------------------------------------------------------- the run journal: begin

/** A file the run may change, as the plan read it. */
export interface TrackedFile {
  /** The path written (the real file). */
  path: string;
  /** sha256 the file must have now, or 'absent'. */
  expect: string;
}

export interface BeginRun {
  runId: string;
  files: readonly TrackedFile[];
  /** The stage2 saved word the plan read (null: no /boot/grub/stage2). */
  stage2Word: number | null;
  /** Length of meta.json and plan.json at the start of stdin. */
  metaBytes: number;
  planBytes: number;
}

/**
 * Starts the run's journal: every tracked file must still be as the plan read it (else nothing is
 * written, the run's journal is removed, the lock released: exit changed, with `changed=PATH SHA`
 * lines); then copies every existing one (cp -p) into files/N, writes meta.json and plan.json from
 * stdin, records the host's first run as `origin` and prunes old runs (never the origin).
 */
export function beginRunScript(b: BeginRun): string {
  const R = `${RUNS_DIR}/${b.runId}`;
  const L: string[] = [
    sh`R=${R}`,
    'bad=0',
    'chk() { if [ -e "$1" ]; then h=$(sha256sum < "$1" | cut -d" " -f1); else h=absent; fi; if [ "$h" != "$2" ]; then echo "changed=$1 $h"; bad=1; fi; }',
    ...b.files.map((f) => sh`chk ${f.path} ${f.expect}`),
  ];
  if (b.stage2Word !== null) {
    L.push(sh`w=$(od -An -tu4 -j ${STAGE2_SAVED_OFFSET} -N 4 /boot/grub/stage2 2>/dev/null | tr -d ' '); if [ "$w" != ${String(b.stage2Word)} ]; then echo "changed=/boot/grub/stage2 $w"; bad=1; fi`);
  }
  L.push(
    `if [ "$bad" = 1 ]; then ${releaseLockScript(b.runId)}; exit ${HOST_EXIT.changed}; fi`,
    'mkdir -p "$R/files" || exit 3',
    ...b.files.map((f, i) => sh`if [ -f ${f.path} ]; then cp -p ${f.path} "$R/files/${raw(String(i))}" || exit 3; fi`),
    sh`head -c ${b.metaBytes} > "$R/meta.json" && head -c ${b.planBytes} > "$R/plan.json" || exit 3`,
    sh`[ -e ${STATE_DIR}/origin ] || [ -L ${STATE_DIR}/origin ] || ln -s ${`runs/${b.runId}`} ${STATE_DIR}/origin`,
    // retention is by runs: the newest KEEP_RUNS and the origin stay
    sh`o=$(readlink ${STATE_DIR}/origin 2>/dev/null); ls -1 ${RUNS_DIR} | LC_ALL=C sort | head -n -${KEEP_RUNS} | while read -r old; do [ "runs/$old" = "$o" ] || [ "$old" = ${b.runId} ] || rm -rf ${RUNS_DIR}/"$old"; done`,
    'echo "run_begun=1"',
  );
  return L.join('\n');
}

// ---------------------------------------------------------------- file writes

export interface FileWrite {
  /** Index reported back (`wrote=N`). */
  n: number;
  path: string;
  /** sha256 the file must have now, or 'absent'. */
  expect: string;
  /** sha256 of the new content. */
  sha256: string;
  length: number;
  /** Mode for a new file (an existing one keeps its own, its owner and SELinux context). */
  mode: number;
  /** Directories to create first, outermost first (0755, root). */
  mkdirs: readonly string[];
  /** Remove the file instead (rollback of a file the run created); no content on stdin. */
  remove?: boolean;
}

/**
 * Writes files atomically, their content read from stdin in order (`head -c LEN` each). Every
 * file is checked first (compare-and-swap: nothing is written when one differs, exit changed);
 * then each: parents created, a temp file beside it, content hash checked, owner/mode/context
 * copied, sync, rename(2), sync, read back (exit readBack when the file does not hold it),
 * `wrote=N`. A path that became a symbolic link is refused (exit link): links are resolved when
 * the plan is made and a new one was planted since.
 */
export function writeFilesScript(writes: readonly FileWrite[]): string {
  if (!writes.length) return ':';
  const L: string[] = [
    'bad=0',
    'cas() { if [ -L "$1" ]; then echo "link=$1"; bad=2; return; fi; if [ -e "$1" ]; then h=$(sha256sum < "$1" | cut -d" " -f1); else h=absent; fi; if [ "$h" != "$2" ]; then echo "changed=$1 $h"; [ "$bad" = 2 ] || bad=1; fi; }',
    ...writes.map((w) => sh`cas ${w.path} ${w.expect}`),
    `if [ "$bad" = 2 ]; then exit ${HOST_EXIT.link}; fi`,
    `if [ "$bad" = 1 ]; then exit ${HOST_EXIT.changed}; fi`,
    // temp files of a write that was cut off (power cut, kill -9) are older than any live write
    'put() {',
    '  f=$1; want=$2; len=$3; mode=$4; n=$5',
    '  d=$(dirname "$f"); b=$(basename "$f")',
    '  find "$d" -maxdepth 1 -name ".$b.dom0up.??????" -type f -mmin +2 -exec rm -f {} + 2>/dev/null',
    `  tmp=$(mktemp "$d/.$b.dom0up.XXXXXX") || exit ${HOST_EXIT.mkdir}`,
    `  head -c "$len" > "$tmp" || exit ${HOST_EXIT.write}`,
    `  got=$(sha256sum < "$tmp" | cut -d" " -f1); if [ "$got" != "$want" ]; then echo "dom0up: the written copy of $f does not match (got $got)" >&2; exit ${HOST_EXIT.shortWrite}; fi`,
    '  if [ -e "$f" ]; then',
    `    chown --reference="$f" "$tmp" && chmod --reference="$f" "$tmp" || exit ${HOST_EXIT.owner}`,
    '    ctx=$(stat -c %C "$f" 2>/dev/null); if [ -n "$ctx" ] && [ "$ctx" != "?" ] && command -v chcon >/dev/null 2>&1; then chcon --reference="$f" "$tmp" 2>/dev/null || true; fi',
    '  else',
    `    chmod "$mode" "$tmp" || exit ${HOST_EXIT.owner}`,
    '  fi',
    '  sync',
    `  mv -f "$tmp" "$f" || exit ${HOST_EXIT.rename}`,
    '  tmp=',
    '  sync',
    `  back=$(sha256sum < "$f" | cut -d" " -f1); if [ "$back" != "$want" ]; then echo "dom0up: $f does not hold what was written (read back $back)" >&2; exit ${HOST_EXIT.readBack}; fi`,
    '  echo "wrote=$n"',
    '}',
  ];
  for (const w of writes) {
    if (w.remove) {
      L.push(sh`rm -f ${w.path} || exit ${HOST_EXIT.rename}; sync; if [ -e ${w.path} ]; then exit ${HOST_EXIT.readBack}; fi; echo "removed=${raw(String(w.n))}"`);
      continue;
    }
    for (const d of w.mkdirs) L.push(sh`if [ ! -d ${d} ]; then mkdir ${d} && chown 0:0 ${d} && chmod 755 ${d} && echo "mkdir=${raw(String(w.n))}" || exit ${HOST_EXIT.mkdir}; fi`);
    L.push(sh`put ${w.path} ${w.sha256} ${String(w.length)} ${(w.mode & 0o7777).toString(8)} ${String(w.n)}`);
  }
  return L.join('\n');
}

// ---------------------------------------------------------------- yum, detached from the connection

/**
 * Runs `command` (yum) detached from the SSH session (setsid, output to a log in the run's
 * journal): a dropped connection never kills it mid-transaction, and the lease is renewed while
 * it runs, so no other run starts on the host meanwhile. The log is streamed back; then
 * `@@NONCE yum_rc N`.
 */
export function detachedYumScript(runId: string, command: string, nonce: string, renewS = 20): string {
  const log = yumLogPath(runId);
  // when yum ends: a run that stopped while it ran left the lock to it (yumLockHandOffScript): release it, then the exit status
  const inner = `( ${command} ) >> "$0" 2>&1 </dev/null; rc=$?; if [ -f "$0.abandoned" ]; then ${releaseLockScript(runId)} >/dev/null; fi; echo $rc > "$0.rc"`;
  return [
    sh`log=${log}; : > "$log"; rm -f "$log.rc" "$log.abandoned"`,
    sh`setsid sh -c ${inner} "$log" </dev/null >/dev/null 2>&1 &`,
    'ypid=$!',
    // the lease is renewed while yum runs, as long as the lock is this run's (never made again once released)
    sh`( while kill -0 "$ypid" 2>/dev/null; do [ "$(${raw(RUN_OF_LOCK)})" = ${runId} ] && touch ${LOCK_PATH}; sleep ${String(renewS)}; done ) </dev/null >/dev/null 2>&1 &`,
    'tail -n +1 -f --pid="$ypid" "$log" 2>/dev/null || wait "$ypid"',
    'wait "$ypid" 2>/dev/null',
    'rc=$(cat "$log.rc" 2>/dev/null); [ -n "$rc" ] || rc=255',
    sh`printf '\n@@%s yum_rc %s\n' ${nonce} "$rc"`,
  ].join('\n');
}

export function parseYumRc(stdout: string, nonce: string): number | null {
  const m = new RegExp(`\\n@@${nonce} yum_rc (\\d+)\\n`).exec(stdout);
  return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------- verification waits on the host

/**
 * Waits (on the host, up to `seconds`) until `xl info` answers when the host runs as a Xen
 * control domain: xencommons starts after sshd, so right after a boot xl fails for a while.
 */
export function waitForXlScript(seconds: number): string {
  return [
    'i=0',
    `while grep -qs control_d /proc/xen/capabilities && command -v xl >/dev/null 2>&1 && ! timeout 20 xl info >/dev/null 2>&1 && [ "$i" -lt ${Math.max(1, Math.round(seconds * 2))} ]; do sleep 0.5; i=$((i+1)); done`,
  ].join('\n');
}

/** Parses `key=value` lines a script printed (the last value of a key wins; lists for repeated keys). */
export function scriptOutput(stdout: string): { kv: Map<string, string>; all: Map<string, string[]> } {
  const kv = new Map<string, string>();
  const all = new Map<string, string[]>();
  for (const l of stdout.split('\n')) {
    const m = /^([a-z][a-z0-9_]*)=(.*)$/.exec(l);
    if (!m) continue;
    kv.set(m[1] as string, m[2] as string);
    const list = all.get(m[1] as string) ?? [];
    list.push(m[2] as string);
    all.set(m[1] as string, list);
  }
  return { kv, all };
}

// ---------------------------------------------------------------- reading journals (rollback)

/** Every run's meta.json and end record (bounded), `@@NONCE run ID` sections. */
export function listRunsScript(nonce: string, max = 400): string {
  return [
    sh`for d in $(ls -1 ${RUNS_DIR} 2>/dev/null | LC_ALL=C sort | tail -n ${String(max)}); do`,
    sh`  printf '@@%s run %s\n' ${nonce} "$d"`,
    sh`  echo "meta=$(head -c 262144 ${RUNS_DIR}/"$d"/meta.json 2>/dev/null | base64 | tr -d '\n')"`,
    sh`  echo "steps=$(tail -c 65536 ${RUNS_DIR}/"$d"/steps 2>/dev/null | base64 | tr -d '\n')"`,
    'done',
    sh`echo "origin=$(readlink ${STATE_DIR}/origin 2>/dev/null)"`,
  ].join('\n');
}

/** One run's pre-run copies (files/N, base64) and the current bytes of each of its files. */
export function readRunFilesScript(runId: string, files: readonly { path: string; copy: string | null }[]): string {
  const R = `${RUNS_DIR}/${runId}`;
  const L: string[] = [];
  files.forEach((f, i) => {
    if (f.copy) L.push(sh`echo "copy_${raw(String(i))}=$(base64 < ${`${R}/${f.copy}`} 2>/dev/null | tr -d '\n')"`);
    L.push(sh`if [ -f ${f.path} ]; then echo "cur_${raw(String(i))}=$(base64 < ${f.path} | tr -d '\n')"; elif [ -e ${f.path} ]; then echo "cur_${raw(String(i))}=notfile"; fi`);
  });
  L.push(sh`echo "word=$(od -An -tu4 -j ${STAGE2_SAVED_OFFSET} -N 4 /boot/grub/stage2 2>/dev/null | tr -d ' ')"`);
  return L.join('\n');
}

/** Writes the RHEL 6 stage2 saved word (4 bytes, little endian) in place and reads it back. */
export function setStage2WordScript(word: number): string {
  const b = [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff].map((x) => `\\${x.toString(8).padStart(3, '0')}`).join('');
  return [
    sh`printf ${raw(`'${b}'`)} | dd of=/boot/grub/stage2 bs=1 seek=${String(STAGE2_SAVED_OFFSET)} count=4 conv=notrunc 2>/dev/null || exit ${HOST_EXIT.write}`,
    'sync',
    sh`w=$(od -An -tu4 -j ${STAGE2_SAVED_OFFSET} -N 4 /boot/grub/stage2 | tr -d ' '); if [ "$w" != ${String(word >>> 0)} ]; then echo "dom0up: stage2 holds $w after the write" >&2; exit ${HOST_EXIT.readBack}; fi`,
    'echo "word_set=$w"',
  ].join('\n');
}
