// Reviewed plans over real SSH: a plan saved in one place (here: from saved facts, as a CI job
// without SSH would), reviewed as markdown, applied exactly as reviewed; refused on a host that
// changed in between, naming what changed.
import { expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, readHostFile, writeHostFile } from '../testbed/index.js';
import { serveXenRepoMetadata } from '../testbed/repo-server.js';
import { runCli } from '../helpers/run-cli.js';
import { dom0up, logDir, sshArgs, target, XEN_ARGS } from './helpers.js';

describeTestbed('reviewed plans', () => {
  const fleet = useFleet([{ name: 'rv-a' }, { name: 'rv-b' }]);
  const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-review-'));

  it('facts saved, planned offline with the repository metadata, reviewed as markdown, applied exactly; a changed host is refused', async () => {
    const [a, b] = fleet().hosts as [NonNullable<ReturnType<typeof fleet>['hosts'][0]>, NonNullable<ReturnType<typeof fleet>['hosts'][0]>];
    const mirror = await serveXenRepoMetadata();
    try {
      // 1. facts of both hosts (the only step that needs SSH before the review)
      const factsDir = path.join(dir, 'facts');
      for (const h of [a, b]) {
        const r = await dom0up(fleet(), h, 'facts', ['--save', factsDir]);
        expect(r.exit, r.stderr).toBe(0);
      }
      expect(readdirSync(factsDir).sort()).toEqual([`${a.host}.facts.json`, `${b.host}.facts.json`].sort());
      // 2. the plan from the saved facts, no SSH (a host that does not exist would fail to connect)
      const planFile = path.join(dir, 'plan.json');
      const p = await runCli(['plan', '--facts', factsDir, ...XEN_ARGS, '--mirror', mirror.url, '--out', planFile, '--format', 'markdown'], { DOM0UP_LOG_DIR: logDir, DOM0UP_REPO_METADATA: 'on' });
      expect(p.exit, p.stderr).toBe(0);
      const md = p.stdout.toString();
      expect(md).toMatch(/^### dom0up plan/m);
      expect(md).toContain('| host | Xen | changes |');
      expect(md).toContain('<details><summary>');
      expect(md).toContain('+title CentOS (4.9.241-37.el6.x86_64)');
      expect(md).toMatch(/an armored key; --full-diff shows it/);
      const plan = JSON.parse(readFileSync(planFile, 'utf8'));
      expect(plan).toMatchObject({ format: 'dom0up-plan', version: 1, mode: 'apply', source: 'saved-facts' });
      expect(plan.hosts).toHaveLength(2);
      expect(mirror.requests.some((u) => u.endsWith('repomd.xml'))).toBe(true);
      const show = await runCli(['show', planFile, '--format', 'markdown']);
      expect(show.stdout.toString()).toBe(md);

      // 3. host b changes between review and apply
      await writeHostFile(b, '/etc/sysconfig/kernel', 'UPDATEDEFAULT=yes\nDEFAULTKERNEL=kernel\n# edited after the review\n');
      const grubA = await readHostFile(a, '/boot/grub/grub.conf');
      const ap = await runCli(['apply', planFile, '--identity', a.privateKeyPath, '--known-hosts', fleet().knownHostsPath, '-p', String(a.port), '--ssh-config', '/dev/null', '--yes', '--json', '--max-fail', '1'], { DOM0UP_LOG_DIR: logDir });
      const j = JSON.parse(ap.stdout.toString());
      const byName = Object.fromEntries(j.hosts.map((h: { name: string }) => [h.name, h]));
      expect(byName[a.host].outcome).toBe('verified');
      expect(byName[b.host].outcome).toBe('refused');
      expect(byName[b.host].message).toMatch(/changed since the plan was reviewed.*\/etc\/sysconfig\/kernel changed/);
      expect(ap.exit).toBe(1);
      // a: exactly the reviewed bytes (the reviewed commit step's content) and a journal naming the plan
      const reviewed = plan.hosts.find((h: { name: string }) => h.name === a.host);
      const commit = reviewed.plan.steps.find((s: { id: string }) => s.id === 'grub-commit');
      expect(await readHostFile(a, '/boot/grub/grub.conf')).toBe(commit.predicted.after);
      expect(await readHostFile(a, '/boot/grub/grub.conf')).not.toBe(grubA);
      const runs = JSON.parse((await dom0up(fleet(), a, 'rollback', ['--list', '--json'])).out).runs;
      const meta = JSON.parse((await readHostFile(a, `/var/lib/dom0up/runs/${runs.at(-1).run}/meta.json`))!);
      expect(meta.savedPlan).toBe(planFile);
      expect((await bootLog(a)).at(-1)!.hypervisor).toBe('xen');
      // b: untouched (no journal, no reboot)
      expect(await readHostFile(b, '/etc/yum.repos.d/xen4centos-410.repo')).toBeNull();
      expect((await bootLog(b)).filter((x) => x.result === 'up')).toHaveLength(1);
    } finally {
      await mirror.close();
    }
  });

  it('a plan made by another dom0up version is refused before any host is touched', async () => {
    const h = fleet().hosts[0]!;
    const planFile = path.join(dir, 'old.json');
    const r = await dom0up(fleet(), h, 'plan', [...XEN_ARGS, '--out', planFile]);
    expect(r.exit, r.stderr).toBe(0);
    const p = JSON.parse(readFileSync(planFile, 'utf8'));
    writeFileSync(planFile, JSON.stringify({ ...p, dom0up: '0.1.0' }));
    const ap = await runCli(['apply', planFile, ...sshArgs(fleet(), h), '--yes'], { DOM0UP_LOG_DIR: logDir });
    expect(ap.exit).toBe(1);
    expect(ap.stderr).toMatch(/was made by dom0up 0\.1\.0; this is dom0up 0\.2\.\d+/);
    void target;
  });
});
