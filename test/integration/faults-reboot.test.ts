// Fault matrix, part 3: the reboot and what follows go wrong — the host never comes back, Xen panics
// on the one-shot boot, the host key changes across the reboot, the grub shell cannot set the
// one-shot boot, verification fails after the one-shot boot. The judge of what boots is the test
// bed's GRUB reader (nextBoot) and its boot log; the permanent default never moves to an unverified
// entry, and a later run converges.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { addFaultPoint, bootLog, clearFault, consoleLog, currentHostKey, hostState, powerOn, readHostFile, setFault, waitUp } from '../testbed/index.js';
import { fingerprintSha256, parsePublicKeyLine } from '../../src/transport/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { afterInstallStep, expectBootsStock, expectNextBoot, expectNothingLost, expectVerifiedDom0, FAST, GRUB, LOCK, provision, rerunConverges, SIG, snapshot, STOCK } from './faults-helpers.js';

const fp = (line: string) => fingerprintSha256(parsePublicKeyLine(line)!.key);

describeTestbed('faults: the reboot', () => {
  const fleet = useFleet([{ name: 'never-return', xen: 'running' }, { name: 'xen-panic' }, { name: 'key-change' }, { name: 'oneshot-fails' }, { name: 'verify-fails' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('the host never comes back: times out within --reboot-timeout, names the phase, prints the console/rollback advice; the Dom0 it ran stays the way back', async () => {
    const h = host('never-return');
    const before = await snapshot(h);
    const ran = (await bootLog(h)).at(-1)!;
    await setFault(h, 'never-return');
    const t0 = Date.now();
    const r = await dom0up(fleet(), h, 'apply', ['--dom0-mem', '2048M', '--dom0-vcpus', '2', '--pin', '--yes', '--reboot-timeout', '5']);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/: reboot \(waiting for the host\): the host did not come back within the deadline \(\d+ s after the reboot command; last error: [^)]+\)/);
    expect(r.stderr).toMatch(/hint: use the console: the Xen entry \d+ was booted once, so a reset boots entry \d+ "[^"]+" \(the permanent default\) again; .*dom0up rollback .* --run \S+/);
    expect(r.stderr).toMatch(/unlock: FAILED — could not release the host lock \(the host does not answer\)/);
    // bounded by the deadline (plus the plan and the writes), not by a fixed wait
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(await hostState(h)).toBe('off');
    // what the firmware will do: the one-shot Xen 2048M boot, and after a reset the Dom0 the host ran
    await expectNextBoot(h, { kernel: SIG, xen: true, afterReset: { kernel: SIG, xen: true } });
    const nb = (await import('../testbed/index.js')).nextBoot;
    expect((await nb(h)).afterReset.xenCmdline).toBe(ran.xenCmdline);

    // the operator powers it on; the dead run's reboot lease holds the lock, --break-lock takes it
    await clearFault(h, 'never-return');
    await powerOn(h);
    await waitUp(h, 60_000);
    const blocked = await dom0up(fleet(), h, 'apply', ['--dom0-mem', '2048M', '--dom0-vcpus', '2', '--pin', '--yes']);
    expect(blocked.exit).toBe(1);
    expect(blocked.stderr).toMatch(/is rebooting this host and holds the lock for \d+ more min/);
    expect(blocked.stderr).toMatch(/hint: wait for it to verify the host, or --break-lock if that run is gone/);
    const again = await provision(fleet(), h, { req: { dom0Mem: '2048M', dom0Vcpus: '2', pin: true }, breakLock: true });
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    expect(again.report!.steps.find((s) => s.id === 'lock')!.detail).toMatch(/took over the lock of \S+ \(not renewed for \d+ s\)/);
    expect(again.report!.steps.find((s) => s.id === 'reboot')!.status).toBe('skipped');
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectNothingLost(h, before);
  });

  it('Xen panics on the one-shot boot: the machine resets into the stock kernel by itself, reported as a failed Xen boot, the default unchanged', async () => {
    const h = host('xen-panic');
    const before = await snapshot(h);
    await setFault(h, 'xen-panic');
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(r.exit).toBe(1);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('xen-boot-failed');
    expect(rep.message).toMatch(/^the Xen boot failed: the host came back on 2\.6\.32-754\.el6\.x86_64 without Xen/);
    expect(rep.message).toContain(`the default stays entry ${rep.planAfterInstall.staging.knownGoodIndex} "${rep.planAfterInstall.staging.knownGoodTitle}"`);
    // the firmware's story: the one-shot Xen boot panicked, Xen reset the machine, GRUB booted the old default
    const [panic, back] = (await bootLog(h)).slice(-2);
    expect(panic).toMatchObject({ result: 'panic', hypervisor: 'xen', once: rep.planAfterInstall.staging.oneShotIndex });
    expect(back).toMatchObject({ result: 'up', hypervisor: 'none', kernelRelease: STOCK });
    expect(await consoleLog(h)).toContain('(XEN) Reboot in five seconds...');
    expect(await readHostFile(h, GRUB)).toBe(rep.planAfterInstall.staging.intermediate);
    await expectBootsStock(h);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectNothingLost(h, before);
    await clearFault(h, 'xen-panic');
    const again = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(again.exit, again.stderr).toBe(0);
    expect(JSON.parse(again.out).outcome).toBe('verified');
    await expectVerifiedDom0(h);
  });

  it('the host key changes across the reboot: refused, naming the old and the new fingerprint; the host runs the one-shot Xen boot and falls back after a reset', async () => {
    const h = host('key-change');
    const before = await snapshot(h);
    await setFault(h, 'host-key-change');
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes']);
    expect(r.exit).toBe(1);
    const newKey = currentHostKey(h);
    expect(newKey).not.toBe(h.hostKey);
    expect(r.stderr).toContain(`: reboot (reconnecting): host key changed since the last connection: expected ${fp(h.hostKey)}, got ssh-rsa ${fp(newKey)}`);
    const last = (await bootLog(h)).at(-1)!;
    expect(last).toMatchObject({ result: 'up', hypervisor: 'xen' });
    await expectBootsStock(h);
    await expectNothingLost(h, before);
    // the operator accepts the new key; the dead run's reboot lease needs --break-lock
    const kh = path.join(fleet().dir, 'known_hosts.key-change');
    writeFileSync(kh, `[${h.host}]:${h.port} ${newKey}\n`);
    const again = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json', '--break-lock'], { knownHosts: kh });
    expect(again.exit, again.stderr).toBe(0);
    const rep = JSON.parse(again.out);
    expect(rep.outcome).toBe('verified');
    expect(rep.steps.find((s: { id: string }) => s.id === 'lock').detail).toMatch(/took over the lock/);
    await expectVerifiedDom0(h);
  });

  it('the grub shell cannot set the one-shot boot: the run stops before the reboot; the staged file keeps the stock kernel the default', async () => {
    const h = host('oneshot-fails');
    const before = await snapshot(h);
    let point: Awaited<ReturnType<typeof addFaultPoint>> | null = null;
    const r = await provision(fleet(), h, { beforeReboot: async () => ((point = await addFaultPoint(h, { at: 'exec', match: '/sbin/grub --batch*', when: 'before', action: 'fail', exitCode: 1, message: 'Error 15: File not found' })), true) });
    expect(await point!.firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/: one-shot boot: grub did not store the one-shot boot of entry \d+ \(stage2 word 0x0\)/);
    expect(r.error?.hint).toMatch(/--no-once/);
    expect(r.ev.ended.some((e) => e.id === 'reboot' && e.status === 'ok')).toBe(false);
    expect(await readHostFile(h, GRUB)).toBe(afterInstallStep(r.ev, 'grub').after);
    await expectBootsStock(h);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('verification fails after the one-shot boot: verify-failed, and the next reboot returns to the stock kernel', async () => {
    const h = host('verify-fails');
    let point: Awaited<ReturnType<typeof addFaultPoint>> | null = null;
    const r = await provision(fleet(), h, { beforeReboot: async () => ((point = await addFaultPoint(h, { at: 'exec', match: 'xl vcpu-list', when: 'before', action: 'fail', exitCode: 1, message: 'libxl: error: vcpu-list failed', times: 0 })), true) });
    expect((await point!.firings()).length).toBeGreaterThan(0);
    expect(r.error?.message ?? null).toBeNull();
    expect(r.report!.outcome).toBe('verify-failed');
    expect(r.report!.verify!.checks.find((c) => c.id === 'pinning')!.ok).toBe(false);
    expect(r.report!.message).toMatch(/the permanent default is still entry \d+ "[^"]+", so the next reboot returns to it; dom0up rollback .* --run /);
    expect((await bootLog(h)).at(-1)).toMatchObject({ hypervisor: 'xen', kernelRelease: SIG });
    await expectBootsStock(h);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await point!.clear();
  });
});
