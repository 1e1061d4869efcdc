// Fault matrix, part 1: the connection drops during each phase of `apply`. Each run fails with an
// error that names the phase (or, for the reboot, carries on), leaves the host bootable with a whole
// grub.conf, and a plain re-run converges to a verified Dom0.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { dropConnections, readHostFile, type TestHost } from '../testbed/index.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { expectBootable, expectNothingLost, expectVerifiedDom0, FAST, GRUB, journalOf, LOCK, provision, snapshot } from './faults-helpers.js';

describeTestbed('faults: the connection drops', () => {
  const fleet = useFleet([{ name: 'drop-repo' }, { name: 'drop-yum' }, { name: 'drop-grub' }, { name: 'drop-reboot' }, { name: 'drop-verify' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  /** A re-run that converges, and the invariants after it. */
  async function rerunConverges(h: TestHost, before: Record<string, string | null>, stopped?: { runId: string; phase: RegExp }) {
    const again = await provision(fleet(), h);
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    if (stopped) {
      // the re-run says where the previous one stopped (from the host's journal)
      const resume = again.report!.steps.find((s) => s.id === 'resume');
      expect(resume?.detail).toMatch(new RegExp(`^run ${stopped.runId} stopped at ${stopped.phase.source}`));
    }
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
    expect(await readHostFile(h, LOCK)).toBeNull();
    return again;
  }

  it('during the .repo write: error names the phase; the re-run converges', async () => {
    const h = host('drop-repo');
    const before = await snapshot(h);
    const r = await provision(fleet(), h, { hooks: { phase: (id) => void (id === 'repo' && dropConnections(h)) } });
    expect(r.error?.message).toMatch(/: repo: the connection was lost while writing \/etc\/yum\.repos\.d\/xen4centos-410\.repo/);
    // the file is either absent (old) or complete (new), never partial
    const repo = await readHostFile(h, '/etc/yum.repos.d/xen4centos-410.repo');
    if (repo !== null) expect(repo).toContain('baseurl=http://vault.centos.org/6.10/virt/x86_64/xen-410/');
    await expectBootable(h);
    // the lock was released over a new connection
    expect(await readHostFile(h, LOCK)).toBeNull();
    await rerunConverges(h, before, { runId: r.runId, phase: /repo/ });
  });

  it('during yum: error names the phase and says to run again; the re-run converges', async () => {
    const h = host('drop-yum');
    const before = await snapshot(h);
    const grub = await readHostFile(h, GRUB);
    let dropped = false;
    const r = await provision(fleet(), h, {
      hooks: {
        log: (s) => {
          // mid-transaction: yum has started installing
          if (!dropped && /Installing|Running Transaction/.test(s)) {
            dropped = true;
            void dropConnections(h);
          }
        },
      },
    });
    expect(dropped).toBe(true);
    expect(r.error?.message).toMatch(/: yum: the connection was lost during yum install xen/);
    expect(r.error?.hint).toMatch(/run again/);
    // dom0up wrote nothing to grub.conf (the package scripts may have added their plain entry)
    expect(r.ev.phases).not.toContain('grub');
    expect(grub).not.toBeNull();
    await expectBootable(h);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await rerunConverges(h, before, { runId: r.runId, phase: /yum/ });
  });

  it('during the grub.conf write: error names the phase; grub.conf is the old or the new file; the re-run converges', async () => {
    const h = host('drop-grub');
    const before = await snapshot(h);
    let old: string | null = null;
    const r = await provision(fleet(), h, {
      hooks: {
        phase: (id) => {
          if (id === 'grub') void dropConnections(h);
        },
        done: (id) => {
          // after yum (and after the default was put back on the running kernel): the grub.conf the write starts from
          if (id === 'facts' || id === 'keep-default') void readHostFile(h, GRUB).then((t) => (old = t));
        },
      },
    });
    expect(r.error?.message).toMatch(/: grub\.conf (write|read-back): /);
    const now = (await readHostFile(h, GRUB))!;
    const staged = r.report?.planAfterInstall?.staging?.intermediate;
    expect([old, staged].filter(Boolean)).toContain(now);
    expect(parseGrubConf(now).findings.filter((f) => f.severity === 'error')).toEqual([]);
    await expectBootable(h);
    await rerunConverges(h, before, { runId: r.runId, phase: /grub/ });
  });

  it('right when the reboot command goes out: the lost command is sent again and the run still verifies', async () => {
    const h = host('drop-reboot');
    const before = await snapshot(h);
    const r = await provision(fleet(), h, { hooks: { phase: (id) => void (id === 'reboot' && dropConnections(h)) } });
    expect(r.error?.message ?? null).toBeNull();
    expect(r.report!.outcome).toBe('verified');
    expect(r.ev.notes.some((n) => /did not reach the host.*sending it again/.test(n))).toBe(true);
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });

  it('during verification: error names the phase; the re-run verifies the running Dom0 before it commits the default', async () => {
    const h = host('drop-verify');
    const before = await snapshot(h);
    const r = await provision(fleet(), h, { hooks: { phase: (id) => void (id === 'verify' && dropConnections(h)) } });
    expect(r.error?.message).toMatch(/: verify: the connection was lost/);
    // the one-shot boot: Xen runs, but the permanent default is still the old kernel
    const last = await expectBootable(h);
    expect(last.hypervisor).toBe('xen');
    expect(parseGrubConf((await readHostFile(h, GRUB))!).bootEntry!.kind).toBe('linux');
    const again = await rerunConverges(h, before, { runId: r.runId, phase: /verify/ });
    expect(again.report!.verify?.ok).toBe(true);
    const ids = again.report!.steps.map((s) => `${s.id}:${s.status}`);
    expect(ids.indexOf('verify:done')).toBeLessThan(ids.indexOf('grub:done'));
    expect(ids).toContain('reboot:skipped');
    expect((await journalOf(h)).at(-1)!.phase).toBe('done');
  });
});
