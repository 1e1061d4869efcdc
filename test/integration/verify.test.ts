// verify changes nothing and catches a host that booted without Xen or with other options.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog } from '../testbed/index.js';
import { dom0up } from './helpers.js';

describeTestbed('verify', () => {
  const fleet = useFleet([{ name: 'plainv' }, { name: 'xenv', xen: 'running' }]);

  it('a host booted without Xen fails verification, naming the checks', async () => {
    const h = fleet().hosts[0]!;
    const r = await dom0up(fleet(), h, 'verify', ['--dom0-mem', '1024M', '--json']);
    expect(r.exit).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(false);
    expect(j.notXen).toBe(true);
    expect(j.checks.find((c: { id: string }) => c.id === 'xen').actual).toMatch(/absent/);
    const human = await dom0up(fleet(), h, 'verify', ['--dom0-mem', '1024M']);
    expect(human.out).toMatch(/does not match \(not running Xen\)/);
    expect(human.out).toMatch(/FAIL\s+\/proc\/xen\/capabilities/);
  });

  it('a Xen host: passes against its own entry, fails against other options, changes nothing', async () => {
    const h = fleet().hosts[1]!;
    const boots = (await bootLog(h)).length;
    expect((await dom0up(fleet(), h, 'verify', [])).exit).toBe(0);
    const bad = await dom0up(fleet(), h, 'verify', ['--dom0-mem', '2048M', '--dom0-vcpus', '3', '--json']);
    expect(bad.exit).toBe(1);
    const failed = JSON.parse(bad.out).checks.filter((c: { ok: boolean }) => !c.ok).map((c: { id: string }) => c.id);
    expect(failed).toEqual(expect.arrayContaining(['xen-commandline', 'dom0-memory', 'dom0-vcpus']));
    expect((await bootLog(h)).length).toBe(boots);
  });
});
