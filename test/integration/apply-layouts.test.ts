// Each layout variant of a CentOS 6 host, end to end: /boot not a partition, the source
// notes' LVM layout, the xen4centos helper present, and Xen already installed and running.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, readHostFile } from '../testbed/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { parseGrubConf } from '../../src/grub/index.js';

describeTestbed('apply on each layout', () => {
  const fleet = useFleet([
    { name: 'noboot', bootPartition: false },
    { name: 'seedlvm', layout: 'seed-lvm' },
    { name: 'helper', xenHelper: true },
    { name: 'running', xen: 'running' },
  ]);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;
  const grubOf = async (n: string) => parseGrubConf((await readHostFile(host(n), '/boot/grub/grub.conf'))!);

  it('/boot is not a partition: /boot/xen.gz and /boot/ module paths', async () => {
    const r = await dom0up(fleet(), host('noboot'), 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).outcome).toBe('verified');
    const e = (await grubOf('noboot')).bootEntry!;
    expect(e.kernel!.path).toBe('/boot/xen.gz');
    expect(e.modules.map((m) => m.path)).toEqual(['/boot/vmlinuz-4.9.241-37.el6.x86_64', '/boot/initramfs-4.9.241-37.el6.x86_64.img']);
  });

  it("the source notes' LVM host: dom0 gets exactly the arguments GRUB read for the plain entry", async () => {
    const r = await dom0up(fleet(), host('seedlvm'), 'apply', [...XEN_ARGS, '--xen-arg', 'cpufreq=xen', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).outcome).toBe('verified');
    const g = await grubOf('seedlvm');
    const xen = g.bootEntry!;
    const plainStock = g.entries.find((e) => e.version?.startsWith('2.6.32'))!;
    expect(xen.modules[0]!.args).toContain('root=/dev/mapper/vg_c610-lv_root');
    const last = (await bootLog(host('seedlvm'))).at(-1)!;
    expect(last.dom0Cmdline ?? last.cmdline).toBe(xen.modules[0]!.args);
    expect(plainStock.kernel!.args).toContain('rd_LVM_LV=vg_c610/lv_root');
  });

  it('with the xen4centos helper: the package-made Xen entry is updated, never duplicated', async () => {
    const r = await dom0up(fleet(), host('helper'), 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    const g = await grubOf('helper');
    expect(g.entries.filter((e) => e.kind === 'xen' && e.version === '4.9.241-37.el6.x86_64')).toHaveLength(1);
    // options the package wrote and nobody asked to change stay; ours are set
    expect(g.bootEntry!.kernel!.args).toMatch(/dom0_mem=1024M,max:1024M/);
    expect(g.bootEntry!.kernel!.args).toMatch(/dom0_vcpus_pin/);
    expect(await readHostFile(host('helper'), '/etc/sysconfig/xen-kernel')).toContain(`XEN_KERNEL_ARGS="${g.bootEntry!.kernel!.args}"`);
  });

  it('Xen already installed and running: no yum; re-tuned and verified', async () => {
    const r = await dom0up(fleet(), host('running'), 'apply', ['--dom0-mem', '2048M', '--dom0-vcpus', '2', '--pin', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    // yum is a skipped step of the plan and of the run, and no yum ran (its step would be 'yum')
    expect(rep.plan.steps.find((s: { id: string }) => s.id === 'yum-install').action).toBe('skip');
    expect(rep.steps.find((s: { id: string }) => s.id === 'yum-install').status).toBe('skipped');
    expect(rep.steps.map((s: { id: string }) => s.id)).not.toContain('yum');
    // and on the host: the run's journal has no yum log (a yum the run started writes one)
    expect(await readHostFile(host('running'), `/var/lib/dom0up/runs/${rep.runId}/steps`)).not.toBeNull();
    expect(await readHostFile(host('running'), `/var/lib/dom0up/runs/${rep.runId}/yum.log`)).toBeNull();
    expect(rep.outcome).toBe('verified');
    expect(rep.verify.checks.find((c: { id: string }) => c.id === 'dom0-memory').actual).toBe('2048');
  });
});
