// Reboots, power, and every fault knob of the simulated hosts, over real SSH (ssh2).
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  bootLog,
  clearFault,
  consoleLog,
  currentHostKey,
  dropConnections,
  hostState,
  powerCut,
  powerOn,
  setFault,
  startHosts,
  waitUp,
  type Fleet,
  type TestHost,
} from './index.js';
import { bootId, connect, exec, rebootVia, reconnect } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

function refused(h: TestHost): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: h.host, port: h.port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describeTestbed('reboots, power and fault knobs', () => {
  let fleet: Fleet;
  let h: Record<'reboot' | 'cmds' | 'faults' | 'power' | 'key' | 'xen', TestHost>;
  beforeAll(async () => {
    fleet = await startHosts(
      [
        { name: 'rb-reboot', downtimeMs: 600 },
        { name: 'rb-cmds' },
        { name: 'rb-faults', bootSizeMiB: 80 },
        { name: 'rb-power' },
        { name: 'rb-key' },
        { name: 'rb-xen', xen: 'running', xenHelper: true },
      ],
      { downtimeMs: 150, rebootDelayMs: 100, xenPanicRebootMs: 250, xencommonsDelayMs: 0 },
    );
    const [a, b, c, d, e, f] = fleet.hosts as TestHost[];
    h = { reboot: a!, cmds: b!, faults: c!, power: d!, key: e!, xen: f! };
  });
  afterAll(async () => fleet?.stop());

  it('reboot: exit status 0, connection drops, refused while down, back with a new boot_id and the same host key', async () => {
    const c = await connect(h.reboot);
    const before = await bootId(c);
    await exec(c, 'echo kept > /tmp/survives-reboot');
    const t0 = Date.now();
    const r = await rebootVia(c, 'reboot');
    expect(r.code).toBe(0);
    expect(r.dropped).toBe(false);
    const closedAfter = Date.now() - t0;
    expect(closedAfter).toBeLessThan(3000);
    // down for 600 ms: the port refuses connections
    await new Promise((res) => setTimeout(res, 150));
    expect(['down', 'booting']).toContain(await hostState(h.reboot));
    expect(await refused(h.reboot)).toBe(true);
    const c2 = await reconnect(h.reboot); // strict host key check: the same key as before
    const after = await bootId(c2);
    expect((await exec(c2, 'cat /tmp/survives-reboot')).stdout).toBe('kept\n'); // /tmp is on the disk, as on CentOS 6
    c2.end();
    expect(after).not.toBe(before);
    const boots = await bootLog(h.reboot);
    expect(boots.map((b) => b.bootId)).toEqual([before, after]);
    expect(await consoleLog(h.reboot)).toContain("reboot requested by 'reboot '");
  });

  it('shutdown -r now, /sbin/shutdown -r +0, init 6 and telinit 6 reboot; shutdown -h now powers off', async () => {
    for (const cmd of ['shutdown -r now', '/sbin/shutdown -r +0', 'init 6', '/sbin/telinit 6']) {
      const c = await reconnect(h.cmds);
      const before = await bootId(c);
      const r = await rebootVia(c, cmd);
      expect([cmd, r.code]).toEqual([cmd, 0]);
      const c2 = await reconnect(h.cmds);
      expect(await bootId(c2)).not.toBe(before);
      c2.end();
    }
    const c = await reconnect(h.cmds);
    const bad = await exec(c, 'shutdown -r; echo rc=$?');
    expect(bad.stderr).toContain('shutdown: time expected');
    await rebootVia(c, '/sbin/shutdown -h now');
    await new Promise((res) => setTimeout(res, 500));
    expect(await hostState(h.cmds)).toBe('off');
    await powerOn(h.cmds);
    await waitUp(h.cmds);
    expect((await bootLog(h.cmds)).length).toBe(6);
  });

  it('reboot-hangs: reboot never returns an exit status, the connection just drops', async () => {
    await setFault(h.faults, 'reboot-hangs');
    const c = await connect(h.faults);
    const r = await rebootVia(c, '/sbin/reboot');
    expect(r.code).toBeNull();
    expect(r.dropped).toBe(true);
    await clearFault(h.faults, 'reboot-hangs');
    (await reconnect(h.faults)).end();
  });

  it('boot-full: /boot is full, writes fail with a real ENOSPC, until cleared', async () => {
    await setFault(h.faults, 'boot-full');
    const c = await connect(h.faults);
    const r = await exec(c, 'echo data > /boot/x; echo rc=$?; df -P /boot | tail -1');
    expect(r.stderr).toMatch(/No space left on device/);
    expect(r.stdout).toMatch(/rc=1\n/);
    expect(r.stdout).toMatch(/100%/);
    await clearFault(h.faults, 'boot-full');
    const ok = await exec(c, 'echo data > /boot/x; echo rc=$?; rm /boot/x');
    expect(ok.stdout).toBe('rc=0\n');
    c.end();
  });

  it('dropConnections: cuts every session mid-command (no exit status); the host stays up', async () => {
    const c = await connect(h.faults);
    const c2 = await connect(h.faults);
    const running = exec(c, 'echo started; sleep 30; echo never');
    const other = exec(c2, 'sleep 30');
    await new Promise((res) => setTimeout(res, 300));
    const n = await dropConnections(h.faults);
    expect(n).toBeGreaterThan(0);
    const [r, r2] = await Promise.all([running, other]);
    expect(r.dropped).toBe(true);
    expect(r.code).toBeNull();
    expect(r.stdout).toBe('started\n');
    expect(r2.code).toBeNull();
    expect(await hostState(h.faults)).toBe('up');
    const c3 = await connect(h.faults);
    expect((await exec(c3, 'pgrep -x sleep | wc -l; pkill -x sleep; true')).stdout.trim()).toBe('2');
    c3.end();
  });

  it('never-return: after the next reboot the host stays off until powered on', async () => {
    await setFault(h.power, 'never-return');
    const c = await connect(h.power);
    await rebootVia(c, 'reboot');
    await new Promise((res) => setTimeout(res, 800));
    expect(await hostState(h.power)).toBe('off');
    expect(await refused(h.power)).toBe(true);
    await clearFault(h.power, 'never-return');
    await powerOn(h.power);
    await waitUp(h.power);
    (await connect(h.power)).end();
  });

  it('power cut and power on', async () => {
    const c = await connect(h.power);
    const before = await bootId(c);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.on('error', () => {});
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    const pending = exec(c, 'echo started; sleep 30', { onStdout: () => started() });
    await isRunning;
    await powerCut(h.power);
    await closed;
    expect((await pending).dropped).toBe(true);
    expect(await hostState(h.power)).toBe('off');
    expect(await refused(h.power)).toBe(true);
    await powerOn(h.power);
    await waitUp(h.power);
    const c2 = await connect(h.power);
    expect(await bootId(c2)).not.toBe(before);
    c2.end();
  });

  it('host-key-change: after the next boot the host presents a new key', async () => {
    await setFault(h.key, 'host-key-change');
    const old = h.key.hostKey;
    await rebootVia(await connect(h.key), 'reboot');
    await waitUp(h.key);
    const now = currentHostKey(h.key);
    expect(now).toMatch(/^ssh-rsa /);
    expect(now).not.toBe(old);
    await expect(connect(h.key)).rejects.toThrow();
    const c = await connect(h.key, { hostKey: now });
    c.end();
  });

  it('xen-panic: Xen panics at boot and reboots by itself until the knob is cleared', async () => {
    await setFault(h.xen, 'xen-panic');
    await rebootVia(await connect(h.xen), 'reboot');
    const deadline = Date.now() + 15_000;
    while ((await bootLog(h.xen)).filter((b) => b.result === 'panic').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await clearFault(h.xen, 'xen-panic');
    await waitUp(h.xen);
    const boots = await bootLog(h.xen);
    expect(boots.filter((b) => b.result === 'panic').length).toBeGreaterThanOrEqual(2);
    expect(boots[boots.length - 1]!.result).toBe('up');
    expect(await consoleLog(h.xen)).toContain('(XEN) Reboot in five seconds...');
  });

  it('slow-xencommons: xl fails with the xenstore error for a while after a Xen boot', async () => {
    await setFault(h.xen, 'slow-xencommons', 1500);
    await rebootVia(await connect(h.xen), 'reboot');
    const c = await reconnect(h.xen);
    const first = await exec(c, 'xl list');
    expect(first.code).toBe(1);
    expect(first.stderr).toBe('libxl: error: libxl.c:110:libxl_ctx_alloc: cannot connect to xenstore: No such file or directory\ncannot init xl context\n');
    const t0 = Date.now();
    let ok = first;
    while (ok.code !== 0 && Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 200));
      ok = await exec(c, 'xl list');
    }
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Domain-0 /m);
    c.end();
    await clearFault(h.xen, 'slow-xencommons');
  });
});
