// The scripts a run sends, run by a real /bin/sh in a private mount namespace (test/helpers/
// ns-transport.ts): the lock's lease and take-over, the writes' compare-and-swap and read-back,
// the run journal, yum detached from the session, the one-shot boot (judged by the test bed's own
// grub shell stand-in), the stage2 word. The judges are the files on disk, read by the test.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { LocalTransport } from '../../src/transport/index.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nsHost, nsUnavailable, type NsHost } from '../helpers/ns-transport.js';
import { acquireLockScript, beginRunScript, detachedYumScript, HOST_EXIT, KEEP_RUNS, leaseGuard, parseYumRc, rebootLeaseScript, releaseLockScript, scriptOutput, setStage2WordScript, writeFilesScript, yumLockHandOffScript, type FileWrite, type LockOwner } from '../../src/apply/host-scripts.js';
import { judgeOneShot, onceWord, oneShotScript, ONCE_FLAG, setOneShot, STAGE2_SAVED_OFFSET } from '../../src/apply/one-shot.js';
import { describeLockRefusal } from '../../src/apply/run-session.js';

const why = nsUnavailable();
if (why && process.env.CI) throw new Error(`host-scripts tests cannot run in CI: ${why}`);
const d = why ? describe.skip : describe;
const hosts: NsHost[] = [];
afterAll(() => hosts.forEach((h) => rmSync(h.dir, { recursive: true, force: true })));
const host = (o: Parameters<typeof nsHost>[0] = {}) => {
  const h = nsHost(o);
  hosts.push(h);
  return h;
};
const owner = (runId: string): LockOwner => ({ runId, controller: 'op@ctl', pid: 1, startedAt: '2026-12-02T00:00:00Z', command: `dom0up apply h (${runId})` });
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const RA = '20261202T000000Z-aaaaaa';
const RB = '20261202T000001Z-bbbbbb';
const lockFile = (h: NsHost) => path.join(h.varlib, 'dom0up', 'lock');
const age = (file: string, seconds: number) => utimesSync(file, new Date(Date.now() - seconds * 1000), new Date(Date.now() - seconds * 1000));

d('the host lock: a lease taken under flock', () => {
  it('free → taken; another run is refused while the lease is fresh, and says who holds it', async () => {
    const h = host();
    const a = await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    expect(a.code, a.stderr.toString()).toBe(0);
    expect(readFileSync(lockFile(h), 'utf8')).toMatch(new RegExp(`^dom0up-lock 1\\nrun=${RA}\\nrebootUntil=0\\nboot=[0-9a-f-]{36}\\nowner=`));
    expect(statSync(path.join(h.varlib, 'dom0up')).mode & 0o777).toBe(0o700);
    const b = await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: true }));
    expect(b.code).toBe(HOST_EXIT.lockRefused);
    const msg = describeLockRefusal(b.stdout.toString());
    expect(msg.message).toMatch(new RegExp(`run ${RA} .* renewed it \\d+ s ago: it is running`));
    expect(readFileSync(lockFile(h), 'utf8')).toContain(`run=${RA}`);
  });

  it('a lease not renewed for 2 minutes is taken over; the old owner\'s next script stops before changing anything', async () => {
    const h = host();
    await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    age(lockFile(h), 121);
    const b = await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: false }));
    expect(b.code, b.stderr.toString()).toBe(0);
    expect(scriptOutput(b.stdout.toString()).kv.get('tookover_age')).toMatch(/^12\d$/);
    const late = await h.t.exec(`${leaseGuard(RA)}\ntouch /var/lib/changed-by-a`);
    expect(late.code).toBe(HOST_EXIT.lockLost);
    expect(existsSync(path.join(h.varlib, 'changed-by-a'))).toBe(false);
    // the lease guard renews: B's lock is fresh again
    age(lockFile(h), 100);
    expect((await h.t.exec(leaseGuard(RB))).code).toBe(0);
    expect(Date.now() - statSync(lockFile(h)).mtimeMs).toBeLessThan(10_000);
  });

  it('a reboot lease holds beyond 2 minutes; --break-lock ignores it; the owner takes its own lock again after its reboot', async () => {
    const h = host();
    await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    expect((await h.t.exec(rebootLeaseScript(owner(RA), 900))).code).toBe(0);
    expect(readFileSync(lockFile(h), 'utf8')).toMatch(/^rebootUntil=\d{10}$/m);
    age(lockFile(h), 600);
    const b = await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: false }));
    expect(b.code).toBe(HOST_EXIT.lockRefused);
    expect(describeLockRefusal(b.stdout.toString()).message).toMatch(/is rebooting this host and holds the lock for \d+ more min/);
    const own = await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    expect(own.code).toBe(0);
    expect(readFileSync(lockFile(h), 'utf8')).toMatch(/^rebootUntil=0$/m);
    await h.t.exec(rebootLeaseScript(owner(RA), 900));
    age(lockFile(h), 600);
    const brk = await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: true }));
    expect(brk.code).toBe(0);
    expect(readFileSync(lockFile(h), 'utf8')).toContain(`run=${RB}`);
    expect((await h.t.exec(releaseLockScript(RA))).stdout.toString()).toBe('');
    expect((await h.t.exec(releaseLockScript(RB))).stdout.toString()).toContain('lock_released=1');
    expect(existsSync(lockFile(h))).toBe(false);
  });

  it('a fresh lock from an earlier boot (its run died with a power cut) is taken over at once', async () => {
    const h = host();
    await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    writeFileSync(lockFile(h), readFileSync(lockFile(h), 'utf8').replace(/^boot=.*$/m, 'boot=00000000-0000-0000-0000-000000000000'));
    const b = await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: false }));
    expect(b.code, b.stdout.toString()).toBe(0);
    expect(scriptOutput(b.stdout.toString()).kv.get('tookover_reason')).toBe('the host rebooted');
  });

  it('taking over is atomic: of eight runs racing for an expired lock exactly one wins', async () => {
    const h = host();
    await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    age(lockFile(h), 300);
    const ids = Array.from({ length: 8 }, (_, i) => `20261202T00000${i}Z-cccccc`);
    const rs = await Promise.all(ids.map((id) => h.t.exec(acquireLockScript({ owner: owner(id), breakLock: false }))));
    const won = rs.filter((r) => r.code === 0);
    expect(won).toHaveLength(1);
    expect(rs.filter((r) => r.code === HOST_EXIT.lockRefused)).toHaveLength(7);
    const winner = ids[rs.findIndex((r) => r.code === 0)]!;
    expect(readFileSync(lockFile(h), 'utf8')).toContain(`run=${winner}`);
  });
});

d('writing files', () => {
  const write = (h: NsHost, ws: (Omit<FileWrite, 'n' | 'sha256' | 'length'> & { content: Buffer })[]) =>
    h.t.exec(writeFilesScript(ws.map((w, n) => ({ ...w, n, sha256: sha(w.content), length: w.content.length }))), { stdin: Buffer.concat(ws.map((w) => w.content)) });

  it('every file checked before any is written: one changed file refuses the whole batch', async () => {
    const h = host();
    const a = path.join(h.dir, 'a.conf');
    const b = path.join(h.dir, 'b.conf');
    writeFileSync(a, 'old a\n');
    writeFileSync(b, 'changed by hand\n');
    const r = await write(h, [
      { path: a, expect: sha('old a\n'), mode: 0o644, mkdirs: [], content: Buffer.from('new a\n') },
      { path: b, expect: sha('old b\n'), mode: 0o644, mkdirs: [], content: Buffer.from('new b\n') },
    ]);
    expect(r.code).toBe(HOST_EXIT.changed);
    expect(scriptOutput(r.stdout.toString()).all.get('changed')).toEqual([`${b} ${sha('changed by hand\n')}`]);
    expect(readFileSync(a, 'utf8')).toBe('old a\n');
  });

  it('exact bytes (latin1 too), the mode of an existing file kept, a new file with its mode, missing parents created, no temp files left', async () => {
    const h = host();
    const a = path.join(h.dir, 'grub.conf');
    writeFileSync(a, 'x\n', { mode: 0o600 });
    const latin = Buffer.from([0x23, 0xe9, 0x0a]);
    const nested = path.join(h.dir, 'pki', 'rpm-gpg', 'KEY');
    const r = await write(h, [
      { path: a, expect: sha('x\n'), mode: 0o644, mkdirs: [], content: latin },
      { path: nested, expect: 'absent', mode: 0o640, mkdirs: [path.join(h.dir, 'pki'), path.join(h.dir, 'pki', 'rpm-gpg')], content: Buffer.from('key\n') },
    ]);
    expect(r.code, r.stderr.toString()).toBe(0);
    expect(scriptOutput(r.stdout.toString()).all.get('wrote')).toEqual(['0', '1']);
    expect(readFileSync(a)).toEqual(latin);
    expect(statSync(a).mode & 0o777).toBe(0o600);
    expect(statSync(nested).mode & 0o777).toBe(0o640);
    expect(statSync(path.join(h.dir, 'pki')).mode & 0o777).toBe(0o755);
    expect(readdirSync(h.dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a path that became a symbolic link is refused; the link and its target stay', async () => {
    const h = host();
    const target = path.join(h.dir, 'elsewhere');
    writeFileSync(target, 'secret\n');
    const f = path.join(h.dir, 'xl.conf');
    symlinkSync(target, f);
    const r = await write(h, [{ path: f, expect: sha('secret\n'), mode: 0o644, mkdirs: [], content: Buffer.from('autoballoon="off"\n') }]);
    expect(r.code).toBe(HOST_EXIT.link);
    expect(lstatSync(f).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('secret\n');
  });

  it('removes a file the rollback restores as absent, after the same check', async () => {
    const h = host();
    const f = path.join(h.dir, 'x.repo');
    writeFileSync(f, '[x]\n');
    const r = await h.t.exec(writeFilesScript([{ n: 0, path: f, expect: sha('[x]\n'), sha256: '', length: 0, mode: 0o644, mkdirs: [], remove: true }]));
    expect(r.code).toBe(0);
    expect(existsSync(f)).toBe(false);
  });
});

d('writing files: each failure inside the write, at the exact command (a shim first in PATH stands in for it; /bin/sh runs the script)', () => {
  /** A transport whose PATH starts with a directory of shims: NAME → shell text run instead of the real program. */
  const shimmed = (dir: string, shims: Record<string, string>) => {
    const bin = path.join(dir, 'shim-bin');
    mkdirSync(bin, { recursive: true });
    for (const [name, body] of Object.entries(shims)) writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return new LocalTransport({ target: 'shim', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` } });
  };
  const one = (f: string, before: string, content: Buffer): FileWrite => ({ n: 0, path: f, expect: sha(before), sha256: sha(content), length: content.length, mode: 0o644, mkdirs: [] });
  const NEW = Buffer.from('default=1\n');
  const setup = () => {
    const h = host();
    const f = path.join(h.dir, 'grub.conf');
    writeFileSync(f, 'default=0\n', { mode: 0o600 });
    return { h, f };
  };
  const temps = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.grub.conf.dom0up.'));

  it('the new content arrives by rename(2): a reader that opened the old file still reads the old bytes, whole; the path has a new inode', async () => {
    const { h, f } = setup();
    const fd = openSync(f, 'r');
    const inode = statSync(f).ino;
    try {
      const r = await h.t.exec(writeFilesScript([one(f, 'default=0\n', NEW)]), { stdin: NEW });
      expect(r.code, r.stderr.toString()).toBe(0);
      const old = Buffer.alloc(64);
      const n = readSync(fd, old, 0, 64, 0);
      expect(old.subarray(0, n).toString()).toBe('default=0\n');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(f)).toEqual(NEW);
    expect(statSync(f).ino).not.toBe(inode);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('another process changes the file between the rename and the read-back: exit readBack, naming the file', async () => {
    const { h, f } = setup();
    // sync runs right after the rename (and once before it): when the new bytes are in place, replace them
    const t = shimmed(h.dir, { sync: `if [ "$(cat ${JSON.stringify(f)})" = "default=1" ]; then printf 'edited by someone else\\n' > ${JSON.stringify(f)}; fi` });
    const r = await t.exec(writeFilesScript([one(f, 'default=0\n', NEW)]), { stdin: NEW });
    expect(r.code).toBe(HOST_EXIT.readBack);
    expect(r.stderr.toString()).toContain(`dom0up: ${f} does not hold what was written (read back ${sha('edited by someone else\n')})`);
    expect(scriptOutput(r.stdout.toString()).all.get('wrote')).toBeUndefined();
  });

  it('mktemp fails: exit mkdir; the file untouched', async () => {
    const { h, f } = setup();
    const r = await shimmed(h.dir, { mktemp: 'echo "mktemp: failed" >&2; exit 1' }).exec(writeFilesScript([one(f, 'default=0\n', NEW)]), { stdin: NEW });
    expect(r.code).toBe(HOST_EXIT.mkdir);
    expect(readFileSync(f, 'utf8')).toBe('default=0\n');
  });

  it('the copy into the temporary file fails: exit write; the file untouched', async () => {
    const { h, f } = setup();
    const r = await shimmed(h.dir, { head: 'exit 1' }).exec(writeFilesScript([one(f, 'default=0\n', NEW)]), { stdin: NEW });
    expect(r.code).toBe(HOST_EXIT.write);
    expect(readFileSync(f, 'utf8')).toBe('default=0\n');
  });

  it('stdin ends early (the connection cut the content short): exit shortWrite; the file untouched', async () => {
    const { h, f } = setup();
    const r = await h.t.exec(writeFilesScript([one(f, 'default=0\n', NEW)]), { stdin: NEW.subarray(0, 4) });
    expect(r.code).toBe(HOST_EXIT.shortWrite);
    expect(r.stderr.toString()).toMatch(/the written copy of .* does not match/);
    expect(readFileSync(f, 'utf8')).toBe('default=0\n');
  });

  it('owner and mode cannot be copied: exit owner; the file untouched', async () => {
    const { h, f } = setup();
    const r = await shimmed(h.dir, { chown: 'echo "chown: Operation not permitted" >&2; exit 1' }).exec(writeFilesScript([one(f, 'default=0\n', NEW)]), { stdin: NEW });
    expect(r.code).toBe(HOST_EXIT.owner);
    expect(readFileSync(f, 'utf8')).toBe('default=0\n');
  });

  it('the rename fails: exit rename; the file untouched', async () => {
    const { h, f } = setup();
    const r = await shimmed(h.dir, { mv: 'echo "mv: cannot move: Input/output error" >&2; exit 1' }).exec(writeFilesScript([one(f, 'default=0\n', NEW)]), { stdin: NEW });
    expect(r.code).toBe(HOST_EXIT.rename);
    expect(readFileSync(f, 'utf8')).toBe('default=0\n');
  });

  it('under the lease guard a failed write leaves no temporary file behind', async () => {
    const { h, f } = setup();
    await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    const r = await shimmed(h.dir, { mv: 'exit 1' }).exec(`${leaseGuard(RA).replaceAll('/var/lib/', `${h.varlib}/`)}\n${writeFilesScript([one(f, 'default=0\n', NEW)])}`, { stdin: NEW });
    expect(r.code).toBe(HOST_EXIT.rename);
    expect(temps(h.dir)).toEqual([]);
  });
});

d('the run journal', () => {
  it('records the files as they are, refuses (and releases the lock) when one changed, keeps the first run and the newest ones', async () => {
    const h = host();
    const f = path.join(h.dir, 'grub.conf');
    writeFileSync(f, 'before\n', { mode: 0o600 });
    await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }));
    const meta = Buffer.from('{"m":1}');
    const plan = Buffer.from('{"p":1}');
    const begin = (runId: string, expect: string) => h.t.exec(beginRunScript({ runId, files: [{ path: f, expect }, { path: path.join(h.dir, 'new.repo'), expect: 'absent' }], stage2Word: null, metaBytes: meta.length, planBytes: plan.length }), { stdin: Buffer.concat([meta, plan]) });
    const bad = await begin(RA, sha('something else\n'));
    expect(bad.code).toBe(HOST_EXIT.changed);
    expect(existsSync(path.join(h.varlib, 'dom0up', 'runs', RA))).toBe(false);
    expect(existsSync(lockFile(h))).toBe(false);
    const ok = await begin(RA, sha('before\n'));
    expect(ok.code, ok.stderr.toString()).toBe(0);
    const R = path.join(h.varlib, 'dom0up', 'runs', RA);
    expect(readFileSync(path.join(R, 'files', '0'), 'utf8')).toBe('before\n');
    expect(existsSync(path.join(R, 'files', '1'))).toBe(false);
    expect(readFileSync(path.join(R, 'meta.json'), 'utf8')).toBe('{"m":1}');
    expect(readFileSync(path.join(R, 'plan.json'), 'utf8')).toBe('{"p":1}');
    expect(lstatSync(path.join(h.varlib, 'dom0up', 'origin')).isSymbolicLink()).toBe(true);
    // retention by runs: after many more, the origin and the newest KEEP_RUNS remain
    const ids = Array.from({ length: KEEP_RUNS + 5 }, (_, i) => `20261203T${String(i).padStart(6, '0')}Z-dddddd`);
    for (const id of ids) expect((await begin(id, sha('before\n'))).code).toBe(0);
    const left = readdirSync(path.join(h.varlib, 'dom0up', 'runs')).sort();
    expect(left).toEqual([RA, ...ids.slice(-KEEP_RUNS)].sort());
  });
});

d('yum, detached from the session', () => {
  it('goes on after the script that started it is killed; the exit status is recorded and streamed back', async () => {
    const h = host();
    const runId = RA;
    mkdirSync(path.join(h.varlib, 'dom0up', 'runs', runId), { recursive: true });
    const nonce = 'abc123abc123abc1';
    const fast = await h.t.exec(detachedYumScript(runId, 'echo installing; exit 3', nonce));
    expect(fast.stdout.toString()).toContain('installing');
    expect(parseYumRc(fast.stdout.toString(), nonce)).toBe(3);
    // the script is killed (its timeout) while "yum" still runs: yum finishes anyway
    const slow = await h.t.exec(detachedYumScript(runId, 'sleep 2; echo done > /var/lib/yum-finished', nonce), { timeoutMs: 500 });
    expect(slow.timedOut).toBe(true);
    await new Promise((r) => setTimeout(r, 3500));
    expect(readFileSync(path.join(h.varlib, 'yum-finished'), 'utf8')).toBe('done\n');
    expect(readFileSync(path.join(h.varlib, 'dom0up', 'runs', runId, 'yum.log.rc'), 'utf8')).toBe('0\n');
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const yumLog = (h: NsHost, runId: string) => path.join(h.varlib, 'dom0up', 'runs', runId, 'yum.log');
  /** A run holding the lock whose yum ("sleep S") runs detached, its script (renewing every second) without a session. */
  async function yumRunning(seconds: number): Promise<NsHost> {
    const h = host();
    expect((await h.t.exec(acquireLockScript({ owner: owner(RA), breakLock: false }))).code).toBe(0);
    mkdirSync(path.join(h.varlib, 'dom0up', 'runs', RA), { recursive: true });
    // the script goes on without its session, as on a host whose SSH connection dropped (sshd sends no signal)
    const script = detachedYumScript(RA, `sleep ${seconds}`, 'abc123abc123abc1', 1);
    writeFileSync(path.join(h.varlib, 'yum-script.sh'), script);
    expect((await h.t.exec('setsid sh /var/lib/yum-script.sh </dev/null >/dev/null 2>&1 &')).code).toBe(0);
    for (let i = 0; i < 40 && !existsSync(yumLog(h, RA)); i++) await sleep(25);
    await sleep(300);
    return h;
  }

  it('the lease renewal while yum runs never makes a released lock again (it renewed an empty lock file before)', async () => {
    const h = await yumRunning(3);
    rmSync(lockFile(h));
    await sleep(2500);
    expect(existsSync(lockFile(h))).toBe(false);
    // another run's lock is not renewed by it either
    expect((await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: false }))).code).toBe(0);
    age(lockFile(h), 60);
    await sleep(1500);
    expect(Date.now() - statSync(lockFile(h)).mtimeMs).toBeGreaterThan(50_000);
  });

  it('a run that stops while its yum runs leaves the lock to yum: the next run is refused naming the install; yum releases the lock when it ends', async () => {
    const h = await yumRunning(3);
    const off = await h.t.exec(yumLockHandOffScript(RA));
    expect(off.code, off.stderr.toString()).toBe(0);
    expect(off.stdout.toString()).toBe('lock_kept_for_yum=1\n');
    expect(readFileSync(lockFile(h), 'utf8')).toMatch(new RegExp(`^run=${RA}$[\\s\\S]*^yum=running detached`, 'm'));
    const other = await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: false }));
    expect(other.code).toBe(HOST_EXIT.lockRefused);
    const why = describeLockRefusal(other.stdout.toString());
    expect(why.message).toMatch(new RegExp(`^the yum install xen of run ${RA} still runs on the host`));
    expect(why.hint).toContain(`/var/lib/dom0up/runs/${RA}/yum.log`);
    // yum ends: the lock is gone by the time its exit status is there
    let rc: string | null = null;
    for (let i = 0; i < 60 && rc === null; i++) {
      await sleep(100);
      if (existsSync(`${yumLog(h, RA)}.rc`)) {
        expect(existsSync(lockFile(h))).toBe(false);
        rc = readFileSync(`${yumLog(h, RA)}.rc`, 'utf8');
      }
    }
    expect(rc).toBe('0\n');
    expect((await h.t.exec(acquireLockScript({ owner: owner(RB), breakLock: false }))).code).toBe(0);
  });

  it('the hand-off after yum has ended releases at once; with another run\'s lock it changes nothing', async () => {
    const h = await yumRunning(0);
    for (let i = 0; i < 50 && !existsSync(`${yumLog(h, RA)}.rc`); i++) await sleep(50);
    expect((await h.t.exec(yumLockHandOffScript(RA))).stdout.toString()).toBe('lock_released=1\n');
    expect(existsSync(lockFile(h))).toBe(false);
    const h2 = await yumRunning(2);
    rmSync(lockFile(h2));
    expect((await h2.t.exec(acquireLockScript({ owner: owner(RB), breakLock: false }))).code).toBe(0);
    const before = readFileSync(lockFile(h2), 'utf8');
    expect((await h2.t.exec(yumLockHandOffScript(RA))).stdout.toString()).toBe('');
    expect(existsSync(`${yumLog(h2, RA)}.abandoned`)).toBe(false);
    await sleep(2500);
    expect(readFileSync(lockFile(h2), 'utf8')).toBe(before);
  });
});

d('the one-shot boot and the stage2 word', () => {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const grubShell = `#!/usr/bin/python3 -IB\nimport sys\nsys.path.insert(0, ${JSON.stringify(path.join(repo, 'test', 'testbed', 'host'))})\nfrom tb import commands\nsys.exit(commands.run('grub', sys.argv))\n`;
  const stage2 = (h: NsHost, word: number) => {
    const b = Buffer.alloc(1024);
    b.writeUInt32LE(word, STAGE2_SAVED_OFFSET);
    writeFileSync(path.join(h.boot!, 'grub', 'stage2'), b);
  };
  const word = (h: NsHost) => readFileSync(path.join(h.boot!, 'grub', 'stage2')).readUInt32LE(STAGE2_SAVED_OFFSET);

  it('dom0up\'s command stores (N<<8)|once|old in stage2 (the test bed\'s grub shell does it), and the word read back decides', async () => {
    const h = host({ boot: true, grub: grubShell });
    stage2(h, 1);
    const r = await h.t.exec(oneShotScript(2));
    expect(r.code, r.stderr.toString()).toBe(0);
    expect(word(h)).toBe(onceWord(2, 1));
    expect(word(h)).toBe((2 << 8) | ONCE_FLAG | 1);
    expect(judgeOneShot(r.stdout.toString(), 2)).toMatchObject({ ok: true, word: onceWord(2, 1) });
    expect(judgeOneShot(r.stdout.toString(), 3).ok).toBe(false);
    // a harmless "error:" from a library on grub's output does not matter when the word is right
    expect(judgeOneShot(`oneshot_begin\nsome lib: error: ignorable\noneshot_end\noneshot_word=${onceWord(2, 1)}\n`, 2).ok).toBe(true);
    expect(judgeOneShot('oneshot_begin\n\noneshot_end\noneshot_word=\n', 2)).toMatchObject({ ok: false, word: null });
  });

  it('setOneShot over the host\'s shell: the word the grub shell stored is returned; a grub shell that stores nothing is an error naming the phase, with its output', async () => {
    const h = host({ boot: true, grub: grubShell });
    stage2(h, 0);
    await expect(setOneShot(h.t, 3)).resolves.toEqual({ word: onceWord(3, 0) });
    expect(word(h)).toBe(onceWord(3, 0));
    const broken = host({ boot: true, grub: '#!/bin/sh\ncat >/dev/null\necho "Error 15: File not found"\nexit 0\n' });
    stage2(broken, 0);
    await expect(setOneShot(broken.t, 3)).rejects.toMatchObject({ phase: 'one-shot boot', message: 'ns: one-shot boot: grub did not store the one-shot boot of entry 3 (stage2 word 0x0)', detail: expect.stringContaining('Error 15') });
    expect(word(broken)).toBe(0);
    const failing = host({ boot: true, grub: '#!/bin/sh\necho "grub: cannot open /dev/sda" >&2\nexit 1\n' });
    stage2(failing, 0);
    // the word read back decides, not grub's exit status: nothing stored is the same error
    await expect(setOneShot(failing.t, 1)).rejects.toMatchObject({ message: expect.stringMatching(/did not store the one-shot boot of entry 1/), detail: expect.stringContaining('cannot open /dev/sda') });
  });

  it('the stage2 word is written back exactly and read back (rollback clears a pending one-shot)', async () => {
    const h = host({ boot: true });
    stage2(h, onceWord(0, 1));
    const r = await h.t.exec(setStage2WordScript(1));
    expect(r.code, r.stderr.toString()).toBe(0);
    expect(word(h)).toBe(1);
    expect(readFileSync(path.join(h.boot!, 'grub', 'stage2')).length).toBe(1024);
  });
});
