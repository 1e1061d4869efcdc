// --force lets a grub.conf with lint errors through (the errors stay, the Xen entry is edited). The
// read-back after the write used to call any lint error of the written file an internal error (exit 70):
// errors the file already had are the host's, not a bug; only errors the rewrite added would be one.
// The host here is a replayed real one whose files live in a small in-memory store, so what dom0up
// writes is what it reads back.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { provisionHost, silentEvents } from '../../src/apply/provision.js';
import { bounded } from '../../src/transport/bounded.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { ReplayHost, type Mutator } from '../hostile/session.js';
import { session } from '../hostile/recordings.js';
import { classify } from '../hostile/mutate.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The host's grub.conf, /etc/sysconfig/xen-kernel and xl.conf in memory, written and read as dom0up does. */
function fileStore(grub: string): Mutator {
  const files = new Map<string, Buffer>([['/boot/grub/grub.conf', Buffer.from(grub)]]);
  return (ctx, answer) => {
    const c = classify(ctx.script);
    if (c === 'facts' && ctx.sections) {
      const g = ctx.sections.find((s) => s.name === 'grub_config');
      const cur = files.get('/boot/grub/grub.conf')!;
      if (g) g.stdout = Buffer.from(g.stdout.toString('latin1').replace(/^content=.*$/m, `content=${cur.toString('base64')}`).replace(/^stat=(\S+ \S+ \S+) \d+/m, `stat=$1 ${cur.length}`), 'latin1');
      const cf = ctx.sections.find((s) => s.name === 'config_files');
      if (cf) for (const [k, p] of [['xen_kernel', '/etc/sysconfig/xen-kernel'], ['xl_conf', '/etc/xen/xl.conf']] as const) {
        const m = new RegExp(`^${k}=(.*)$`, 'm').exec(cf.stdout.toString('latin1'));
        if (m && !files.has(p)) files.set(p, Buffer.from(m[1]!, 'base64'));
        if (files.has(p)) cf.stdout = Buffer.from(cf.stdout.toString('latin1').replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${files.get(p)!.toString('base64')}`), 'latin1');
      }
      return { result: answer, label: 'store' };
    }
    if (c === 'plan-check') {
      const paths = [...ctx.script.matchAll(/if \[ -e (\S+) \]/g)].map((m) => m[1]!);
      return { result: { ...answer, stdout: Buffer.from(paths.map((p) => (files.has(p) ? sha(files.get(p)!) : 'absent')).join('\n') + '\n') }, label: 'store' };
    }
    if (c === 'write') {
      const p = /^f=(\S+);/.exec(ctx.script)![1]!;
      files.set(p, Buffer.from(ctx.opts.stdin as Buffer));
      return { result: { ...answer, code: 0, stdout: Buffer.from('backup=\n') }, label: 'store' };
    }
    if (c === 'read-back') {
      const p = /if \[ -f (\S+) \]/.exec(ctx.script)![1]!;
      return { result: { ...answer, code: 0, stdout: Buffer.from((files.get(p) ?? Buffer.from('')).toString('base64') + '\n') }, label: 'store' };
    }
    return { result: answer, label: null };
  };
}

describe('a grub.conf with lint errors, edited with --force', () => {
  it('the read-back keeps the errors the file had: no internal error', async () => {
    const s = session('tune-xen');
    const g0 = Buffer.from(/content=(\S+)/.exec(Buffer.from(s.calls[0]!.gather!.sections.find((x) => x.name === 'grub_config')!.stdout, 'base64').toString('latin1'))![1]!, 'base64').toString('utf8');
    // a menu command inside an entry: GRUB stops that entry with Error 27 (a lint error)
    const grub = g0.replace('title CentOS 6 (2.6.32-754.el6.x86_64)\n', 'title CentOS 6 (2.6.32-754.el6.x86_64)\ntimeout 3\n');
    expect(parseGrubConf(grub).findings.filter((f) => f.severity === 'error')).not.toEqual([]);
    const host = new ReplayHost(s, fileStore(grub));
    const run = provisionHost({
      target: host.target, transport: bounded(host.connect()), reconnect: async () => bounded(host.connect()), req: { ...s.req, force: true }, mode: s.mode,
      confirm: async () => true, events: silentEvents, noReboot: true, xlReadyMs: 1000,
      runId: '20260505T000000Z-aaaaaa', controller: 't@c', command: 'dom0up tune (test)',
    });
    const r = await run.then((x) => x, (e: unknown) => e as Error);
    expect(r instanceof Error ? r.message : null).toBeNull();
    expect(r).toMatchObject({ outcome: 'reboot-pending' });
  });
});
