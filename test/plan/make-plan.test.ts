// The planner from fact fixtures: facts in, plan out, no SSH. The judge of "what GRUB boots" here
// is the grub.conf text itself, read with GRUB's own rules by the project's reader (the SSH and
// real-boot tiers ask independent readers).
import { describe, expect, it } from 'vitest';
import { makePlan, nextBootIndex, KERNEL_PLACEHOLDER } from '../../src/plan/make-plan.js';
import { comparePrediction } from '../../src/plan/prediction.js';
import { parseGrubConf } from '../../src/grub/index.js';
import type { FileStep, Plan } from '../../src/plan/plan.js';
import { parseShellVars } from '../../src/repo/index.js';
import { anacondaConf, hostFacts, plainEntry, SIG, SIG_NEW, STOCK, xenEntry } from './fixtures.js';

const XEN = { dom0Mem: '1024M', dom0Vcpus: '2', pin: true };
const ARGS = 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin';
const ids = (p: Plan) => p.steps.map((s) => `${s.id}:${s.action}`);
const file = (p: Plan, id: string) => p.steps.find((s): s is FileStep => s.kind === 'file' && s.id === id)!;
const boots = (text: string) => {
  const c = parseGrubConf(text);
  const i = c.bootIndex();
  return i === null ? null : c.entries[i]!;
};

describe('a fresh CentOS 6.10 host', () => {
  const f = hostFacts({ grubConf: anacondaConf(plainEntry(STOCK, `CentOS 6 (${STOCK})`)), kernels: [STOCK] });

  it('writes the repo, the key and the settings that keep packages off the default before yum; the rest after it', () => {
    const p = makePlan(f, XEN, 'apply', 'h');
    expect(p.refusals).toEqual([]);
    expect(ids(p)).toEqual(['repo:create', 'gpg-key:create', 'kernel-sysconfig:update', 'xen-kernel-sysconfig:create', 'yum-install:run', 'xl-conf:after-install', 'grub:after-install', 'one-shot:after-install', 'reboot:run', 'verify:run', 'grub-commit:after-install']);
    expect(parseShellVars(file(p, 'kernel-sysconfig').after!).get('UPDATEDEFAULT')).toBe('no');
    expect(file(p, 'kernel-sysconfig').diff).toContain('-UPDATEDEFAULT=yes\n+UPDATEDEFAULT=no');
    const xk = parseShellVars(file(p, 'xen-kernel-sysconfig').after!);
    expect(xk.get('BOOT_XEN_AS_DEFAULT')).toBe('no');
    expect(xk.get('XEN_KERNEL_ARGS')).toBe(ARGS);
    expect(p.boot.nextEntry).toMatchObject({ index: 0, version: STOCK, kind: 'linux' });
    expect(p.changed).toBe(true);
  });

  it('predicts the grub.conf diff new-kernel-pkg and dom0up make (placeholder version without metadata)', () => {
    const p = makePlan(f, XEN, 'apply', 'h');
    const g = file(p, 'grub');
    expect(g.predicted!.kernelVersionSource).toBe('placeholder');
    expect(g.predicted!.diff).toContain(`+title CentOS (${KERNEL_PLACEHOLDER})`);
    expect(g.predicted!.diff).toContain(`+\tkernel /xen.gz ${ARGS}`);
    // staged: the Xen entry is new, the default still boots the stock kernel
    expect(boots(g.predicted!.after)!.version).toBe(STOCK);
    const c = file(p, 'grub-commit');
    expect(boots(c.predicted!.after)!.kind).toBe('xen');
  });

  it('uses the repository metadata version when the caller has it', () => {
    const p = makePlan(f, XEN, 'apply', 'h', { kernelPrediction: { version: SIG, source: 'repo-metadata' } });
    expect(file(p, 'grub').predicted!.diff).toContain(`+\tmodule /vmlinuz-${SIG} ro root=/dev/mapper/vg_centos6-lv_root`);
  });

  it('the plan after yum is the prediction, the version aside', () => {
    const before = makePlan(f, XEN, 'apply', 'h');
    // what grubby wrote: the 4.9 entry on top, the default bumped to keep booting the stock kernel
    const after = hostFacts({ grubConf: anacondaConf(plainEntry(SIG) + plainEntry(STOCK, `CentOS 6 (${STOCK})`), 'default=1'), kernels: [STOCK, SIG], xenInstalled: true, repoWritten: true, files: { '/etc/sysconfig/kernel': 'UPDATEDEFAULT=no\nDEFAULTKERNEL=kernel\n' } });
    const p2 = makePlan(after, XEN, 'apply', 'h');
    expect(ids(p2).filter((s) => !s.endsWith(':skip'))).toEqual(['xen-kernel-sysconfig:create', 'xl-conf:create', 'grub:update', 'one-shot:run', 'reboot:run', 'verify:run', 'grub-commit:update']);
    expect(comparePrediction(before, p2).filter((d) => d.startsWith('grub'))).toEqual([]);
  });

  it('a prediction that the packages did not follow is reported', () => {
    const before = makePlan(f, XEN, 'apply', 'h');
    const after = hostFacts({ grubConf: anacondaConf(plainEntry(SIG, 'Something else') + plainEntry(STOCK, `CentOS 6 (${STOCK})`), 'default=1'), kernels: [STOCK, SIG], xenInstalled: true });
    const d = comparePrediction(before, makePlan(after, XEN, 'apply', 'h'));
    expect(d.some((x) => x.startsWith('grub (') && x.includes('Something else'))).toBe(true);
  });

  it('no /boot partition: paths under /boot/', () => {
    const g = hostFacts({ grubConf: anacondaConf(plainEntry(STOCK, `CentOS 6 (${STOCK})`, '/boot/')), kernels: [STOCK], bootPartition: false });
    const p = makePlan(g, XEN, 'apply', 'h');
    expect(file(p, 'grub').predicted!.diff).toContain(`+\tkernel /boot/xen.gz ${ARGS}`);
  });

  it('a missing /etc/pki/rpm-gpg is created before the key, and shown', () => {
    const g = hostFacts({ grubConf: anacondaConf(plainEntry(STOCK)), kernels: [STOCK], dirs: ['/etc', '/etc/yum.repos.d', '/etc/sysconfig'] });
    expect(file(makePlan(g, XEN, 'apply', 'h'), 'gpg-key').mkdirs).toEqual(['/etc/pki', '/etc/pki/rpm-gpg']);
  });
});

describe('after yum, and hosts that have Xen', () => {
  it('converts the new kernel and keeps the default on the running kernel until verified', () => {
    const f = hostFacts({ grubConf: anacondaConf(plainEntry(SIG) + plainEntry(STOCK), 'default=1'), kernels: [STOCK, SIG], xenInstalled: true });
    const p = makePlan(f, XEN, 'apply', 'h');
    const staged = file(p, 'grub').after!;
    expect(boots(staged)!.version).toBe(STOCK);
    expect(p.staging!.oneShotIndex).toBe(0);
    expect(parseGrubConf(staged).entries[0]!.kind).toBe('xen');
    expect(nextBootIndex(parseGrubConf(staged), 0x10000 | (0 << 8) | 1)).toBe(0);
    expect(boots(file(p, 'grub-commit').after!)!.kind).toBe('xen');
  });

  it('an entry the xen4centos helper made is updated, not duplicated', () => {
    const f = hostFacts({ grubConf: anacondaConf(xenEntry(SIG, 'dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all') + plainEntry(STOCK), 'default=1'), kernels: [STOCK, SIG], xenInstalled: true, helper: true });
    const p = makePlan(f, { dom0Mem: '2048M' }, 'apply', 'h');
    const conf = parseGrubConf(file(p, 'grub-commit').after!);
    expect(conf.entries.filter((e) => e.kind === 'xen')).toHaveLength(1);
    expect(conf.entries[0]!.kernel!.args).toContain('dom0_mem=2048M,max:2048M');
    expect(p.warnings.map((w) => w.code)).toContain('xen-helper');
  });

  it('a kernel update on a Dom0: apply moves to the newest dom0 kernel through the one-shot boot; the running Xen entry stays the way back', () => {
    const f = hostFacts({ grubConf: anacondaConf(plainEntry(SIG_NEW) + xenEntry(SIG, ARGS) + plainEntry(STOCK), 'default=1'), kernels: [STOCK, SIG, SIG_NEW], xenInstalled: true, xenCmdline: ARGS, running: SIG });
    const p = makePlan(f, XEN, 'apply', 'h');
    expect(p.desired.kernel).toBe(SIG_NEW);
    expect(p.needsReboot).toBe(true);
    const staged = parseGrubConf(file(p, 'grub').after!);
    expect(staged.entries[p.staging!.oneShotIndex]!.version).toBe(SIG_NEW);
    expect(boots(file(p, 'grub').after!)!.version).toBe(SIG);
    expect(boots(file(p, 'grub').after!)!.kind).toBe('xen');
    // --kernel pins the running one: nothing to do
    const pinned = makePlan(f, { ...XEN, kernel: SIG }, 'tune', 'h');
    expect(pinned.needsReboot).toBe(false);
  });

  it('default saved: the stage2 word decides what boots', () => {
    const f = hostFacts({ grubConf: anacondaConf(plainEntry(SIG) + plainEntry(STOCK), 'default=saved'), kernels: [STOCK, SIG], xenInstalled: true, stage2: 1 });
    const p = makePlan(f, XEN, 'apply', 'h');
    expect(p.boot.nextEntry!.version).toBe(STOCK);
    expect(p.refusals).toEqual([]);
  });

  it('a Dom0 that already runs what is asked: nothing to change, a check of the running host', () => {
    const conf = anacondaConf(xenEntry(SIG, ARGS) + plainEntry(STOCK));
    const f = hostFacts({ grubConf: conf, kernels: [STOCK, SIG], xenInstalled: true, xenCmdline: ARGS, running: SIG, repoWritten: true, files: { '/etc/sysconfig/kernel': 'UPDATEDEFAULT=no\nDEFAULTKERNEL=kernel\n', '/etc/sysconfig/xen-kernel': `BOOT_XEN_AS_DEFAULT="no"\nXEN_KERNEL_ARGS="${ARGS}"\n`, '/etc/xen/xl.conf': 'autoballoon="off"\n' } });
    const p = makePlan(f, XEN, 'apply', 'h');
    expect(p.changed).toBe(false);
    expect(ids(p).filter((s) => !s.endsWith(':skip'))).toEqual(['verify:run']);
  });

  it('tune: only the Xen options, staged around a one-shot boot', () => {
    const f = hostFacts({ grubConf: anacondaConf(xenEntry(SIG, ARGS) + plainEntry(STOCK)), kernels: [STOCK, SIG], xenInstalled: true, xenCmdline: ARGS, running: SIG, files: { '/etc/sysconfig/xen-kernel': `XEN_KERNEL_ARGS="${ARGS}"\n` } });
    const p = makePlan(f, { dom0Mem: '2048M' }, 'tune', 'h');
    expect(ids(p)).toEqual(['xen-kernel-sysconfig:update', 'grub:update', 'one-shot:run', 'reboot:run', 'verify:run', 'grub-commit:update']);
    // the entry it changes is the one it runs: a rescue copy of it is the way back until verified
    expect(p.staging!.rescueIndex).not.toBeNull();
  });

  it('--no-reboot writes the final file and stops before the reboot', () => {
    const f = hostFacts({ grubConf: anacondaConf(plainEntry(SIG) + plainEntry(STOCK), 'default=1'), kernels: [STOCK, SIG], xenInstalled: true, repoWritten: true });
    const p = makePlan(f, { ...XEN, noReboot: true }, 'apply', 'h');
    expect(ids(p).filter((s) => !s.endsWith(':skip'))).toEqual(['kernel-sysconfig:update', 'xen-kernel-sysconfig:create', 'xl-conf:create', 'grub:update']);
    expect(boots(file(p, 'grub').after!)!.kind).toBe('xen');
  });
});

describe('a grub.conf with a lint error of its own', () => {
  // "timeout" after a title belongs to that entry (GRUB Legacy: Error 27 when it is booted); the
  // error is in an entry dom0up leaves alone, so every file dom0up could write keeps it
  const broken = anacondaConf(plainEntry(STOCK, `CentOS 6 (${STOCK})`) + plainEntry('2.6.32-696.el6.x86_64') + '\ttimeout 5\n');
  const f = hostFacts({ grubConf: broken, kernels: [STOCK, '2.6.32-696.el6.x86_64'] });
  const fx = hostFacts({ grubConf: broken + xenEntry(SIG, ARGS), kernels: [STOCK, '2.6.32-696.el6.x86_64', SIG], xenInstalled: true });

  it('is refused, and --force does not write it when the file dom0up would write still has the error (apply before yum and with Xen installed): a preflight refusal, so nothing is written', () => {
    expect(parseGrubConf(broken).findings.filter((x) => x.severity === 'error').map((x) => x.code)).toEqual(['menu-command-in-entry']);
    const plain = makePlan(f, XEN, 'apply', 'h');
    expect(plain.refusals.map((r) => r.code)).toEqual(['grub-lint-errors']);
    for (const [facts, mode] of [[f, 'apply'], [fx, 'apply']] as const) {
      const p = makePlan(facts, { ...XEN, force: true }, mode, 'h');
      expect(p.refusals.map((r) => r.code), mode).toEqual(['grub-lint']);
      expect(p.refusals[0]!.message).toMatch(/belongs to entry \d+ .*--force does not help: the grub\.conf dom0up would write still has this error/);
    }
  });
});
