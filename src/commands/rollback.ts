/**
 * dom0up rollback HOST: put grub.conf (and the sysconfig files dom0up writes) back as they were
 * before a run, from the backups kept beside them — with a diff first, the same atomic
 * compare-and-swap writer (so the rollback itself keeps a backup), and optionally a reboot.
 */
import { sh, type Transport } from '../transport/index.js';
import { UserError, RemoteError } from '../errors.js';
import { openHost } from '../remote/connect.js';
import { readHostFacts } from '../apply/provision.js';
import { readRemoteFile, sha256Hex, writeRemoteFile } from '../apply/remote-file.js';
import { rebootAndWait } from '../apply/reboot.js';
import { ONCE_FLAG } from '../apply/one-shot.js';
import { backupStamp, BACKUP_MARK } from '../io/text-file.js';
import { decodeText } from '../io/decode-text.js';
import { parseGrubConf } from '../grub/index.js';
import { unifiedDiff } from '../plan/unified-diff.js';
import { XEN_KERNEL_SYSCONFIG_PATH, XL_CONF_PATH } from '../repo/index.js';
import type { Ui } from '../ui/io.js';
import { EXIT } from '../cli.js';
import { askYesNo, controllerName, newRunId, withAsk, type RemoteCommon } from './remote.js';
import { acquireLock, releaseLock } from '../apply/lock.js';
import { colorDiff } from '../ui/render-grub.js';

export interface Backup {
  /** The file the backup belongs to. */
  file: string;
  path: string;
  /** YYYYMMDDTHHMMSSZ (the run's stamp), without a -N suffix. */
  stamp: string;
  suffix: number;
}

export function parseBackupList(out: string, files: readonly string[]): Backup[] {
  const list: Backup[] = [];
  for (const line of out.split('\n')) {
    for (const file of files) {
      if (!line.startsWith(file + BACKUP_MARK)) continue;
      const m = /^(\d{8}T\d{6}Z)(?:-(\d+))?$/.exec(line.slice(file.length + BACKUP_MARK.length));
      if (m) list.push({ file, path: line, stamp: m[1] as string, suffix: Number(m[2] ?? 0) });
    }
  }
  return list.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.suffix - b.suffix));
}

/**
 * The backups to restore: the chosen run (by stamp, or a backup path) or the latest, the
 * earliest backup of each file in that run (the state before the run touched it).
 */
export function chooseBackups(all: Backup[], wanted?: string): Backup[] {
  if (all.length === 0) return [];
  let stamp: string;
  if (wanted) {
    const m = /(\d{8}T\d{6}Z)/.exec(wanted);
    if (!m) throw new UserError(`--backup ${JSON.stringify(wanted)} is not a backup name or stamp (YYYYMMDDTHHMMSSZ)`, 'list them with dom0up rollback HOST --list');
    stamp = m[1] as string;
    if (!all.some((b) => b.stamp === stamp)) throw new UserError(`no backup with stamp ${stamp} on the host`, 'list them with dom0up rollback HOST --list');
  } else stamp = all[all.length - 1]!.stamp;
  const chosen = new Map<string, Backup>();
  for (const b of all) if (b.stamp === stamp && !chosen.has(b.file)) chosen.set(b.file, b);
  return [...chosen.values()];
}

export interface RollbackOptions extends RemoteCommon {
  backup?: string;
  list: boolean;
  reboot: boolean;
  yes: boolean;
  force: boolean;
}

async function listBackups(t: Transport, files: string[]): Promise<Backup[]> {
  const r = await t.exec(sh`for f in ${files}; do ls -1d "$f".dom0up-[0-9]* 2>/dev/null; done; true`, { sudo: true, timeoutMs: 30_000 });
  if (r.code !== 0) throw new RemoteError(t.target, 'rollback', `listing backups failed (exit ${r.code ?? 'connection lost'})`);
  return parseBackupList(r.stdout.toString('utf8'), files);
}

export async function rollbackCli(ui: Ui, o: RollbackOptions): Promise<number> {
  const { transport: first, reconnect, probe } = await openHost(o.host, withAsk(ui, o.ssh));
  let t: Transport = first;
  try {
    const facts = await readHostFacts(t, 'rollback');
    const grubPath = facts.grub.realPath;
    if (!grubPath) throw new RemoteError(t.target, 'rollback', 'no grub.conf on the host');
    const files = [grubPath, XEN_KERNEL_SYSCONFIG_PATH, XL_CONF_PATH];
    const all = await listBackups(t, files);
    if (o.list) {
      if (o.json) ui.json({ target: t.target, backups: all });
      else if (all.length === 0) ui.print(`${t.target}: no dom0up backups\n`);
      else for (const b of all) ui.print(`${b.stamp}${b.suffix ? `-${b.suffix}` : ''}  ${b.path}\n`);
      return EXIT.ok;
    }
    const chosen = chooseBackups(all, o.backup);
    if (chosen.length === 0) throw new UserError(`${t.target}: no dom0up backups of ${files.join(', ')}`, 'nothing to roll back to');
    // what would change
    const changes: { b: Backup; current: Buffer | null; content: Buffer; diff: string }[] = [];
    for (const b of chosen) {
      const content = await readRemoteFile(t, b.path, 'rollback');
      if (!content) throw new RemoteError(t.target, 'rollback', `backup ${b.path} vanished`);
      const current = await readRemoteFile(t, b.file, 'rollback');
      const before = current ? decodeText(current).text : '';
      const after = decodeText(content).text;
      if (current && current.equals(content)) continue;
      changes.push({ b, current, content, diff: unifiedDiff(b.file, before, after) });
    }
    const grubChange = changes.find((c) => c.b.file === grubPath);
    if (grubChange) {
      const conf = parseGrubConf(decodeText(grubChange.content).text);
      const errors = conf.findings.filter((f) => f.severity === 'error');
      if (errors.length && !o.force) throw new UserError(`${grubChange.b.path}:${errors[0]!.line}: ${errors[0]!.message}`, 'this backup would not boot cleanly; choose another (--list) or --force');
      if (conf.bootIndex() === null && !o.force) throw new UserError(`${grubChange.b.path}: GRUB would not know which entry to boot`, '--force to restore it anyway');
    }
    if (!o.json) {
      ui.note(`${t.target}: roll back to the state before run ${chosen[0]!.stamp}`);
      for (const c of changes) ui.note(colorDiff(c.diff.trimEnd(), ui.err));
      if (changes.length === 0) ui.note('every file already matches that backup');
    }
    if (changes.length && !o.yes) {
      if (!ui.interactive) throw new UserError(`${t.target}: rollback needs confirmation and there is no terminal to ask`, 'run again with --yes');
      if (!(await askYesNo(ui, `Restore these files on ${t.target}? [y/N] `))) return EXIT.ok;
    }
    const stamp = backupStamp(new Date());
    const restored: { file: string; from: string; backup: string | null }[] = [];
    const runId = newRunId();
    if (changes.length) await acquireLock(t, { runId, controller: controllerName(), pid: process.pid, startedAt: new Date().toISOString(), command: `dom0up rollback ${o.host}` }, { phase: 'rollback lock' });
    try {
      for (const c of changes) {
        const w = await writeRemoteFile(t, { path: c.b.file, content: c.content, expect: c.current ? sha256Hex(c.current) : 'absent', mode: 0o600, stamp }, 'rollback write');
        restored.push({ file: c.b.file, from: c.b.path, backup: w.backupPath });
      }
    } finally {
      if (changes.length) await releaseLock(t, runId);
    }
    // a pending one-shot boot of the Xen entry would undo the rollback at the next boot: clear it
    let clearedOnce = false;
    if (facts.boot.stage2Saved !== null && (facts.boot.stage2Saved & ONCE_FLAG) !== 0) {
      const r = await t.exec(sh`printf 'savedefault --default=%s\nquit\n' ${facts.boot.stage2Saved & 0xff} | /sbin/grub --batch --no-floppy >/dev/null 2>&1`, { sudo: true, timeoutMs: 60_000 });
      clearedOnce = r.code === 0;
    }
    let reboot: { kernel: string; xen: boolean; bootId: string } | null = null;
    if (o.reboot) {
      const rb = await rebootAndWait({ transport: t, reconnect, ...(probe ? { probe } : {}), bootId: facts.kernel.bootId, deadline: Date.now() + 15 * 60_000, onProgress: (s) => ui.note(s) });
      t = rb.transport;
      const after = await readHostFacts(t, 'rollback (after reboot)');
      reboot = { kernel: after.kernel.release, xen: after.hypervisor.dom0, bootId: after.kernel.bootId };
    }
    if (o.json) ui.json({ target: t.target, stamp: chosen[0]!.stamp, restored, clearedOnce, reboot });
    else {
      for (const r of restored) ui.print(`restored ${r.file} from ${r.from}${r.backup ? ` (the replaced version is kept as ${r.backup})` : ''}\n`);
      if (clearedOnce) ui.print('cleared the pending one-shot boot\n');
      if (reboot) ui.print(`rebooted: ${reboot.kernel}${reboot.xen ? ' under Xen' : ' without Xen'}\n`);
      else if (restored.length) ui.print(`the host boots the restored configuration at its next reboot (dom0up rollback ${o.host} --reboot does it now)\n`);
    }
    return EXIT.ok;
  } finally {
    await t.close().catch(() => undefined);
    if (t !== first) await first.close().catch(() => undefined);
  }
}
