// After dom0up: a later `yum update kernel` never takes Xen away from the Dom0 (UPDATEDEFAULT=no,
// BOOT_XEN_AS_DEFAULT="no"), and `dom0up apply` moves it to the new kernel through the verified
// one-shot boot. The judge of what booted is the test bed's firmware (its own GRUB reader).
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootLog, clearFault, nextBoot, readHostFile, setFault, type Fleet } from '../testbed/index.js';
import { connect, exec, rebootVia, reconnect } from '../testbed/ssh-helpers.js';
import { runCli } from '../helpers/run-cli.js';
import { dom0up, logDir, XEN_ARGS } from './helpers.js';

const NEW = '4.9.241-38.el6';
/** The stock kernel update of the vault's 6.10/updates (package `kernel`, like the Virt SIG's). */
const STOCK_UPDATE = '2.6.32-754.35.1.el6.x86_64';

function inventory(fleet: Fleet): string {
  const lines = fleet.hosts.map((h) => `${h.name} ansible_host=${h.host} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${h.privateKeyPath}`);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dom0up-inv-')), 'hosts.ini');
  writeFileSync(file, `[dom0s]\n${lines.join('\n')}\n`);
  return file;
}

/** The grub.conf entry (as GRUB reads it: the test bed's reader) whose kernel is `release`. */
async function entryOf(h: { name: string }, grub: string, release: string): Promise<string> {
  const blocks = grub.split(/^(?=title)/m).filter((b) => b.startsWith('title'));
  const b = blocks.find((x) => x.includes(`vmlinuz-${release}`));
  expect(b, `${h.name}: an entry for ${release}`).toBeDefined();
  return b!;
}

describeTestbed('kernel updates after dom0up', () => {
  const fleet = useFleet([{ name: 'ku-a' }, { name: 'ku-helper', xenHelper: true }]);

  for (const [i, label] of [[0, 'without the xen4centos helper'], [1, 'with the xen4centos helper']] as const) {
    it(`${label}: yum update kernel and a plain reboot come back under Xen with the same Dom0; dom0up apply then moves to the new kernel`, async () => {
      const h = fleet().hosts[i]!;
      const a = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
      expect(a.exit, a.stderr).toBe(0);
      const before = (await bootLog(h)).at(-1)!;
      expect(before).toMatchObject({ hypervisor: 'xen', dom0MemMiB: 1024, dom0Vcpus: 2 });

      await setFault(h, 'kernel-update', NEW);
      const c = await connect(h);
      // the helper's own repo files point at dead mirrors (dom0up's plan warns about them): the operator skips them
      const u = await exec(c, i === 1 ? 'yum -y --disablerepo=centos-virt-xen-410 --disablerepo=centos-virt-xen-epel update kernel' : 'yum -y update kernel');
      expect(u.code, u.stderr).toBe(0);
      expect(await readHostFile(h, `/boot/vmlinuz-${NEW}.x86_64`)).not.toBeNull();
      // the plan sees the new kernel and no drift: GRUB still boots what runs
      const p = await dom0up(fleet(), h, 'plan', [...XEN_ARGS, '--json']);
      const plan = JSON.parse(p.out).plan;
      expect(plan.warnings.filter((w: { code: string }) => w.code === 'boot-drift')).toEqual([]);
      expect(plan.desired.kernel).toBe(`${NEW}.x86_64`);
      const v = await dom0up(fleet(), h, 'verify', ['--json']);
      expect(JSON.parse(v.out).checks.find((x: { id: string }) => x.id === 'next-boot').ok).toBe(true);

      // a plain reboot (a power cut, an operator): still the same Xen Dom0
      await rebootVia(c, 'reboot');
      c.end();
      const c2 = await reconnect(h);
      c2.end();
      const after = (await bootLog(h)).at(-1)!;
      expect(after).toMatchObject({ hypervisor: 'xen', kernelRelease: before.kernelRelease, xenCmdline: before.xenCmdline, dom0MemMiB: 1024 });

      // dom0up moves it to the new kernel deliberately: one-shot boot, verification, commit
      const m = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
      expect(m.exit, m.stderr).toBe(0);
      const rep = JSON.parse(m.out);
      expect(rep.outcome).toBe('verified');
      expect(rep.plan.staging).not.toBeNull();
      const last = (await bootLog(h)).at(-1)!;
      expect(last).toMatchObject({ hypervisor: 'xen', kernelRelease: `${NEW}.x86_64`, dom0MemMiB: 1024, dom0Vcpus: 2 });
      // and the one after that too (the commit made it the default)
      const c3 = await connect(h);
      await rebootVia(c3, 'reboot');
      c3.end();
      (await reconnect(h)).end();
      expect((await bootLog(h)).at(-1)).toMatchObject({ hypervisor: 'xen', kernelRelease: `${NEW}.x86_64` });
      await clearFault(h, 'kernel-update');
    });
  }

  it('a stock kernel update (6.10/updates, also package `kernel`) never becomes the default nor a Dom0; a reboot stays on Xen; dom0up leaves it plain', async () => {
    const h = fleet().hosts[0]!;
    const a = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(a.exit, a.stderr).toBe(0);
    const before = (await bootLog(h)).at(-1)!;
    expect(before.hypervisor).toBe('xen');
    const c = await connect(h);
    // on a Dom0 the newest kernel is the Virt SIG's 4.9, so `yum update` does not offer the older
    // stock one: an operator who wants it installs it by name (as CentOS's own errata advice says)
    const u = await exec(c, `yum -y install kernel-${STOCK_UPDATE.replace(/\.x86_64$/, '')}`);
    expect(u.code, u.stderr).toBe(0);
    expect(await readHostFile(h, `/boot/vmlinuz-${STOCK_UPDATE}`)).not.toBeNull();
    // the test bed's GRUB reader: the next boot is still the Xen Dom0 that runs
    const nb = await nextBoot(h);
    expect({ kernel: nb.kernelRelease, xen: nb.xen }, nb.title ?? "").toEqual({ kernel: before.kernelRelease, xen: true });
    // new-kernel-pkg added a plain entry for it (UPDATEDEFAULT=no: not the default)
    const grub = (await readHostFile(h, '/boot/grub/grub.conf'))!;
    expect(await entryOf(h, grub, STOCK_UPDATE)).not.toMatch(/xen\.gz/);
    // dom0up: nothing to change, no drift; the stock kernel cannot be a Dom0 and is not picked
    const p = await dom0up(fleet(), h, 'plan', [...XEN_ARGS, '--json', '--detailed-exitcode']);
    expect(p.exit, p.stderr).toBe(0);
    const plan = JSON.parse(p.out).plan;
    expect(plan.changed).toBe(false);
    expect(plan.desired.kernel).toBe(before.kernelRelease);
    expect(plan.warnings.filter((w: { code: string }) => w.code === 'boot-drift')).toEqual([]);
    // a plain reboot: the same Xen Dom0
    await rebootVia(c, 'reboot');
    c.end();
    (await reconnect(h)).end();
    expect((await bootLog(h)).at(-1)).toMatchObject({ hypervisor: 'xen', kernelRelease: before.kernelRelease, xenCmdline: before.xenCmdline });
    // and a re-run still leaves the stock entry plain
    const again = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(again.exit, again.stderr).toBe(0);
    expect(JSON.parse(again.out).outcome).toBe('unchanged');
    expect(await entryOf(h, (await readHostFile(h, '/boot/grub/grub.conf'))!, STOCK_UPDATE)).not.toMatch(/xen\.gz/);
  });

  it('drift: someone makes the stock kernel the default; plan -i and verify say so for that host, apply puts Xen back without a reboot', async () => {
    const [h, other] = fleet().hosts as [NonNullable<ReturnType<typeof fleet>['hosts'][0]>, NonNullable<ReturnType<typeof fleet>['hosts'][0]>];
    // both hosts are Dom0s from the tests above; h has the stock update installed
    const c = await connect(h);
    const g = await exec(c, `grubby --set-default=/boot/vmlinuz-${STOCK_UPDATE}`);
    expect(g.code, g.stderr).toBe(0);
    c.end();
    const nb = await nextBoot(h);
    expect({ kernel: nb.kernelRelease, xen: nb.xen }, 'the oracle agrees the drift is real').toEqual({ kernel: STOCK_UPDATE, xen: false });
    const inv = inventory(fleet());
    const p = await runCli(['plan', '-i', inv, ...XEN_ARGS, '--json', '--known-hosts', fleet().knownHostsPath, '--ssh-config', '/dev/null'], { DOM0UP_LOG_DIR: logDir, DOM0UP_REPO_METADATA: 'off' });
    const doc = JSON.parse(p.stdout.toString('utf8'));
    const drift = (name: string) => doc.hosts.find((x: { name: string }) => x.name === name).plan.warnings.filter((w: { code: string }) => w.code === 'boot-drift');
    // one warning per difference: the kernel, and Xen missing
    const msgs = drift(h.name).map((w: { message: string }) => w.message).join('\n');
    expect(msgs).toContain(`kernel ${STOCK_UPDATE}`);
    expect(msgs).toMatch(/without Xen/);
    expect(drift(other.name)).toEqual([]);
    const v = await dom0up(fleet(), h, 'verify', ['--json']);
    expect(v.exit).toBe(1);
    const nextCheck = JSON.parse(v.out).checks.find((x: { id: string }) => x.id === 'next-boot');
    expect(nextCheck.ok).toBe(false);
    expect(nextCheck.actual).toContain(STOCK_UPDATE);
    // apply: the running Dom0 already matches, only the default moves back; no reboot
    const bootsBefore = (await bootLog(h)).length;
    const m = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(m.exit, m.stderr).toBe(0);
    expect(JSON.parse(m.out).outcome).toBe('verified');
    expect((await bootLog(h)).length).toBe(bootsBefore);
    const nb2 = await nextBoot(h);
    expect({ xen: nb2.xen, kernel: nb2.kernelRelease }).toEqual({ xen: true, kernel: (await bootLog(h)).at(-1)!.kernelRelease });
  });
});
