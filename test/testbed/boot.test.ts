// The boot firmware over real SSH and reboots: one-shot boots through `grub --batch`, fallback after
// Error 15, a host that does not come back, and the grub.conf symlink trap.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootLog, consoleLog, hostState, powerOn, readHostFile, startHosts, waitUp, writeHostFile, type Fleet, type TestHost } from './index.js';
import { connect, exec, rebootVia, reconnect, type ExecResult } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

const K = '2.6.32-754.el6.x86_64';
const X = '4.9.241-37.el6.x86_64';

describeTestbed('booting over SSH', () => {
  let fleet: Fleet;
  let xen: TestHost, plain: TestHost;
  const sh = async (h: TestHost, cmd: string): Promise<ExecResult> => {
    const c = await connect(h);
    try {
      return await exec(c, cmd);
    } finally {
      c.end();
    }
  };
  const reboot = async (h: TestHost) => {
    await rebootVia(await connect(h), '/sbin/reboot');
    (await reconnect(h)).end();
  };
  const last = async (h: TestHost) => (await bootLog(h)).pop()!;
  beforeAll(async () => {
    fleet = await startHosts([{ name: 'bt-xen', xen: 'running' }, { name: 'bt-plain' }], {
      downtimeMs: 100,
      rebootDelayMs: 100,
      xenPanicRebootMs: 200,
      xencommonsDelayMs: 0,
    });
    [xen, plain] = fleet.hosts as [TestHost, TestHost];
  });
  afterAll(async () => fleet?.stop());

  it('the Xen host booted its default Xen entry', async () => {
    expect(await last(xen)).toMatchObject({ entryIndex: 0, hypervisor: 'xen', kernelRelease: X, result: 'up' });
    expect((await sh(xen, 'uname -r')).stdout).toBe(`${X}\n`);
  });

  it('savedefault --default=N --once through grub --batch: N boots once, then the default again', async () => {
    // keep the known-good stock entry (1) as default, boot the Xen entry (0) once
    const set = await sh(xen, "sed -i --follow-symlinks 's/^default=0/default=1/' /etc/grub.conf && echo 'savedefault --default=0 --once' | /sbin/grub --batch");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('grub> savedefault --default=0 --once');
    await reboot(xen);
    expect(await last(xen)).toMatchObject({ entryIndex: 0, hypervisor: 'xen', once: 0 });
    await reboot(xen);
    expect(await last(xen)).toMatchObject({ entryIndex: 1, hypervisor: 'none', kernelRelease: K, once: null });
    // the options in the other order: the later --default overwrites the once word, no one-shot
    await sh(xen, "echo 'savedefault --once --default=0' | /sbin/grub --batch");
    await reboot(xen);
    expect(await last(xen)).toMatchObject({ entryIndex: 1, once: null });
  });

  it('a one-shot Xen entry that panics falls back to the default by itself', async () => {
    // an entry that makes Xen panic (the stock 2.6.32 kernel as dom0), booted once
    const bad = `title Xen bad\\n\\troot (hd0,0)\\n\\tkernel /xen.gz dom0_mem=1024M\\n\\tmodule /vmlinuz-${K} ro root=/dev/mapper/VolGroup-lv_root\\n\\tmodule /initramfs-${K}.img\\n`;
    const r = await sh(
      xen,
      `sed -i --follow-symlinks 's/^default=.*/default=1/' /etc/grub.conf && printf '${bad}' >> /etc/grub.conf && n=$(grep -c ^title /etc/grub.conf) && echo "savedefault --default=$((n-1)) --once" | /sbin/grub --batch >/dev/null && echo ok`,
    );
    expect(r.stdout).toBe('ok\n');
    await rebootVia(await connect(xen), 'reboot');
    await waitUp(xen, 20_000);
    const boots = await bootLog(xen);
    expect(boots[boots.length - 2]).toMatchObject({ result: 'panic', title: 'Xen bad' });
    expect(boots[boots.length - 1]).toMatchObject({ result: 'up', entryIndex: 1, kernelRelease: K });
    const log = await consoleLog(xen);
    expect(log).toContain('(XEN) Kernel does not support Dom0 operation');
    expect(log).toContain('(XEN) Could not set up DOM0 guest OS');
  });

  it('fallback after Error 15 (a /boot/ prefix on a separate /boot), logged on the console', async () => {
    const conf = (await readHostFile(plain, '/etc/grub.conf'))!;
    const broken = conf
      .replace('hiddenmenu\n', `hiddenmenu\nfallback=1\ntitle Xen (wrong prefix)\n\troot (hd0,0)\n\tkernel /boot/xen.gz dom0_mem=1024M\n\tmodule /boot/vmlinuz-${K}\n`);
    const c = await connect(plain);
    await exec(c, `cat > /etc/grub.conf`, { stdin: broken });
    await rebootVia(c, 'reboot');
    (await reconnect(plain)).end();
    const b = await last(plain);
    expect(b.attempts).toEqual([
      { entryIndex: 0, title: 'Xen (wrong prefix)', error: 'Error 15: File not found' },
      { entryIndex: 1, title: `CentOS 6 (${K})`, error: null },
    ]);
    expect(b.result).toBe('up');
    expect(await consoleLog(plain)).toContain("booting entry 0 'Xen (wrong prefix)': Error 15: File not found");
    // the write went through the symlink: still a link, and mode 600 kept by cat >
    expect((await sh(plain, 'readlink /etc/grub.conf; stat -c %a /boot/grub/grub.conf')).stdout).toBe('../boot/grub/grub.conf\n600\n');
  });

  it('without a fallback the host stays down (bootfail) until repaired from outside and powered on', async () => {
    const conf = (await readHostFile(plain, '/boot/grub/grub.conf'))!;
    await sh(plain, "sed -i --follow-symlinks '/^fallback=1$/d' /etc/grub.conf");
    await rebootVia(await connect(plain), 'reboot');
    const deadline = Date.now() + 10_000;
    while ((await hostState(plain)) !== 'bootfail' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await hostState(plain)).toBe('bootfail');
    expect(await last(plain)).toMatchObject({ result: 'bootfail', error: 'Error 15: File not found' });
    // the disk can be read while the host is down (the symlink resolved inside the host's file systems)
    expect(await readHostFile(plain, '/etc/grub.conf')).toContain('title Xen (wrong prefix)');
    expect(await readHostFile(plain, '/etc/redhat-release')).toBe('CentOS release 6.10 (Final)\n');
    await writeHostFile(plain, '/boot/grub/grub.conf', conf.replace('fallback=1\n', '').replace(/title Xen \(wrong prefix\)\n(\t.*\n)+/, ''), 0o600);
    await powerOn(plain);
    await waitUp(plain);
    expect(await last(plain)).toMatchObject({ result: 'up', entryIndex: 0, kernelRelease: K });
  });

  it('a host started with a custom grub.conf that cannot boot (no timeout: the menu waits forever)', async () => {
    const f = await startHosts([{ grubConf: `default=0\ntitle CentOS\n\troot (hd0,0)\n\tkernel /vmlinuz-${K} ro root=/dev/mapper/VolGroup-lv_root\n\tinitrd /initramfs-${K}.img\n` }]);
    try {
      const h = f.hosts[0]!;
      expect(await hostState(h)).toBe('bootfail');
      expect((await bootLog(h))[0]).toMatchObject({ result: 'bootfail', bootId: null });
      expect((await bootLog(h))[0]!.error).toMatch(/no timeout line/);
    } finally {
      await f.stop();
    }
  });

  it('replacing the /etc/grub.conf symlink by a file: GRUB never sees the change', async () => {
    const r = await sh(
      plain,
      "sed 's/^default=0/default=5/; s/^timeout=5/timeout=1/' /etc/grub.conf > /tmp/g && mv -f /tmp/g /etc/grub.conf && ls -l /etc/grub.conf | cut -c1 && grep ^timeout /boot/grub/grub.conf",
    );
    expect(r.stdout).toBe('-\ntimeout=5\n');
    await reboot(plain);
    expect(await last(plain)).toMatchObject({ entryIndex: 0, result: 'up' });
  });
});
