// `xl` on simulated Xen 4.10 Dom0s: exact output formats, values computed from the booted Xen command
// line (dom0_mem, dom0_max_vcpus, dom0_vcpus_pin) and the host's memory/CPUs, and the error texts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootLog, startHosts, type Fleet, type TestHost } from './index.js';
import { connect, exec, rebootVia, reconnect, type ExecResult } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

const HEADER = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n';
const VCPU_HEADER = 'Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n';

/** the test bed's machine model (docs/testbed.md): memory Xen reports and keeps for itself */
function machine(memMiB: number) {
  const total = memMiB - 1 - Math.floor(memMiB / 128);
  const avail = total - (16 + Math.floor(total / 256));
  return { total, avail, defaultDom0: avail - Math.min(Math.floor(avail / 16), 128) };
}

describeTestbed('xl on a Xen 4.10 Dom0', () => {
  let fleet: Fleet;
  let pinned: TestHost, ranged: TestHost, negative: TestHost, nonxen: TestHost;
  const xl = async (h: TestHost, cmd: string): Promise<ExecResult> => {
    const c = await connect(h);
    try {
      return await exec(c, cmd);
    } finally {
      c.end();
    }
  };
  /** set the Xen entry's hypervisor arguments (through the /etc/grub.conf symlink) and reboot */
  async function bootWith(h: TestHost, args: string | null) {
    const c = await connect(h);
    const cmd =
      args === null
        ? "sed -i --follow-symlinks 's/^default=0/default=1/' /etc/grub.conf"
        : `sed -i --follow-symlinks 's|^\\(\\s*kernel /xen.gz\\).*|\\1 ${args}|' /etc/grub.conf`;
    const r = await exec(c, cmd);
    expect(r.code).toBe(0);
    await rebootVia(c, 'reboot');
    (await reconnect(h)).end();
  }
  beforeAll(async () => {
    fleet = await startHosts(
      [
        { name: 'xl-pinned', memMiB: 4096, cpus: 4 },
        { name: 'xl-ranged', memMiB: 8192, cpus: 8, maxCpuId: 15 },
        { name: 'xl-negative', memMiB: 16384, cpus: 2, cpuFlags: 'none' },
        { name: 'xl-nonxen' },
      ],
      { xen: 'running', downtimeMs: 100, rebootDelayMs: 100, xencommonsDelayMs: 0 },
    );
    [pinned, ranged, negative, nonxen] = fleet.hosts as TestHost[] as [TestHost, TestHost, TestHost, TestHost];
    await Promise.all([
      bootWith(pinned, 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin cpufrep=xen console=com1,tty'),
      bootWith(ranged, 'dom0_max_vcpus=2-4 loglvl=verbose'),
      bootWith(negative, 'dom0_mem=-1G,max:12G dom0_vcpus_pin=2'),
      bootWith(nonxen, null),
    ]);
  });
  afterAll(async () => fleet?.stop());

  it('xl list: the exact header (with TABs) and the Domain-0 row', async () => {
    const r = await xl(pinned, 'xl list');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(HEADER)).toBe(true);
    const row = r.stdout.split('\n')[1]!;
    expect(row).toMatch(/^Domain-0 {32} {5}0  1024     2     r----- {2}[ \d]{6}\.\d$/);
    expect(row.slice(0, 71)).toBe('Domain-0                                     0  1024     2     r-----  ');
    expect((await xl(pinned, 'xl list Domain-0')).stdout.split('\n')[1]).toMatch(/^Domain-0 /);
    const bad = await xl(pinned, 'xl list nosuch');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('nosuch is an invalid domain identifier (rc=-6)\n');
  });

  it('xl info: key order and format, values from the machine and the command line', async () => {
    const r = await xl(pinned, 'xl info');
    const lines = r.stdout.trimEnd().split('\n');
    const keys = lines.map((l) => l.slice(0, 23).trimEnd());
    expect(keys.slice(0, 6)).toEqual(['host', 'release', 'version', 'machine', 'nr_cpus', 'max_cpu_id']);
    expect(keys.indexOf('xen_major')).toBeLessThan(keys.indexOf('xen_commandline'));
    expect(keys[keys.length - 1]).toBe('xend_config_format');
    const m = machine(4096);
    const get = (k: string) => lines.find((l) => l.startsWith(k.padEnd(23) + ': '))?.slice(25);
    expect(get('host')).toBe('xl-pinned');
    expect(get('release')).toBe('4.9.241-37.el6.x86_64');
    expect(get('nr_cpus')).toBe('4');
    expect(get('max_cpu_id')).toBe('3');
    expect(get('total_memory')).toBe(String(m.total));
    expect(get('free_memory')).toBe(String(m.avail - 1024));
    expect(get('xen_major')).toBe('4');
    expect(get('xen_minor')).toBe('10');
    expect(get('xen_version')).toBe('4.10.4.134.g6ea37c69c7-2.el6');
    expect(get('xen_commandline')).toBe('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin cpufrep=xen console=com1,tty');
    expect(lines).toContain('virt_caps              : hvm hvm_directio');
    expect((await xl(negative, 'xl info')).stdout).toContain('\nvirt_caps              :\n');
  });

  it('xl info KEY: prefix match, value only', async () => {
    expect((await xl(pinned, 'xl info xen_commandline')).stdout).toBe('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin cpufrep=xen console=com1,tty\n');
    const several = (await xl(pinned, 'xl info xen_m')).stdout;
    expect(several).toBe('4\n10\n');
  });

  it('xl vcpu-list: pinned vCPUs (hard = one CPU, soft all)', async () => {
    const r = await xl(pinned, 'xl vcpu-list 0');
    expect(r.stdout.startsWith(VCPU_HEADER)).toBe(true);
    const rows = r.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^Domain-0 {29}0 {5}0 {4}0   r-- +\d+\.\d  0 \/ all$/);
    expect(rows[1]).toMatch(/^Domain-0 {29}0 {5}1 {4}1   -b- +\d+\.\d  1 \/ all$/);
  });

  it('without dom0_mem: all memory minus min(1/16, 128 MiB); dom0_max_vcpus=2-4 on 8 CPUs gives 4; unpinned affinity over max_cpu_id 15', async () => {
    const m = machine(8192);
    const list = (await xl(ranged, 'xl list')).stdout.split('\n')[1]!.split(/\s+/);
    expect(list.slice(0, 4)).toEqual(['Domain-0', '0', String(m.defaultDom0), '4']);
    const rows = (await xl(ranged, 'xl vcpu-list Domain-0')).stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.endsWith('  0-7 / 0-7')).toBe(true);
    expect((await xl(ranged, 'xl info max_cpu_id')).stdout).toBe('15\n');
  });

  it('negative dom0_mem, and an unpinned host where hard and soft affinity are "all"', async () => {
    const m = machine(16384);
    const row = (await xl(negative, 'xl list')).stdout.split('\n')[1]!.split(/\s+/);
    // all but 1 GiB, capped by max:12G
    expect(m.avail - 1024).toBeGreaterThan(12 * 1024);
    expect(row[2]).toBe('12288');
    expect(row[3]).toBe('2');
    const rows = (await xl(negative, 'xl vcpu-list')).stdout.trimEnd().split('\n').slice(1);
    for (const r of rows) expect(r.endsWith('  all / all')).toBe(true); // dom0_vcpus_pin=2 is invalid: not pinned
  });

  it('xl dmesg: the command line and the unknown / invalid options', async () => {
    const a = (await xl(pinned, 'xl dmesg')).stdout;
    expect(a).toContain('(XEN) Command line: dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin cpufrep=xen console=com1,tty\n');
    expect(a).toContain('(XEN) parameter "cpufrep" unknown!\n');
    expect(a).toContain("(XEN) Bad console= option 'tty'\n");
    expect((await xl(ranged, 'xl dmesg')).stdout).toContain('(XEN) parameter "loglvl" has invalid value "verbose", rc=-22!\n');
    expect((await xl(negative, 'xl dmesg')).stdout).toContain('(XEN) parameter "dom0_vcpus_pin" has invalid value "2", rc=-22!\n');
  });

  it('dom0 sees its own memory and vCPUs; /proc/xen and /sys/hypervisor exist under Xen', async () => {
    const r = await xl(pinned, "awk '/MemTotal/{print $2}' /proc/meminfo; grep -c ^processor /proc/cpuinfo; grep -cw vmx /proc/cpuinfo; cat /proc/xen/capabilities /sys/hypervisor/type");
    const [mem, cpus, vmx, caps, hv] = r.stdout.trim().split('\n');
    expect(Number(mem)).toBeLessThan(1024 * 1024);
    expect(Number(mem)).toBeGreaterThan(900 * 1024);
    expect(cpus).toBe('2');
    expect(vmx).toBe('0');
    expect(caps).toBe('control_d');
    expect(hv).toBe('xen');
    const boots = await bootLog(pinned);
    expect(boots[boots.length - 1]).toMatchObject({ hypervisor: 'xen', dom0MemMiB: 1024, dom0Vcpus: 2 });
  });

  it('booted without Xen, xl fails with the real three lines and exit 1; as non-root, with permission denied', async () => {
    const r = await xl(nonxen, 'uname -r; xl list');
    expect(r.stdout).toBe('2.6.32-754.el6.x86_64\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n' +
        'libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n' +
        'cannot init xl context\n',
    );
    const c = await connect(pinned, { user: 'admin' });
    const u = await exec(c, '/usr/sbin/xl list');
    c.end();
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('Permission denied');
  });

  it('xl mem-set / vcpu-set change Domain-0 within its limits', async () => {
    const c = await connect(pinned);
    expect((await exec(c, 'xl mem-set 0 768m && xl vcpu-set 0 1 && xl list')).stdout.split('\n')[1]!.split(/\s+/).slice(2, 4)).toEqual(['768', '1']);
    const over = await exec(c, 'xl mem-set 0 2g');
    expect(over.code).toBe(1);
    c.end();
  });
});
