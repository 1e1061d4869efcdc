// tune on a host that runs Xen: up, again (nothing), down, and --no-reboot.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootLog, readHostFile, readHostFileBuffer, writeHostFile } from '../testbed/index.js';
import { dom0up } from './helpers.js';
import { parseGrubConf } from '../../src/grub/index.js';

describeTestbed('tune', () => {
  const fleet = useFleet([{ name: 'tune', xen: 'running', cpus: 8, memMiB: 8192 }, { name: 'plain' }]);
  const h = () => fleet().hosts[0]!;

  it('up: only the hypervisor options change, then the host reboots and verifies', async () => {
    const before = parseGrubConf((await readHostFile(h(), '/boot/grub/grub.conf'))!);
    const r = await dom0up(fleet(), h(), 'tune', ['--dom0-mem', '4096M', '--dom0-vcpus', '4', '--pin', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    expect(rep.steps.map((s: { id: string }) => s.id)).not.toContain('repo');
    const after = parseGrubConf((await readHostFile(h(), '/boot/grub/grub.conf'))!);
    expect(after.entries.length).toBe(before.entries.length);
    expect(after.bootEntry!.kernel!.args).toContain('dom0_mem=4096M,max:4096M');
    expect(after.bootEntry!.modules).toEqual(before.bootEntry!.modules.map((m) => ({ ...m })));
    const last = (await bootLog(h())).at(-1)!;
    expect(last.dom0MemMiB).toBe(4096);
    expect(last.dom0Vcpus).toBe(4);
  });

  it('again: nothing changes, no reboot', async () => {
    const boots = (await bootLog(h())).length;
    const r = await dom0up(fleet(), h(), 'tune', ['--dom0-mem', '4096M', '--dom0-vcpus', '4', '--pin', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).outcome).toBe('unchanged');
    expect((await bootLog(h())).length).toBe(boots);
  });

  it('down, unpinned: keeps options not named, verifies the smaller Dom0', async () => {
    const r = await dom0up(fleet(), h(), 'tune', ['--dom0-mem', '768M', '--dom0-vcpus', '1', '--no-pin', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    const args = parseGrubConf((await readHostFile(h(), '/boot/grub/grub.conf'))!).bootEntry!.kernel!.args;
    expect(args).not.toContain('dom0_vcpus_pin');
    expect(args).toContain('dom0_mem=768M,max:768M');
    expect(rep.verify.checks.find((c: { id: string }) => c.id === 'dom0-vcpus').actual).toBe('1');
  });

  it('--no-reboot writes the change and leaves the reboot to the operator; verify then reports the mismatch', async () => {
    const boots = (await bootLog(h())).length;
    const r = await dom0up(fleet(), h(), 'tune', ['--dom0-mem', '1024M', '--no-reboot', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).outcome).toBe('reboot-pending');
    expect((await bootLog(h())).length).toBe(boots);
    const v = await dom0up(fleet(), h(), 'verify', ['--dom0-mem', '1024M', '--json']);
    expect(v.exit).toBe(1);
    expect(JSON.parse(v.out).checks.find((c: { id: string }) => c.id === 'dom0-memory').ok).toBe(false);
  });

  it('refuses on a host that does not run Xen, changing nothing', async () => {
    const p = fleet().hosts[1]!;
    const grub = await readHostFile(p, '/boot/grub/grub.conf');
    const r = await dom0up(fleet(), p, 'tune', ['--dom0-mem', '1024M', '--yes']);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/^dom0up: error: root@127\.0\.\d+\.\d+:\d+: preflight: the host does not run Xen/m);
    expect(r.stderr).toMatch(/^hint: use dom0up apply/m);
    expect(await readHostFile(p, '/boot/grub/grub.conf')).toBe(grub);
  });

  it('latin1 sysconfig and xl.conf files (not UTF-8): tuned, verified, every byte outside the edit kept', async () => {
    // a comment with an é in ISO-8859-1, as an old editor leaves it
    const note = Buffer.from('# r\xe9glages du Dom0 (ne pas \xe9diter)\n', 'latin1');
    for (const f of ['/etc/sysconfig/xen-kernel', '/etc/xen/xl.conf']) {
      const old = (await readHostFileBuffer(h(), f))!;
      await writeHostFile(h(), f, Buffer.concat([note, old]));
    }
    const r = await dom0up(fleet(), h(), 'tune', ['--dom0-mem', '2048M', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).outcome).toBe('verified');
    expect((await bootLog(h())).at(-1)!.dom0MemMiB).toBe(2048);
    const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-latin1-'));
    for (const f of ['/etc/sysconfig/xen-kernel', '/etc/xen/xl.conf']) {
      const b = (await readHostFileBuffer(h(), f))!;
      expect(b.subarray(0, note.length).equals(note), `${f} keeps its latin1 bytes`).toBe(true);
      expect(b.includes(Buffer.from([0xc3, 0xa9])), `${f} was not re-encoded as UTF-8`).toBe(false);
    }
    // a real shell reads the value the kernel-update helper reads
    const copy = path.join(dir, 'xen-kernel');
    writeFileSync(copy, (await readHostFileBuffer(h(), '/etc/sysconfig/xen-kernel'))!);
    const v = execFileSync('/bin/sh', ['-c', '. "$1"; printf %s "$XEN_KERNEL_ARGS"', 'sh', copy], { encoding: 'latin1' });
    expect(v).toContain('dom0_mem=2048M,max:2048M');
    // and a second run changes nothing (the compare-and-swap is over the real bytes)
    const again = await dom0up(fleet(), h(), 'tune', ['--dom0-mem', '2048M', '--yes', '--json']);
    expect(again.exit, again.stderr).toBe(0);
    expect(JSON.parse(again.out).outcome).toBe('unchanged');
  });
});
