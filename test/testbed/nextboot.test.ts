// The next-boot oracle (nextBoot / nextBootOf): the test bed's own firmware predicts which entry GRUB
// boots next and what a reset after that boots, without changing the host. The host tests check the
// prediction against what the firmware then really does at the reboot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootLog, nextBoot, nextBootOf, nextBootBatch, powerCut, powerOn, readHostFileBuffer, startHosts, waitUp, type Fleet, type TestHost } from './index.js';
import { connect, exec, rebootVia, reconnect } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

const K = '2.6.32-754.el6.x86_64';
const X = '4.9.241-37.el6.x86_64';
const ROOT = '/dev/mapper/VolGroup-lv_root';
const HEAD = 'default=0\ntimeout=5\n';
const linux = (title: string, k = K, prefix = '') => `title ${title}\n\troot (hd0,0)\n\tkernel ${prefix}/vmlinuz-${k} ro root=${ROOT}\n\tinitrd ${prefix}/initramfs-${k}.img\n`;
const xen = (title: string, args = 'dom0_mem=1024M,max:1024M', dom0 = X, prefix = '') =>
  `title ${title}\n\troot (hd0,0)\n\tkernel ${prefix}/xen.gz ${args}\n\tmodule ${prefix}/vmlinuz-${dom0} ro root=${ROOT}\n\tmodule ${prefix}/initramfs-${dom0}.img\n`;
const once = (n: number, old = 0) => (n << 8) | 0x10000 | (old & 0xff);

describe('nextBootOf: a grub.conf and a stage2 word, no host', () => {
  it('the default entry: index, title, kernel, no Xen', () => {
    const r = nextBootOf({ conf: HEAD + linux('Stock') + xen('Xen') });
    expect(r).toMatchObject({ entryIndex: 0, title: 'Stock', xen: false, hypervisor: 'none', kernelRelease: K, xenCmdline: null, boots: true, result: 'up', once: null, defaultEntry: 0 });
    expect(r.cmdline).toBe(`ro root=${ROOT}`);
    expect(r.afterReset).toMatchObject({ entryIndex: 0, kernelRelease: K });
  });

  it('a Xen entry: the hypervisor command line, Domain-0 kernel and its memory', () => {
    const r = nextBootOf({ conf: 'default=1\ntimeout=5\n' + linux('Stock') + xen('Xen', 'dom0_mem=2048M,max:2048M dom0_max_vcpus=2 dom0_vcpus_pin'), spec: { memMiB: 8192 } });
    expect(r).toMatchObject({ entryIndex: 1, title: 'Xen', xen: true, kernelRelease: X, xenCmdline: 'dom0_mem=2048M,max:2048M dom0_max_vcpus=2 dom0_vcpus_pin', dom0Cmdline: `ro root=${ROOT}`, dom0MemMiB: 2048, dom0Vcpus: 2, boots: true });
  });

  it('a pending one-shot boot: boots that entry once; a reset then boots the permanent default', () => {
    const r = nextBootOf({ conf: HEAD + linux('Stock') + xen('Xen'), savedWord: once(1, 0) });
    expect(r).toMatchObject({ entryIndex: 1, once: 1, xen: true, savedWord: once(1, 0), savedWordAfter: 0, defaultEntry: 0 });
    expect(r.afterReset).toMatchObject({ entryIndex: 0, once: null, xen: false, kernelRelease: K, savedWord: 0 });
  });

  it('the one-shot word is consumed only by a `default` line (RHEL 6): without one GRUB boots entry 0 and keeps the word', () => {
    const r = nextBootOf({ conf: 'timeout=5\n' + linux('Stock') + xen('Xen'), savedWord: once(1, 0) });
    expect(r).toMatchObject({ entryIndex: 0, once: null, savedWordAfter: once(1, 0) });
  });

  it('default saved: the saved entry of the stage2 word', () => {
    const r = nextBootOf({ conf: 'default=saved\ntimeout=5\n' + linux('Stock') + xen('Xen'), savedWord: 1 });
    expect(r).toMatchObject({ entryIndex: 1, xen: true, defaultEntry: 1 });
  });

  it('a missing kernel file: Error 15, fallback boots the next entry; without fallback the host stays down', () => {
    const files = { [`/vmlinuz-${K}`]: `TESTBED:linux:${K}\n`, [`/initramfs-${K}.img`]: `TESTBED:initramfs:${K}\n` };
    const withFb = nextBootOf({ conf: 'default=0\nfallback=1\ntimeout=5\n' + linux('Gone', '9.9.9') + linux('Stock'), files });
    expect(withFb).toMatchObject({ entryIndex: 1, kernelRelease: K, boots: true });
    expect(withFb.attempts).toEqual([
      { entryIndex: 0, title: 'Gone', error: 'Error 15: File not found' },
      { entryIndex: 1, title: 'Stock', error: null },
    ]);
    const noFb = nextBootOf({ conf: HEAD + linux('Gone', '9.9.9') + linux('Stock'), files });
    expect(noFb).toMatchObject({ entryIndex: 0, boots: false, result: 'bootfail', error: 'Error 15: File not found' });
  });

  it('a 2.6.32 kernel under Xen panics and reboots; with a one-shot, the reset boots the default', () => {
    const conf = HEAD + linux('Stock') + xen('Bad', 'dom0_mem=1024M', K);
    const r = nextBootOf({ conf, savedWord: once(1, 0) });
    expect(r).toMatchObject({ entryIndex: 1, xen: true, result: 'panic', boots: false, rebootAfterPanic: true });
    expect(r.log.join('\n')).toContain('Kernel does not support Dom0 operation');
    expect(r.afterReset).toMatchObject({ entryIndex: 0, xen: false, boots: true });
  });

  it('a plain entry without initrd (kernel %post ran, %posttrans did not) panics at boot', () => {
    const conf = HEAD + `title New\n\troot (hd0,0)\n\tkernel /vmlinuz-${X} ro root=${ROOT}\n` + linux('Stock');
    const r = nextBootOf({ conf, spec: { rootDevice: ROOT } });
    expect(r).toMatchObject({ entryIndex: 0, kernelRelease: X, result: 'panic', boots: false });
  });

  it('root= is checked against spec.rootDevice', () => {
    const r = nextBootOf({ conf: HEAD + linux('Stock'), spec: { rootDevice: '/dev/sda2' } });
    expect(r).toMatchObject({ result: 'bootfail', boots: false });
    expect(r.error).toMatch(/root=\/dev\/mapper\/VolGroup-lv_root does not exist/);
  });

  it('no /boot partition: paths with the /boot prefix', () => {
    const r = nextBootOf({ conf: 'default=1\ntimeout=5\n' + linux('Stock', K, '/boot') + xen('Xen', 'dom0_mem=1024M', X, '/boot'), bootPartition: false });
    expect(r).toMatchObject({ entryIndex: 1, xen: true, kernelRelease: X, boots: true });
  });

  it('GRUB reading rules apply (CRLF, a TAB separator, an out-of-range default goes to 0)', () => {
    const [a, b] = nextBootBatch([
      { conf: (HEAD + linux('Stock') + xen('Xen')).replace('default=0', 'default\t1').replaceAll('\n', '\r\n') },
      { conf: 'default=7\ntimeout=5\n' + linux('Stock') + xen('Xen') },
    ]);
    expect(a).toMatchObject({ entryIndex: 1, xen: true });
    expect(b).toMatchObject({ entryIndex: 0, xen: false });
  });
});

describeTestbed('nextBoot(h): a host\'s next boot, checked against its real reboot', () => {
  let fleet: Fleet;
  let stock: TestHost, dom0: TestHost, noboot: TestHost;
  beforeAll(async () => {
    fleet = await startHosts([{ name: 'nb-stock' }, { name: 'nb-dom0', xen: 'running' }, { name: 'nb-noboot', bootPartition: false }], {
      downtimeMs: 100,
      rebootDelayMs: 100,
      xencommonsDelayMs: 0,
    });
    [stock, dom0, noboot] = fleet.hosts as [TestHost, TestHost, TestHost];
  });
  afterAll(async () => fleet?.stop());

  it('a fresh host: the stock kernel, as the firmware booted it', async () => {
    const nb = await nextBoot(stock);
    const last = (await bootLog(stock)).at(-1)!;
    expect(nb).toMatchObject({ entryIndex: last.entryIndex, title: last.title, kernelRelease: K, xen: false, boots: true, cmdline: last.cmdline });
  });

  it('a pending one-shot boot is predicted, not consumed; the reboot does what was predicted, and then the reset prediction', async () => {
    const c = await connect(dom0);
    const before = await nextBoot(dom0);
    expect(before).toMatchObject({ entryIndex: 0, xen: true, kernelRelease: X });
    const stock = before.entries.find((e) => e.title.includes(K))!;
    expect((await exec(c, `echo 'savedefault --default=${stock.index} --once' | grub --batch >/dev/null`)).code).toBe(0);
    const stage2 = await readHostFileBuffer(dom0, '/boot/grub/stage2');
    const nb = await nextBoot(dom0);
    expect(nb).toMatchObject({ entryIndex: stock.index, once: stock.index, xen: false, kernelRelease: K, boots: true });
    expect(nb.afterReset).toMatchObject({ entryIndex: 0, xen: true, kernelRelease: X, xenCmdline: before.xenCmdline });
    // asking twice changes nothing on the host
    expect(await nextBoot(dom0)).toEqual(nb);
    expect((await readHostFileBuffer(dom0, '/boot/grub/stage2'))!.equals(stage2!)).toBe(true);
    await rebootVia(c, 'reboot');
    (await reconnect(dom0)).end();
    const booted = (await bootLog(dom0)).at(-1)!;
    expect(booted).toMatchObject({ entryIndex: nb.entryIndex, title: nb.title, kernelRelease: nb.kernelRelease, hypervisor: nb.hypervisor, cmdline: nb.cmdline, once: nb.once });
    // what the oracle said a reset would boot is now the next boot
    const after = await nextBoot(dom0);
    const { savedWord: _a, log: _l, ...want } = nb.afterReset;
    expect(after).toMatchObject({ ...want, log: expect.any(Array) });
  });

  it('works while the host is off, and sees what a broken /boot does', async () => {
    const c = await connect(stock);
    await exec(c, `mv /boot/initramfs-${K}.img /boot/initramfs-${K}.img.away`);
    c.end();
    await powerCut(stock);
    const nb = await nextBoot(stock);
    // GRUB's initrd line names a file that is gone: Error 15, no fallback, the host stays at the menu
    expect(nb).toMatchObject({ entryIndex: 0, boots: false, result: 'bootfail', error: 'Error 15: File not found' });
    await powerOn(stock).catch(() => undefined); // it does not come up
    const deadline = Date.now() + 10_000;
    while ((await bootLog(stock)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await bootLog(stock)).at(-1)).toMatchObject({ result: 'bootfail', entryIndex: 0, error: nb.error });
  });

  it('a host without a /boot partition', async () => {
    await waitUp(noboot);
    const nb = await nextBoot(noboot);
    expect(nb).toMatchObject({ entryIndex: 0, kernelRelease: K, boots: true, xen: false });
    expect((await bootLog(noboot)).at(-1)).toMatchObject({ entryIndex: 0, kernelRelease: K, cmdline: nb.cmdline });
  });
});
