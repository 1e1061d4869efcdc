// Hostile hosts over real SSH: simulated CentOS hosts in the test bed's hostile mode
// (test/testbed/hostile.ts) answer dom0up's commands — any command, or one fact of the facts command —
// with huge numbers, megabytes, binary, escape sequences, truncated output, a hang, or a dropped
// connection. The same properties as the replayed suite (test/hostile/*.property.test.ts), here with the
// real transport, sudo, timeouts and the real CLI: exit 0/1/2, never 70; an error names the host and the
// phase; nothing from the host reaches the output unescaped; a run ends within its timeouts; the host's
// files are never changed after an answer dom0up could not read.
import { beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { readHostFile, type TestHost } from '../testbed/index.js';
import { makeHostile, setHostile, type HostileRule } from '../testbed/hostile.js';
import { dom0up } from './helpers.js';
import { expectBootsStock, FAST } from './faults-helpers.js';
import { terminalSafe } from '../hostile/check.js';
const SEED = Number(process.env.DOM0UP_HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`hostile SSH suite: seed ${SEED} (DOM0UP_HOSTILE_SEED=${SEED} reproduces it)`);

const FACTS = ['os_release', 'kernel', 'hypervisor', 'grub_config', 'boot', 'packages', 'resources', 'config_files', 'state', 'xl_list', 'xl_info', 'xl_vcpu_list', 'xl_dmesg'];
const FACTS_CMD = 'LC_ALL=C'; // dom0up's facts command (the gather script starts with it)

const ruleArb: fc.Arbitrary<HostileRule> = fc.oneof(
  fc.record({ match: fc.constant(FACTS_CMD), fact: fc.constantFrom(...FACTS), mode: fc.constant<'numbers'>('numbers'), number: fc.constantFrom('9999999999', '4294967295', '18446744073709551616', '-1') }),
  fc.record({ match: fc.constant(FACTS_CMD), fact: fc.constantFrom(...FACTS), mode: fc.constant<'binary'>('binary'), bytes: fc.integer({ min: 1, max: 600 }), seed: fc.nat() }),
  fc.record({ match: fc.constant(FACTS_CMD), fact: fc.constantFrom(...FACTS), mode: fc.constant<'escapes'>('escapes') }),
  fc.record({ match: fc.constant(FACTS_CMD), fact: fc.constantFrom(...FACTS), mode: fc.constant<'truncate'>('truncate'), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ match: fc.constant(FACTS_CMD), fact: fc.constantFrom(...FACTS), mode: fc.constant<'flood'>('flood'), bytes: fc.constantFrom(100_000, 2_000_000), fill: fc.constantFrom('A', '\n', 'key=value\n') }),
  fc.record({ match: fc.constant(FACTS_CMD), mode: fc.constantFrom<'flood' | 'truncate' | 'escapes'>('flood', 'truncate', 'escapes'), bytes: fc.constant(40_000_000), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ match: fc.constant(FACTS_CMD), mode: fc.constant<'replace'>('replace'), stdout: fc.constantFrom('', 'Usage: sh\n', '\u001b]0;pwned\u0007\n'), rc: fc.constantFrom(0, 1, 127) }),
);

const COMMANDS: { cmd: string; args: string[]; host: 0 | 1 }[] = [
  { cmd: 'facts', args: [], host: 0 },
  { cmd: 'facts', args: ['--json'], host: 1 },
  { cmd: 'plan', args: ['--dom0-mem', '1024M'], host: 0 },
  { cmd: 'plan', args: ['--keep-plain', '--json'], host: 1 },
  { cmd: 'verify', args: [], host: 1 },
  { cmd: 'verify', args: ['--pin', '--json'], host: 1 },
];

const FILES = ['/boot/grub/grub.conf', '/etc/sysconfig/xen-kernel', '/etc/xen/xl.conf', '/etc/yum.repos.d/CentOS-Base.repo', '/var/lib/dom0up/lock'];
async function files(h: TestHost) {
  return Promise.all(FILES.map((f) => readHostFile(h, f)));
}

function check(r: { exit: number; stderr: string; out: string }, json: boolean, ctx: string) {
  expect(r.stderr, `${ctx}: internal error`).not.toMatch(/internal error/);
  expect([0, 1, 2], `${ctx}: exit ${r.exit}\n${r.stderr}`).toContain(r.exit);
  const line = /^dom0up: error: (.*)$/m.exec(r.stderr)?.[1];
  if (line !== undefined) expect(line, `${ctx}: the error does not name the host and the phase`).toMatch(/^root@127\.0\.0\.\d+(:\d+)?: [a-z][a-z0-9 .()_-]*: \S/);
  expect(terminalSafe(r.stderr), `${ctx}: stderr`).toBeNull();
  if (json) {
    if (line === undefined) expect(() => JSON.parse(r.out), `${ctx}: not JSON`).not.toThrow();
  } else expect(terminalSafe(r.out), `${ctx}: stdout`).toBeNull();
}

describeTestbed('hostile hosts over real SSH', () => {
  const fleet = useFleet([{ name: 'evil-fresh' }, { name: 'evil-xen', xen: 'running' }], FAST);
  beforeAll(async () => {
    for (const h of fleet().hosts) await makeHostile(h);
  }, 120_000);

  it('answers normally without rules (the hostile mode itself is transparent)', async () => {
    const [a, b] = fleet().hosts as [TestHost, TestHost];
    for (const h of [a, b]) setHostile(h, null);
    expect((await dom0up(fleet(), a, 'plan', ['--dom0-mem', '1024M'])).exit).toBe(0);
    expect((await dom0up(fleet(), b, 'verify')).exit).toBe(0);
  });

  it('generated hostile answers to facts, plan and verify', async () => {
    const hosts = fleet().hosts as [TestHost, TestHost];
    const before = await Promise.all(hosts.map(files));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), fc.array(ruleArb, { minLength: 1, maxLength: 2 }), async (c, rules) => {
        const h = hosts[c.host];
        setHostile(h, rules);
        const t0 = Date.now();
        const r = await dom0up(fleet(), h, c.cmd, c.args);
        setHostile(h, null);
        const ctx = `${c.cmd} ${c.args.join(' ')} ${JSON.stringify(rules)}`;
        check(r, c.args.includes('--json'), ctx);
        expect(Date.now() - t0, `${ctx}: took too long`).toBeLessThan(75_000);
      }),
      { seed: SEED, numRuns: 30, endOnFailure: true },
    );
    // facts, plan and verify never change a host
    expect(await Promise.all(hosts.map(files))).toEqual(before);
  }, 600_000);

  it('a connection dropped in the middle of the facts command: a clear error, no change', async () => {
    const h = fleet().hosts[0]!;
    setHostile(h, [{ match: FACTS_CMD, mode: 'drop', at: 0.3 }]);
    const r = await dom0up(fleet(), h, 'facts');
    setHostile(h, null);
    check(r, false, 'drop');
    expect(r.stderr).toMatch(/facts: the connection was lost while reading the host/);
  }, 60_000);

  it('a host that never answers the facts command: the run ends at its timeout, naming the phase', async () => {
    const h = fleet().hosts[1]!;
    setHostile(h, [{ match: FACTS_CMD, mode: 'hang', seconds: 600 }]);
    const t0 = Date.now();
    const r = await dom0up(fleet(), h, 'verify');
    setHostile(h, null);
    check(r, false, 'hang');
    // verify reads the facts with up to 30 s of waiting for xl on the host: 60 + 30 s
    expect(r.stderr).toMatch(/verify: reading the host took longer than 90s/);
    expect(Date.now() - t0).toBeLessThan(90_000 + 20_000);
  }, 180_000);

  it('apply: an unreadable fact stops the run before anything changes (no lock, no file)', async () => {
    const h = fleet().hosts[0]!;
    const before = await files(h);
    setHostile(h, [{ match: FACTS_CMD, fact: 'kernel', mode: 'binary', bytes: 300, seed: 7 }]);
    const r = await dom0up(fleet(), h, 'apply', ['--yes', '--dom0-mem', '1024M']);
    setHostile(h, null);
    check(r, false, 'apply unreadable');
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/facts: cannot read the host's answer: kernel: /);
    expect(await files(h)).toEqual(before);
  }, 120_000);

  it('apply: yum output flooding past the bound stops at 16 MiB, releases the lock, writes no grub.conf', async () => {
    const h = fleet().hosts[0]!;
    setHostile(h, [{ match: 'yum -y', mode: 'flood', bytes: 64_000_000, fill: 'Installing : xen\n' }]);
    const r = await dom0up(fleet(), h, 'apply', ['--yes', '--dom0-mem', '1024M']);
    setHostile(h, null);
    check(r, false, 'apply yum flood');
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/yum: the command's output went past 16 MiB/);
    expect(await readHostFile(h, '/var/lib/dom0up/lock')).toBeNull();
    // the run's journal says where it stopped; dom0up wrote no grub.conf (the packages' own edit is the host's)
    const run = /--run (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(r.stderr)?.[1];
    expect(run, r.stderr).toBeDefined();
    const steps = ((await readHostFile(h, `/var/lib/dom0up/runs/${run}/steps`)) ?? '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: string; status: string });
    expect(steps.find((x) => x.status === 'failed' || x.step === 'end')).toBeDefined();
    expect(steps.some((x) => x.step === 'grub' && x.status === 'done')).toBe(false);
    // yum went on by itself on the host; the packages never move the default (UPDATEDEFAULT=no was
    // written before yum): the test bed's GRUB reader still boots the stock kernel
    await expectBootsStock(h);
  }, 300_000);
});
