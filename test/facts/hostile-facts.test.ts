// A fact whose answer cannot be read (not the format its command prints, not plausible, too large) stops
// the run with a one-line error naming the host, the phase and the fact — before any plan is made, so
// nothing is changed on a host dom0up could not read. Each case changes one fact of a real host's answer.
import { describe, expect, it } from 'vitest';
import { readHostFacts } from '../../src/apply/provision.js';
import { ReplayHost, type Mutator } from '../hostile/session.js';
import { session } from '../hostile/recordings.js';

/** Replace one fact's output (by name) in the facts command's answer. */
function withFact(name: string, replace: (old: string) => string, rc?: number): Mutator {
  return (ctx, answer) => {
    const s = ctx.sections?.find((x) => x.name === name);
    if (!s) return { result: answer, label: null };
    s.stdout = Buffer.from(replace(s.stdout.toString('latin1')), 'latin1');
    if (rc !== undefined) s.rc = rc;
    return { result: answer, label: `${name} replaced` };
  };
}

async function facts(mutator: Mutator, name = 'tune-xen') {
  const host = new ReplayHost(session(name), mutator);
  return readHostFacts(host.connect(), 'facts');
}

const B64 = (n: number) => Buffer.alloc(n, 'title x\n').toString('base64');

const cases: [string, Mutator, RegExp][] = [
  ['grub.conf content that is not base64', withFact('grub_config', (o) => o.replace(/^content=.*$/m, 'content=%%%not base64%%%')), /grub_config.*base64/],
  ['grub.conf of 2 MiB', withFact('grub_config', (o) => o.replace(/^content=.*$/m, `content=${B64(2 << 20)}`)), /grub_config.*larger than 1 MiB/],
  ['a stat line that is not numbers', withFact('grub_config', (o) => o.replace(/^stat=.*$/m, 'stat=rw-r--r-- root root')), /grub_config.*stat/],
  ['a boot_id that is not a UUID', withFact('kernel', (o) => o.replace(/^boot_id=.*$/m, 'boot_id=\u001b[2J')), /kernel.*boot_id/],
  ['no release line', withFact('kernel', (o) => o.replace(/^release=.*\n/m, '')), /kernel.*release/],
  ['nr_cpus 9999999999 from xl info', withFact('xl_info', (o) => o.replace(/^nr_cpus .*$/m, 'nr_cpus                : 9999999999')), /xl_info.*nr_cpus.*not plausible/],
  ['xl info that is not xl info', withFact('xl_info', () => '\u0000\u0001binary\u00ff'), /xl_info/],
  ['xl list without its header', withFact('xl_list', () => 'Domain-0 0 1024 4 r----- 1.0\n'), /xl_list/],
  ['an rpm line that is neither a package nor "not installed"', withFact('packages', (o) => o + 'rm -rf /\n'), /packages/],
  ['99999999999 CPUs in /proc/cpuinfo', withFact('resources', (o) => o.replace(/^cpus=.*$/m, 'cpus=99999999999')), /resources.*cpus/],
  ['a repo file of 2 MiB', withFact('config_files', (o) => o.replace(/^data=.*$/m, `data=${B64(2 << 20)}`)), /config_files.*larger than 1 MiB/],
  ['a lock that is not base64', withFact('state', () => 'lock=@@@\nlock_age=5\n'), /state.*base64/],
  ['binary instead of /proc/meminfo and /proc/cpuinfo', withFact('resources', () => '\u00ff\u0001\u00e9garbage'), /resources.*unexpected line/],
  ['another command\'s output instead of /boot', withFact('boot', () => 'Usage: stat [OPTION]... FILE...\n'), /boot.*unexpected line/],
  ['a /boot answer without the device numbers', withFact('boot', (o) => o.replace(/^dev_(root|boot)=.*\n/gm, '')), /boot.*device numbers/],
  ['a grub.conf answer with a line of another command', withFact('grub_config', (o) => `Permission denied\n${o}`), /grub_config.*unexpected line/],
];

describe('facts a host cannot be read from are refused, naming host, phase and fact', () => {
  for (const [what, mutator, re] of cases) {
    it(what, async () => {
      const e = await facts(mutator).then(() => null, (x: unknown) => x as Error & { name: string; exitCode?: number });
      expect(e, 'the facts were accepted').not.toBeNull();
      expect(e!.name).toBe('RemoteError');
      expect(e!.message).toMatch(/^root@hostile\.example: facts: cannot read the host's answer: /);
      expect(e!.message).toMatch(re);
      expect(e!.exitCode ?? 1).toBe(1);
    });
  }

  it('the unchanged answers are read as before', async () => {
    const f = await facts((_c, a) => ({ result: a, label: null }));
    expect(f.kernel.release).toBe('4.9.241-37.el6.x86_64');
    expect(f.xl?.xlInfo.rc).toBe(0);
  });
});
