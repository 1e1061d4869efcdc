// Fault points (addFaultPoint): a fault exactly at the moment a test names — around a rename, a file
// write, an exec, inside yum's transaction — with the action it names. Each test shows the point fires
// there and nowhere else: what happened before it is on disk, nothing after it ran (or, for `drop`, the
// host carried on).
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addFaultPoint,
  bootLog,
  clearFault,
  clearFaultPoints,
  consoleLog,
  dropConnections,
  faultFirings,
  hostState,
  nextBoot,
  powerOn,
  readHostFile,
  setFault,
  startHosts,
  waitUp,
  type Fleet,
  type TestHost,
} from './index.js';
import { connect, exec, run, type ExecResult } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

const X = '4.9.241-37.el6.x86_64';
const K = '2.6.32-754.el6.x86_64';
const TARGET = '/etc/dom0up-test.conf';
/** the shape of dom0up's atomic write: a temp file beside the target, content, sync, rename, then more */
const WRITE = (f: string) =>
  [
    `f=${f}; d=$(dirname "$f"); b=$(basename "$f")`,
    'tmp=$(mktemp "$d/.$b.XXXXXX") || exit 66',
    'cat > "$tmp" || exit 67',
    'sync',
    'mv -f "$tmp" "$f" || exit 71',
    'echo moved > /root/after-mv',
    'echo done',
  ].join('\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the power goes within a moment of the point (the lab notices the boot ended) */
async function waitOff(h: TestHost, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  let st = await hostState(h);
  while (st !== 'off' && Date.now() < deadline) {
    await sleep(20);
    st = await hostState(h);
  }
  return st;
}

async function write(h: TestHost, f: string, content: string): Promise<ExecResult> {
  const c = await connect(h);
  c.on('error', () => undefined);
  try {
    return await exec(c, WRITE(f), { stdin: content });
  } finally {
    c.end();
  }
}

/** the temp files a cut-off write left beside f */
async function temps(h: TestHost, f: string): Promise<string[]> {
  await waitUp(h);
  const dir = f.slice(0, f.lastIndexOf('/'));
  const base = f.slice(f.lastIndexOf('/') + 1);
  const r = await run(h, `ls -a ${dir} | grep -F .${base}. || true`);
  return r.stdout.split('\n').filter(Boolean);
}

async function reset(h: TestHost, old = 'old\n') {
  if ((await hostState(h)) === 'off') await powerOn(h);
  await waitUp(h);
  await clearFaultPoints(h);
  const r = await run(h, `printf '${old.replace('\n', '\\n')}' > ${TARGET}; rm -f /root/after-mv /etc/.dom0up-test.conf.*; echo ok`);
  expect(r.stdout).toBe('ok\n');
}

describeTestbed('fault points', () => {
  let fleet: Fleet;
  let rn: TestHost, wr: TestHost, ex: TestHost, yum: TestHost, yumCut: TestHost, yumDrop: TestHost, yumPt: TestHost, dom0: TestHost, rb: TestHost;
  beforeAll(async () => {
    fleet = await startHosts([
        { name: 'fp-rename' },
        { name: 'fp-write' },
        { name: 'fp-exec' },
        { name: 'fp-yum' },
        { name: 'fp-yumcut' },
        { name: 'fp-yumdrop' },
        { name: 'fp-yumpt' },
        { name: 'fp-dom0', xen: 'running' },
        { name: 'fp-reboot' },
      ], {
      downtimeMs: 100,
      rebootDelayMs: 100,
      xencommonsDelayMs: 0,
      yumLineDelayMs: 2,
    });
    [rn, wr, ex, yum, yumCut, yumDrop, yumPt, dom0, rb] = fleet.hosts as [TestHost, TestHost, TestHost, TestHost, TestHost, TestHost, TestHost, TestHost, TestHost];
  });
  afterAll(async () => fleet?.stop());

  // ---- rename: between mktemp and mv ----------------------------------------------------------------
  it('rename before + power-cut: the old bytes, the complete temp file beside it, nothing after the mv ran', async () => {
    await reset(rn);
    const fp = await addFaultPoint(rn, { at: 'rename', match: TARGET, when: 'before', action: 'power-cut' });
    const r = await write(rn, TARGET, 'new\n');
    expect(r).toMatchObject({ code: null, dropped: true });
    expect(await waitOff(rn)).toBe('off');
    expect(await readHostFile(rn, TARGET)).toBe('old\n');
    expect(await readHostFile(rn, '/root/after-mv')).toBeNull();
    const [f] = await fp.firings();
    expect(f).toMatchObject({ at: 'rename', when: 'before', action: 'power-cut', subject: TARGET, comm: 'mv', n: 0 });
    expect(f!.argv.slice(0, 2)).toEqual(['mv', '-f']);
    expect(f!.bootId).toBe((await bootLog(rn)).at(-1)!.bootId);
    expect(await consoleLog(rn)).toContain('power cut at a fault point');
    await powerOn(rn);
    const left = await temps(rn, TARGET);
    expect(left).toHaveLength(1);
    expect(await readHostFile(rn, `/etc/${left[0]}`)).toBe('new\n');
  });

  it('rename after + power-cut: the new bytes, no temp file, nothing after the mv ran', async () => {
    await reset(rn);
    await addFaultPoint(rn, { at: 'rename', match: TARGET, when: 'after', action: 'power-cut' });
    expect(await write(rn, TARGET, 'new\n')).toMatchObject({ code: null, dropped: true });
    expect(await waitOff(rn)).toBe('off');
    expect(await readHostFile(rn, TARGET)).toBe('new\n');
    expect(await readHostFile(rn, '/root/after-mv')).toBeNull();
    await powerOn(rn);
    expect(await temps(rn, TARGET)).toEqual([]);
  });

  it('rename before + kill: the session dies before the rename (old bytes); the host stays up', async () => {
    await reset(rn);
    await addFaultPoint(rn, { at: 'rename', match: TARGET, when: 'before', action: 'kill' });
    expect(await write(rn, TARGET, 'new\n')).toMatchObject({ code: null, dropped: true });
    expect(await hostState(rn)).toBe('up');
    expect(await readHostFile(rn, TARGET)).toBe('old\n');
    expect(await readHostFile(rn, '/root/after-mv')).toBeNull();
    expect(await temps(rn, TARGET)).toHaveLength(1);
  });

  it('rename after + kill: renamed (new bytes), then the session dies: nothing after the mv ran', async () => {
    await reset(rn);
    await addFaultPoint(rn, { at: 'rename', match: TARGET, when: 'after', action: 'kill' });
    expect(await write(rn, TARGET, 'new\n')).toMatchObject({ code: null, dropped: true });
    expect(await readHostFile(rn, TARGET)).toBe('new\n');
    expect(await readHostFile(rn, '/root/after-mv')).toBeNull();
  });

  it('rename before + drop: the connection is lost, the host carries on with the rename and the rest', async () => {
    await reset(rn);
    await addFaultPoint(rn, { at: 'rename', match: TARGET, when: 'before', action: 'drop' });
    expect(await write(rn, TARGET, 'new\n')).toMatchObject({ code: null, dropped: true });
    const deadline = Date.now() + 5000;
    while ((await readHostFile(rn, '/root/after-mv')) === null && Date.now() < deadline) await sleep(50);
    expect(await readHostFile(rn, TARGET)).toBe('new\n');
    expect(await readHostFile(rn, '/root/after-mv')).toBe('moved\n');
  });

  it('rename before + fail (ENOSPC): mv reports it, the old file stays', async () => {
    await reset(rn);
    await addFaultPoint(rn, { at: 'rename', match: TARGET, when: 'before', action: 'fail', errno: 'ENOSPC' });
    const r = await write(rn, TARGET, 'new\n');
    expect(r.code).toBe(71);
    expect(r.stderr).toMatch(/^mv: cannot move '\/etc\/\.dom0up-test\.conf\.\w+' to '\/etc\/dom0up-test\.conf': No space left on device\n$/);
    expect(await readHostFile(rn, TARGET)).toBe('old\n');
  });

  it('rename hang: the command never returns; the rename never happened', async () => {
    await reset(rn);
    await addFaultPoint(rn, { at: 'rename', match: TARGET, when: 'before', action: 'hang' });
    const pending = write(rn, TARGET, 'new\n');
    const raced = await Promise.race([pending.then(() => 'returned'), sleep(1500).then(() => 'pending')]);
    expect(raced).toBe('pending');
    expect(await readHostFile(rn, TARGET)).toBe('old\n');
    await dropConnections(rn, { killCommands: true });
    expect(await pending).toMatchObject({ code: null, dropped: true });
  });

  it('fires only for the path it names and only `times` times; other renames are not touched', async () => {
    await reset(rn);
    const fp = await addFaultPoint(rn, { at: 'rename', match: '/etc/dom0up-*.conf', when: 'before', action: 'fail' });
    expect((await write(rn, '/etc/other.conf', 'x\n')).code).toBe(0);
    expect(await fp.firings()).toEqual([]);
    expect((await write(rn, TARGET, 'new\n')).code).toBe(71);
    expect((await write(rn, TARGET, 'new\n')).code).toBe(0);
    expect(await fp.firings()).toHaveLength(1);
    expect(await readHostFile(rn, TARGET)).toBe('new\n');
  });

  it('rename after + power-cut catches python\'s os.rename too: grubby --set-default lands, then the power goes', async () => {
    await waitUp(dom0);
    const before = await nextBoot(dom0);
    expect(before).toMatchObject({ entryIndex: 0, xen: true });
    const stockIdx = before.entries.find((e) => e.title.includes(K))!.index;
    const fp = await addFaultPoint(dom0, { at: 'rename', match: '/boot/grub/grub.conf', when: 'after', action: 'power-cut' });
    expect(await run(dom0, `grubby --set-default=${stockIdx}; echo after > /root/after-grubby`).catch(() => null)).toMatchObject({ code: null });
    expect(await waitOff(dom0)).toBe('off');
    expect((await fp.firings())[0]).toMatchObject({ subject: '/boot/grub/grub.conf', comm: 'grubby' });
    expect(await readHostFile(dom0, '/root/after-grubby')).toBeNull();
    // the oracle reads the file the rename put in place
    expect(await nextBoot(dom0)).toMatchObject({ entryIndex: stockIdx, xen: false, kernelRelease: K });
    await powerOn(dom0);
    await waitUp(dom0);
    expect((await bootLog(dom0)).at(-1)).toMatchObject({ entryIndex: stockIdx, hypervisor: 'none', kernelRelease: K });
  });

  // ---- write: a journal line, a reboot marker --------------------------------------------------------
  it('write after + power-cut: the journal line is on disk, the next command never ran', async () => {
    await waitUp(wr);
    const fp = await addFaultPoint(wr, { at: 'write', match: '/var/lib/dom0up/*', when: 'after', action: 'power-cut' });
    const r = await run(wr, "mkdir -p /var/lib/dom0up && printf 'one\\n' >> /var/lib/dom0up/journal; touch /root/after-journal").catch(() => null);
    expect(r).toMatchObject({ code: null });
    expect(await waitOff(wr)).toBe('off');
    expect(await readHostFile(wr, '/var/lib/dom0up/journal')).toBe('one\n');
    expect(await readHostFile(wr, '/root/after-journal')).toBeNull();
    expect((await fp.firings())[0]).toMatchObject({ at: 'write', when: 'after', subject: '/var/lib/dom0up/journal', comm: 'bash' });
    await powerOn(wr);
  });

  it('write before + kill: the file is not even created; `cat > file` after: complete, then nothing more', async () => {
    await waitUp(wr);
    await addFaultPoint(wr, { at: 'write', match: '/var/lib/dom0up/marker', when: 'before', action: 'kill' });
    expect(await run(wr, 'echo x > /var/lib/dom0up/marker; touch /root/after-marker')).toMatchObject({ code: null, dropped: true });
    expect(await readHostFile(wr, '/var/lib/dom0up/marker')).toBeNull();
    expect(await readHostFile(wr, '/root/after-marker')).toBeNull();
    const fp = await addFaultPoint(wr, { at: 'write', match: '/var/lib/dom0up/.tmp.*', when: 'after', action: 'kill' });
    const big = 'y'.repeat(200_000) + '\n';
    const c = await connect(wr);
    c.on('error', () => undefined);
    const r = await exec(c, 'cat > /var/lib/dom0up/.tmp.1 && mv /var/lib/dom0up/.tmp.1 /var/lib/dom0up/state', { stdin: big });
    expect(r).toMatchObject({ code: null, dropped: true });
    expect(await readHostFile(wr, '/var/lib/dom0up/.tmp.1')).toBe(big);
    expect(await readHostFile(wr, '/var/lib/dom0up/state')).toBeNull();
    expect((await fp.firings())[0]).toMatchObject({ comm: 'cat', subject: '/var/lib/dom0up/.tmp.1' });
  });

  it('write after + power-cut on the reboot marker (/var/run = /run): the host goes off before the reboot starts', async () => {
    await waitUp(wr);
    const boots = (await bootLog(wr)).length;
    const fp = await addFaultPoint(wr, { at: 'write', match: '/run/dom0up-reboot', when: 'after', action: 'power-cut' });
    const r = await run(wr, "printf 'tok\\n' > /var/run/dom0up-reboot 2>/dev/null; nohup sh -c 'sleep 0.5; /sbin/shutdown -r now' >/dev/null 2>&1 </dev/null &").catch(() => null);
    expect(r).toMatchObject({ code: null });
    expect(await waitOff(wr)).toBe('off');
    const console = await consoleLog(wr);
    expect(console.slice(console.lastIndexOf('up: sshd listening'))).not.toContain('reboot requested');
    expect((await bootLog(wr)).length).toBe(boots);
    // matched through the resolved directory (/var/run -> /run); the subject is the path as written
    expect((await fp.firings())[0]).toMatchObject({ subject: '/var/run/dom0up-reboot', comm: 'bash' });
    await powerOn(wr);
  });

  // ---- exec ----------------------------------------------------------------------------------------
  it('exec fromSsh after + drop: the command ran, its exit status never arrives', async () => {
    await waitUp(ex);
    const fp = await addFaultPoint(ex, { at: 'exec', match: '* -c echo ran > /root/ran*', fromSsh: true, when: 'after', action: 'drop', times: 0 });
    expect(await run(ex, 'echo ran > /root/ran')).toMatchObject({ code: null, dropped: true });
    expect(await readHostFile(ex, '/root/ran')).toBe('ran\n');
    expect((await fp.firings())[0]!.subject).toBe('/bin/bash -c echo ran > /root/ran');
    // commands that do not match, and matching programs not started by sshd, are left alone
    expect(await run(ex, 'bash -c "echo ran > /root/ran2"; echo rc=$?')).toMatchObject({ code: 0, stdout: 'rc=0\n' });
    expect(await fp.firings()).toHaveLength(1);
    await fp.clear();
  });

  it('exec before + fail: grub --batch "fails" without running, the stage2 word is untouched', async () => {
    await waitUp(ex);
    const fp = await addFaultPoint(ex, { at: 'exec', match: '*/grub --batch', action: 'fail', exitCode: 3, message: 'grub: simulated failure' });
    const r = await run(ex, "echo 'savedefault --default=0 --once' | grub --batch; echo rc=$?");
    expect(r.stdout).toBe('rc=3\n');
    expect(r.stderr).toBe('grub: simulated failure\n');
    expect((await fp.firings())[0]).toMatchObject({ subject: '/sbin/grub --batch' });
    expect((await nextBoot(ex)).once).toBeNull();
    // used up: the next grub --batch runs
    expect((await run(ex, "echo 'savedefault --default=0 --once' | grub --batch >/dev/null; echo rc=$?")).stdout).toBe('rc=0\n');
    expect((await nextBoot(ex)).once).toBe(0);
  });

  it('exec before + hang: the command never starts and never returns', async () => {
    await waitUp(ex);
    await addFaultPoint(ex, { at: 'exec', match: '*/touch /root/never', action: 'hang' });
    const c = await connect(ex);
    c.on('error', () => undefined);
    const pending = exec(c, 'touch /root/never; echo after');
    expect(await Promise.race([pending.then(() => 'returned'), sleep(1500).then(() => 'pending')])).toBe('pending');
    expect(await readHostFile(ex, '/root/never')).toBeNull();
    await dropConnections(ex, { killCommands: true });
    expect(await pending).toMatchObject({ code: null });
    // exit status and output of a plain command pass through an armed host unchanged
    await addFaultPoint(ex, { at: 'exec', match: '*/nothing-matches-this', action: 'fail', times: 0 });
    expect(await run(ex, 'echo out; echo err >&2; exit 5')).toMatchObject({ code: 5, stdout: 'out\n', stderr: 'err\n' });
    expect(await run(ex, 'sh -c "kill -TERM \\$\\$"')).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  // ---- reboot-hangs: the reboot command never returns an exit status ----------------------------------
  it('reboot-hangs: a detached reboot command (as dom0up sends it) never gets its exit status; the host reboots', async () => {
    const CMD = "printf '%s\\n' tok > /var/run/dom0up-reboot 2>/dev/null; nohup sh -c 'sleep 0.5; /sbin/shutdown -r now' >/dev/null 2>&1 </dev/null &";
    await waitUp(rb);
    // without the knob the command returns 0 at once: the host reboots half a second later
    let c = await connect(rb);
    c.on('error', () => undefined);
    expect(await exec(c, CMD)).toMatchObject({ code: 0, dropped: false });
    c.end();
    const deadline = Date.now() + 10_000;
    while ((await bootLog(rb)).length < 2 && Date.now() < deadline) await sleep(50);
    await waitUp(rb);
    await setFault(rb, 'reboot-hangs');
    // reading the marker is not a reboot command: answered as usual
    expect(await run(rb, 'cat /var/run/dom0up-reboot 2>/dev/null; echo probe')).toMatchObject({ code: 0, stdout: 'probe\n' });
    const boots = (await bootLog(rb)).length;
    c = await connect(rb);
    c.on('error', () => undefined);
    const r = await exec(c, CMD);
    expect(r).toMatchObject({ code: null, dropped: true });
    while ((await bootLog(rb)).length === boots && Date.now() < deadline + 10_000) await sleep(50);
    expect((await bootLog(rb)).length).toBe(boots + 1);
    const fired = await faultFirings(rb);
    expect(fired.some((f) => f.subject.includes("/sbin/shutdown -r now") && f.action === 'hang')).toBe(true);
    await clearFault(rb, 'reboot-hangs');
    await waitUp(rb);
    c = await connect(rb);
    c.on('error', () => undefined);
    expect(await exec(c, 'true')).toMatchObject({ code: 0 });
    c.end();
  });

  // ---- yum: after the kernel package is installed (%post ran) ---------------------------------------
  const REPO = "printf '[xen]\\nname=x\\nbaseurl=http://vault.centos.org/6.10/virt/x86_64/xen-410/\\ngpgcheck=0\\n' > /etc/yum.repos.d/xen.repo";

  it('yum after kernel + fail: yum exits 1 right after new-kernel-pkg made the new plain entry the default', async () => {
    await waitUp(yum);
    const fp = await addFaultPoint(yum, { at: 'yum', match: 'kernel', when: 'after', action: 'fail', exitCode: 1, message: 'Error: transaction interrupted (test)' });
    const r = await run(yum, `${REPO} && yum -y install xen`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: transaction interrupted (test)');
    expect(r.stdout).toContain(`Installing : kernel-${X}`);
    expect(r.stdout).not.toContain('Complete!');
    expect((await fp.firings())[0]).toMatchObject({ at: 'yum', when: 'after', subject: 'kernel' });
    expect((await run(yum, `rpm -q kernel-${X.replace('.x86_64', '')} xen-hypervisor`)).stdout).toBe(`kernel-${X}\npackage xen-hypervisor is not installed\n`);
    // the entry %post made is the default; %posttrans (the initramfs) never ran: the next boot panics
    const nb = await nextBoot(yum);
    expect(nb).toMatchObject({ entryIndex: 0, title: `CentOS (${X})`, kernelRelease: X, xen: false, boots: false, result: 'panic' });
    expect(nb.afterReset).toMatchObject({ entryIndex: 0, boots: false });
  });

  it('yum after kernel + power-cut: the kernel is in rpmdb and its entry is the default, nothing later ran', async () => {
    await waitUp(yumCut);
    const fp = await addFaultPoint(yumCut, { at: 'yum', match: 'kernel', when: 'after', action: 'power-cut' });
    expect(await run(yumCut, `${REPO} && yum -y install xen`).catch(() => null)).toMatchObject({ code: null });
    expect(await waitOff(yumCut)).toBe('off');
    expect((await fp.firings())[0]).toMatchObject({ subject: 'kernel', comm: 'yum' });
    const db = JSON.parse((await readHostFile(yumCut, '/var/lib/rpm/.testbed-rpmdb.json'))!) as { packages: { name: string; version: string }[] };
    expect(db.packages.filter((p) => p.name === 'kernel').map((p) => p.version)).toEqual(['2.6.32', '4.9.241']);
    expect(db.packages.some((p) => p.name === 'xen-hypervisor')).toBe(false);
    const nb = await nextBoot(yumCut);
    expect(nb).toMatchObject({ entryIndex: 0, kernelRelease: X, xen: false, boots: false, result: 'panic' });
    // the firmware agrees when the power comes back
    await powerOn(yumCut).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while ((await bootLog(yumCut)).length < 2 && Date.now() < deadline) await sleep(50);
    expect((await bootLog(yumCut)).at(-1)).toMatchObject({ entryIndex: 0, kernelRelease: X, result: 'panic' });
  });

  it('yum after kernel + drop: the connection goes; yum dies at its next line of output (EPIPE), as a real one would', async () => {
    await waitUp(yumDrop);
    const fp = await addFaultPoint(yumDrop, { at: 'yum', match: 'kernel', when: 'after', action: 'drop' });
    expect(await run(yumDrop, `${REPO} && yum -y install xen`)).toMatchObject({ code: null, dropped: true });
    expect(await fp.firings()).toHaveLength(1);
    const deadline = Date.now() + 5000;
    while ((await run(yumDrop, 'test -e /var/run/yum.pid && echo busy || true')).stdout && Date.now() < deadline) await sleep(50);
    expect((await run(yumDrop, `rpm -q kernel-${X.replace('.x86_64', '')} xen-hypervisor`)).stdout).toBe(`kernel-${X}\npackage xen-hypervisor is not installed\n`);
    expect(await nextBoot(yumDrop)).toMatchObject({ entryIndex: 0, kernelRelease: X, xen: false });
  });

  it('yum posttrans kernel + power-cut: the initramfs and its initrd line exist: the new plain default boots, without Xen', async () => {
    await waitUp(yumPt);
    await addFaultPoint(yumPt, { at: 'yum', match: 'kernel', when: 'posttrans', action: 'power-cut' });
    expect(await run(yumPt, `${REPO} && yum -y install xen`).catch(() => null)).toMatchObject({ code: null });
    expect(await waitOff(yumPt)).toBe('off');
    const nb = await nextBoot(yumPt);
    expect(nb).toMatchObject({ entryIndex: 0, kernelRelease: X, xen: false, boots: true });
    await powerOn(yumPt);
    await waitUp(yumPt);
    expect((await bootLog(yumPt)).at(-1)).toMatchObject({ entryIndex: 0, kernelRelease: X, hypervisor: 'none', result: 'up' });
  });
});
