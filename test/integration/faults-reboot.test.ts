// Fault matrix, part 3: the reboot goes wrong — the host never comes back, Xen panics on the
// one-shot boot, the host key changes across the reboot. The host always ends up bootable, the
// permanent default never moves to an unverified entry, and a later run converges.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, clearFault, consoleLog, currentHostKey, hostState, powerOn, readHostFile, setFault, waitUp } from '../testbed/index.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { fingerprintSha256, parsePublicKeyLine } from '../../src/transport/index.js';
import { ONCE_FLAG } from '../../src/apply/one-shot.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { expectBootable, expectNothingLost, expectVerifiedDom0, FAST, GRUB, LOCK, provision, snapshot } from './faults-helpers.js';

const fp = (line: string) => fingerprintSha256(parsePublicKeyLine(line)!.key);

describeTestbed('faults: the reboot', () => {
  const fleet = useFleet([{ name: 'never-return', xen: 'running' }, { name: 'xen-panic' }, { name: 'key-change' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('the host never comes back: times out within --reboot-timeout, names the phase, prints the console/rollback advice', async () => {
    const h = host('never-return');
    const before = await snapshot(h);
    const oldDefault = parseGrubConf((await readHostFile(h, GRUB))!).bootEntry!;
    await setFault(h, 'never-return');
    const t0 = Date.now();
    const r = await dom0up(fleet(), h, 'apply', ['--dom0-mem', '2048M', '--dom0-vcpus', '2', '--pin', '--yes', '--reboot-timeout', '5']);
    const took = Date.now() - t0;
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/: reboot \(waiting for the host\): the host did not come back within the deadline \(\d+ s after the reboot command; last error: [^)]+\)/);
    // the console advice names the one-shot entry and the permanent default, and the rollback
    expect(r.stderr).toMatch(/hint: use the console: the Xen entry \d+ was booted once, so a reset boots entry \d+ "[^"]+" \(the permanent default\) again; .*dom0up rollback /);
    // the lock could not be released (the host is off): said so, with what happens next
    expect(r.stderr).toMatch(/unlock: FAILED — could not release \/var\/lib\/dom0up\/lock .*takes it over/);
    // facts + plan + writes take about a second here; the wait itself is bounded by the deadline
    expect(took).toBeLessThan(5000 + 8000);
    expect(await hostState(h)).toBe('off');

    // the operator powers it on: GRUB boots the Xen entry once, as staged, and the host is up
    await clearFault(h, 'never-return');
    await powerOn(h);
    const last = await expectBootable(h);
    expect(last.hypervisor).toBe('xen');
    expect(last.once).not.toBeNull();
    // the permanent default is still the old entry: the rewrite changes it in place, so the staged
    // file keeps a verbatim copy of it as the default until verification
    const staged = parseGrubConf((await readHostFile(h, GRUB))!).bootEntry!;
    expect(staged.title.trimEnd()).toBe(`${oldDefault.title.trimEnd()} (dom0up: previous)`);
    expect(staged.kernel!.args).toBe(oldDefault.kernel!.args);
    expect(staged.modules.map((m) => `${m.path} ${m.args}`)).toEqual(oldDefault.modules.map((m) => `${m.path} ${m.args}`));

    // the next run takes over the lock the dead run left, verifies the running Dom0, commits
    const again = await provision(fleet(), h, { req: { dom0Mem: '2048M', dom0Vcpus: '2', pin: true } });
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    expect(again.report!.steps.find((s) => s.id === 'lock')!.detail).toMatch(/took over the lock of run \S+ \(dom0up apply [^)]+\) from \S+ pid \d+, started [^:]+.*: its process is gone/);
    expect(again.report!.steps.find((s) => s.id === 'reboot')!.status).toBe('skipped');
    expect(parseGrubConf((await readHostFile(h, GRUB))!).bootEntry!.kind).toBe('xen');
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectNothingLost(h, before);
  });

  it('Xen panics on the one-shot boot: back on the old kernel, reported as a failed Xen boot, default unchanged', async () => {
    const h = host('xen-panic');
    const before = await snapshot(h);
    const oldDefault = parseGrubConf((await readHostFile(h, GRUB))!).bootEntry!;
    await setFault(h, 'xen-panic');
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(r.exit).toBe(1);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('xen-boot-failed');
    expect(rep.message).toMatch(/^the Xen boot failed: the host came back on 2\.6\.32-754\.el6\.x86_64 without Xen/);
    // (the package added its entry at the top, so the old default moved down by one)
    expect(rep.message).toContain(`the default stays entry ${rep.planAfterInstall.staging.knownGoodIndex} "${oldDefault.title.trimEnd()}"`);
    // the firmware's story: the one-shot Xen boot panicked, Xen rebooted, GRUB booted the old default
    const boots = await bootLog(h);
    const [panic, back] = boots.slice(-2);
    expect(panic!.result).toBe('panic');
    expect(panic!.hypervisor).toBe('xen');
    expect(panic!.once).toBe(rep.planAfterInstall.staging.oneShotIndex);
    expect(back!.result).toBe('up');
    expect(back!.hypervisor).toBe('none');
    expect(back!.kernelRelease).toBe('2.6.32-754.el6.x86_64');
    expect(await consoleLog(h)).toContain('(XEN) Reboot in five seconds...');
    // the host is as it was before the reboot: grub.conf is the staged file (Xen entry, old default),
    // and no one-shot boot is pending any more
    const now = (await readHostFile(h, GRUB))!;
    expect(now).toBe(rep.planAfterInstall.staging.intermediate);
    expect(parseGrubConf(now).bootEntry!.title).toBe(oldDefault.title);
    const facts = JSON.parse((await dom0up(fleet(), h, 'facts', ['--json'])).out).facts;
    expect(facts.boot.stage2Saved & ONCE_FLAG).toBe(0);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectBootable(h);
    await expectNothingLost(h, before);

    // the cause fixed (here: the fault cleared), the next run boots Xen once more and commits
    await clearFault(h, 'xen-panic');
    const again = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(again.exit, again.stderr).toBe(0);
    expect(JSON.parse(again.out).outcome).toBe('verified');
    await expectVerifiedDom0(h);
  });

  it('the host key changes across the reboot: refused, naming the old and the new fingerprint', async () => {
    const h = host('key-change');
    const before = await snapshot(h);
    await setFault(h, 'host-key-change');
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes']);
    expect(r.exit).toBe(1);
    const oldFp = fp(h.hostKey);
    const newKey = currentHostKey(h);
    expect(newKey).not.toBe(h.hostKey);
    const newFp = fp(newKey);
    expect(r.stderr).toContain(`: reboot (reconnecting): host key changed since the last connection: expected ${oldFp}, got ssh-rsa ${newFp}`);
    // the host itself is fine: it booted the Xen entry once
    const last = await expectBootable(h);
    expect(last.hypervisor).toBe('xen');
    await expectNothingLost(h, before);

    // with the new key accepted by the operator, the next run takes over the lock and converges
    const kh = path.join(fleet().dir, 'known_hosts.key-change');
    writeFileSync(kh, `[${h.host}]:${h.port} ${newKey}\n`);
    await waitUp(h);
    const again = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json'], { knownHosts: kh });
    expect(again.exit, again.stderr).toBe(0);
    const rep = JSON.parse(again.out);
    expect(rep.outcome).toBe('verified');
    expect(rep.steps.find((s: { id: string }) => s.id === 'lock').detail).toMatch(/took over the lock/);
    await expectVerifiedDom0(h);
  });
});
