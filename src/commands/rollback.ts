/**
 * dom0up rollback HOST: put every file a run changed back to what it was before that run (from the
 * run's journal on the host: the bytes, owner, mode and context of each file, the stage2 saved
 * word), files the run created are removed; with a diff first, under the host lock, as a run of
 * its own (so a rollback can be rolled back), every file read back; optionally a reboot that
 * must come back on what the host booted before that run. Packages stay installed.
 */
import { createHash } from 'node:crypto';
import { UserError, RemoteError } from '../errors.js';
import { openHost } from '../remote/connect.js';
import { readHostFacts } from '../apply/waits.js';
import { rebootAndWait, rebootCommand } from '../apply/reboot.js';
import { decodeText } from '../io/decode-text.js';
import { parseGrubConf } from '../grub/index.js';
import { unifiedDiff } from '../plan/unified-diff.js';
import { nextBootIndex } from '../plan/make-plan.js';
import type { Ui } from '../ui/io.js';
import { EXIT } from '../exit-codes.js';
import { askYesNo, controllerName, newRunId, withAsk, type RemoteCommon } from './remote.js';
import { colorDiff } from '../ui/render-grub.js';
import { RUN_ID, type HostFacts } from '../facts/index.js';
import type { Transport } from '../transport/index.js';
import { beginRunScript, HOST_EXIT, journalScript, listRunsScript, readRunFilesScript, rebootLeaseScript, scriptOutput, setStage2WordScript, writeFilesScript, type FileWrite } from '../apply/host-scripts.js';
import { parseStepRecords, type RunMeta, type StepRecord } from '../apply/run-journal.js';
import { RunSession, newNonce } from '../apply/run-session.js';
import { ONCE_FLAG } from '../apply/one-shot.js';
import { DOM0UP_VERSION } from '../version.js';

export interface RunSummary {
  runId: string;
  meta: RunMeta | null;
  steps: StepRecord[];
  /** It changed something on the host (a file, yum, the one-shot boot). */
  changed: boolean;
  outcome: string | null;
  /** The run it rolled back, when it is a rollback. */
  rollbackOf: string | null;
  /** A later rollback undid it. */
  rolledBackBy: string | null;
}

const CHANGING = /^(repo|gpg-key|kernel-sysconfig|xen-kernel-sysconfig|xl-conf|grub|grub-commit|one-shot|yum|restore|lock)$/;

export function parseRunList(stdout: string, nonce: string): { runs: RunSummary[]; origin: string | null } {
  const runs: RunSummary[] = [];
  const parts = stdout.split(`@@${nonce} run `);
  for (const p of parts.slice(1)) {
    const [head = '', ...rest] = p.split('\n');
    const runId = head.trim();
    if (!RUN_ID.test(runId)) continue;
    const { kv } = scriptOutput(rest.join('\n'));
    let meta: RunMeta | null = null;
    try {
      const m = Buffer.from(kv.get('meta') ?? '', 'base64').toString('utf8');
      meta = m ? (JSON.parse(m) as RunMeta) : null;
    } catch {
      meta = null;
    }
    const steps = parseStepRecords(Buffer.from(kv.get('steps') ?? '', 'base64').toString('utf8'));
    const end = steps.find((s) => s.status === 'end');
    const rb = /^rollback of (\S+)/.exec(meta?.command ?? '')?.[1] ?? null;
    runs.push({ runId, meta, steps, changed: steps.some((s) => s.status === 'done' && CHANGING.test(s.step) && s.step !== 'lock'), outcome: end?.outcome ?? null, rollbackOf: rb && RUN_ID.test(rb) ? rb : null, rolledBackBy: null });
  }
  for (const r of runs) if (r.rollbackOf && r.changed) {
    const target = runs.find((x) => x.runId === r.rollbackOf);
    if (target) target.rolledBackBy = r.runId;
  }
  const origin = /^origin=runs\/(\S+)$/m.exec(stdout)?.[1] ?? null;
  return { runs, origin };
}

/** The run to roll back: the one named (a run id, or its stamp), else the latest run that changed something and was not undone already. */
export function chooseRun(runs: RunSummary[], wanted?: string): RunSummary {
  if (wanted) {
    const m = runs.filter((r) => r.runId === wanted || r.runId.startsWith(wanted));
    if (m.length === 1) return m[0]!;
    throw new UserError(m.length ? `--run ${JSON.stringify(wanted)} matches ${m.length} runs` : `no run ${JSON.stringify(wanted)} on the host`, 'list them with dom0up rollback HOST --list');
  }
  const r = [...runs].reverse().find((x) => x.changed && x.meta && !x.rollbackOf && !x.rolledBackBy);
  if (!r) throw new UserError('no dom0up run on the host changed anything that is not rolled back already', 'list the runs with dom0up rollback HOST --list');
  return r;
}

export interface RestorePlan {
  run: RunSummary;
  files: { path: string; via?: string; action: 'restore' | 'remove' | 'same'; current: Buffer | null; content: Buffer | null; diff: string; mode: number }[];
  /** The stage2 word to write back (null: leave it). */
  word: { from: number; to: number } | null;
  /** What GRUB boots after the restore, and whether it is what it booted before the run. */
  nextEntry: { index: number | null; title: string | null; matches: boolean };
}

/** Pure: from the run's copies and the current files, what the rollback writes. */
export function planRestore(run: RunSummary, read: Map<string, string>, currentWord: number | null): RestorePlan {
  const meta = run.meta as RunMeta;
  const files: RestorePlan['files'] = meta.files.map((f, i) => {
    const copy = read.get(`copy_${i}`);
    const cur = read.get(`cur_${i}`);
    if (cur === 'notfile') throw new UserError(`${f.path} is not a regular file now; rollback does not replace it`, 'move it away by hand, then run again');
    const current = cur !== undefined ? Buffer.from(cur, 'base64') : null;
    if (f.existed && copy === undefined) throw new UserError(`the run's copy of ${f.path} is missing from its journal`, 'choose another run (--list)');
    const content = f.existed ? Buffer.from(copy as string, 'base64') : null;
    if (content && createHash('sha256').update(content).digest('hex') !== f.sha256) throw new UserError(`the run's copy of ${f.path} does not match its recorded sha256`, 'the journal is damaged; choose another run (--list)');
    const same = content === null ? current === null : current !== null && current.equals(content);
    const label = f.via ?? f.path;
    return {
      path: f.path,
      ...(f.via ? { via: f.via } : {}),
      action: same ? 'same' : content === null ? 'remove' : 'restore',
      current,
      content,
      diff: same ? '' : unifiedDiff(label, current ? decodeText(current).text : '', content ? decodeText(content).text : ''),
      mode: f.mode ?? 0o644,
    };
  });
  const want = meta.stage2Word;
  const word = want !== null && currentWord !== null && want !== currentWord ? { from: currentWord, to: want } : null;
  // what GRUB boots after the restore
  const grub = files.find((f) => f.path === meta.grubConf);
  let next: RestorePlan['nextEntry'] = { index: null, title: null, matches: meta.boot.nextEntry === null };
  if (grub) {
    const text = grub.content ? decodeText(grub.content) : null;
    if (text) {
      const conf = parseGrubConf(text.text, { latin1: text.encoding === 'latin1' });
      const w = word ? word.to : currentWord;
      const i = nextBootIndex(conf, w);
      const e = i !== null ? conf.entries[i] : undefined;
      const before = meta.boot.nextEntry;
      next = { index: i, title: e ? e.title.trimEnd() : null, matches: before !== null && e !== undefined && e.title.trimEnd() === before.title && (e.version ?? null) === before.version && e.kind === before.kind };
    }
  }
  return { run, files, word, nextEntry: next };
}

export interface RollbackOptions extends RemoteCommon {
  run?: string;
  list: boolean;
  reboot: boolean;
  yes: boolean;
  force: boolean;
  breakLock?: boolean;
}

async function listRuns(t: Transport): Promise<ReturnType<typeof parseRunList>> {
  const nonce = newNonce();
  const r = await t.exec(listRunsScript(nonce), { sudo: true, timeoutMs: 60_000 });
  if (r.code !== 0) throw new RemoteError(t.target, 'rollback', `reading the run journals failed (exit ${r.code ?? (r.lost ? 'connection lost' : '?')})`);
  return parseRunList(r.stdout.toString('utf8'), nonce);
}

export async function rollbackCli(ui: Ui, o: RollbackOptions): Promise<number> {
  const { transport: first, reconnect, probe } = await openHost(o.host, withAsk(ui, o.ssh));
  let t: Transport = first;
  try {
    const facts: HostFacts = await readHostFacts(t, 'rollback');
    const { runs, origin } = await listRuns(t);
    if (o.list) {
      const rows = runs.map((r) => ({ run: r.runId, command: r.meta?.command ?? '?', startedAt: r.meta?.startedAt ?? null, outcome: r.outcome, changed: r.changed, origin: r.runId === origin, rollbackOf: r.rollbackOf, rolledBackBy: r.rolledBackBy, files: r.meta?.files.map((f) => f.via ?? f.path) ?? [], bootedBefore: r.meta?.boot.nextEntry ?? null }));
      if (o.json) ui.json({ target: t.target, runs: rows });
      else if (rows.length === 0) ui.print(`${t.target}: no dom0up runs recorded\n`);
      else for (const r of rows) ui.print(`${r.run}  ${(r.outcome ?? 'unfinished').padEnd(15)} ${r.changed ? 'changed' : 'no change'}  ${r.command}${r.origin ? '  (the first run: kept forever)' : ''}${r.rolledBackBy ? `  (rolled back by ${r.rolledBackBy})` : ''}\n`);
      return EXIT.ok;
    }
    const run = chooseRun(runs, o.run);
    if (!run.meta) throw new UserError(`run ${run.runId} has no readable journal (meta.json)`, 'choose another run (--list)');
    const meta = run.meta;
    const r = await t.exec(readRunFilesScript(run.runId, meta.files), { sudo: true, timeoutMs: 60_000 });
    if (r.code !== 0) throw new RemoteError(t.target, 'rollback', `reading run ${run.runId}'s files failed (exit ${r.code ?? (r.lost ? 'connection lost' : '?')})`);
    const { kv } = scriptOutput(r.stdout.toString('utf8'));
    const currentWord = /^\d+$/.test(kv.get('word') ?? '') ? Number(kv.get('word')) : null;
    const plan = planRestore(run, kv, currentWord);
    const changes = plan.files.filter((f) => f.action !== 'same');
    if (!plan.nextEntry.matches && !o.force) {
      const b = meta.boot.nextEntry;
      throw new UserError(`after the restore GRUB would boot entry ${plan.nextEntry.index ?? '?'} "${plan.nextEntry.title ?? '?'}", not "${b?.title ?? '?'}" that it booted before run ${run.runId}`, '--force restores the files anyway');
    }
    if (!o.json) {
      ui.note(`${t.target}: roll back run ${run.runId} (${meta.command}, ${meta.startedAt}): the files as they were before it`);
      for (const c of changes) ui.note(c.action === 'remove' ? `remove ${c.via ?? c.path} (the run created it)` : colorDiff(c.diff.trimEnd(), ui.err));
      if (plan.word) ui.note(`stage2 saved word 0x${plan.word.from.toString(16)} → 0x${plan.word.to.toString(16)}${plan.word.from & ONCE_FLAG ? ' (clears a pending one-shot boot)' : ''}`);
      if (!changes.length && !plan.word) ui.note('every file already is as it was before that run');
      ui.note(`GRUB then boots entry ${plan.nextEntry.index ?? '?'} "${plan.nextEntry.title ?? '?'}" as before the run; packages stay installed (rollback restores files, not packages)`);
    }
    if (!changes.length && !plan.word) {
      if (o.json) ui.json({ target: t.target, run: run.runId, restored: [], removed: [], word: null, reboot: null });
      return EXIT.ok;
    }
    if (!o.yes) {
      if (!ui.interactive) throw new UserError(`${t.target}: rollback needs confirmation and there is no terminal to ask`, 'run again with --yes');
      if (!(await askYesNo(ui, `Restore these files on ${t.target}? [y/N] `))) return EXIT.ok;
    }
    // one script: the lock, this rollback's own journal (its pre-state is the current one), the
    // writes (compare-and-swap against what was just read, read back), the stage2 word
    const runId = newRunId();
    const session = new RunSession(t, runId, { runId, controller: controllerName(), pid: process.pid, startedAt: new Date().toISOString(), command: `rollback of ${run.runId}` });
    const rbMeta: RunMeta = {
      version: meta.version, run: runId, command: `rollback of ${run.runId}`, controller: controllerName(), dom0up: DOM0UP_VERSION, startedAt: new Date().toISOString(),
      boot: { nextEntry: null, running: { kernel: facts.kernel.release, xen: facts.hypervisor.dom0, xenCmdline: null } },
      bootId: facts.kernel.bootId, stage2Word: currentWord, grubConf: meta.grubConf,
      files: plan.files.map((f, i) => ({ path: f.path, ...(f.via ? { via: f.via } : {}), existed: f.current !== null, sha256: f.current ? createHash('sha256').update(f.current).digest('hex') : null, mode: null, uid: null, gid: null, context: null, copy: f.current ? `files/${i}` : null })),
      planSha256: '',
    };
    const metaBuf = Buffer.from(JSON.stringify(rbMeta, null, 1));
    const planBuf = Buffer.from(JSON.stringify({ rollbackOf: run.runId }));
    const writes: FileWrite[] = [];
    const payload: Buffer[] = [metaBuf, planBuf];
    changes.forEach((c, n) => {
      const expect = c.current ? createHash('sha256').update(c.current).digest('hex') : 'absent';
      if (c.action === 'remove') writes.push({ n, path: c.path, expect, sha256: '', length: 0, mode: c.mode, mkdirs: [], remove: true });
      else {
        const content = c.content as Buffer;
        payload.push(content);
        writes.push({ n, path: c.path, expect, sha256: createHash('sha256').update(content).digest('hex'), length: content.length, mode: c.mode, mkdirs: [] });
      }
    });
    const body = [
      beginRunScript({ runId, files: rbMeta.files.map((f) => ({ path: f.path, expect: f.sha256 ?? 'absent' })), stage2Word: currentWord, metaBytes: metaBuf.length, planBytes: planBuf.length }),
      writeFilesScript(writes),
      plan.word ? setStage2WordScript(plan.word.to) : ':',
      journalScript(runId, [{ t: new Date().toISOString(), step: 'restore', status: 'done', detail: `the files of run ${run.runId}` }]),
    ];
    if (!o.reboot) body.push(journalScript(runId, [{ t: new Date().toISOString(), step: 'end', status: 'end', outcome: 'rolled-back' }]), `if [ "$(sed -n 's/^run=//p' /var/lib/dom0up/lock 2>/dev/null | head -n 1)" = '${runId}' ]; then rm -f /var/lib/dom0up/lock; fi`);
    const w = await session.run('rollback', body.join('\n'), { stdin: Buffer.concat(payload), acquire: { breakLock: o.breakLock ?? false }, recordsAfter: true });
    if (w.code !== 0 && !w.lost && w.code !== HOST_EXIT.lockRefused && w.code !== HOST_EXIT.lockLost) {
      // the script stopped before its end: record it and release the lock (never left to expire)
      await session.end('failed', `exit ${w.code ?? '?'}`);
    }
    session.checkCommon('rollback', w, 'the rollback');
    if (w.code === HOST_EXIT.changed) throw new RemoteError(t.target, 'rollback', `${scriptOutput(w.out).all.get('changed')?.map((c) => c.split(' ')[0]).join(', ') ?? 'a file'} changed while the rollback was being prepared; nothing was written`, 'run again');
    const out = scriptOutput(w.out).all;
    const filesDone = (out.get('wrote')?.length ?? 0) + (out.get('removed')?.length ?? 0) === writes.length;
    if (w.code !== 0 && plan.word && filesDone && !out.has('word_set')) {
      const pending = plan.word.from & ONCE_FLAG ? `: the one-shot boot of entry ${(plan.word.from >> 8) & 0xff} is still pending (GRUB boots it once at the next reboot)` : '';
      throw new RemoteError(t.target, 'rollback (stage2 word)', `the files were restored, but the stage2 saved word could not be set back to 0x${plan.word.to.toString(16)} (exit ${w.code ?? '?'})${pending}`, `run dom0up rollback ${o.host} --run ${run.runId} again once /boot/grub/stage2 is writable; the host journal is /var/lib/dom0up/runs/${runId}`, 1, w.stderr.toString('utf8').trim().slice(-1500) || undefined);
    }
    if (w.code !== 0) throw new RemoteError(t.target, 'rollback', `the rollback failed (exit ${w.code ?? '?'})`, `see dom0up rollback ${o.host} --list; the host journal is /var/lib/dom0up/runs/${runId}`, 1, w.stderr.toString('utf8').trim().slice(-1500) || undefined);
    const restored = changes.filter((c) => c.action === 'restore').map((c) => c.via ?? c.path);
    const removed = changes.filter((c) => c.action === 'remove').map((c) => c.via ?? c.path);
    let reboot: { kernel: string; xen: boolean; bootId: string; expected: boolean } | null = null;
    if (o.reboot) {
      const deadline = Date.now() + 15 * 60_000;
      const rb = await rebootAndWait({
        transport: t, reconnect, ...(probe ? { probe } : {}), bootId: facts.kernel.bootId, deadline, onProgress: (s) => ui.note(s),
        send: (token) => session.run('reboot', [rebootLeaseScript(session.owner, 16 * 60), rebootCommand(token)].join('\n')),
      });
      t = rb.transport;
      session.t = t;
      const after = await readHostFacts(t, 'rollback (after reboot)');
      const want = meta.boot.nextEntry;
      const expected = want !== null && after.kernel.release === (want.version ?? after.kernel.release) && after.hypervisor.dom0 === (want.kind === 'xen');
      reboot = { kernel: after.kernel.release, xen: after.hypervisor.dom0, bootId: after.kernel.bootId, expected };
      await session.end(expected ? 'rolled-back' : 'rollback-reboot-differs', `${after.kernel.release}${after.hypervisor.dom0 ? ' (Xen)' : ''}`, '');
    }
    if (o.json) ui.json({ target: t.target, run: run.runId, rollbackRun: runId, restored, removed, word: plan.word, nextEntry: plan.nextEntry, reboot });
    else {
      for (const f of restored) ui.print(`restored ${f} as it was before run ${run.runId}\n`);
      for (const f of removed) ui.print(`removed ${f} (run ${run.runId} created it)\n`);
      if (plan.word) ui.print(`stage2 saved word set back to 0x${plan.word.to.toString(16)}\n`);
      ui.print(`packages stay installed; this rollback is run ${runId} (dom0up rollback ${o.host} --run ${runId} undoes it)\n`);
      if (reboot) ui.print(`rebooted: ${reboot.kernel}${reboot.xen ? ' under Xen' : ' without Xen'}${reboot.expected ? ', as before the run' : ' — NOT what the host ran before the run'}\n`);
      else ui.print(`the host boots "${plan.nextEntry.title ?? '?'}" at its next reboot (dom0up rollback ${o.host} --reboot does it now)\n`);
    }
    return reboot && !reboot.expected ? EXIT.error : EXIT.ok;
  } finally {
    await t.close().catch(() => undefined);
    if (t !== first) await first.close().catch(() => undefined);
  }
}
