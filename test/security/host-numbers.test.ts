// A host cannot make the controller allocate (or loop) in proportion to a number it sends: `xl info`
// answering nr_cpus 9999999999 during `verify --pin` without a vcpu count used to build an array of
// that length (135 s of CPU, then out of memory). Each case runs in a child process with a 128 MiB heap
// and a time limit, so an unbounded allocation fails the test instead of the test runner.
import { describe, expect, it } from 'vitest';
import { runBounded } from '../helpers/bounded-run.js';
import { parseCpuSet, parseXlInfo, parseXlList, parseXlVcpuList, XlParseError } from '../../src/xen/index.js';

const info = (nrCpus: string, maxCpuId: string, total = '8191') =>
  `host                   : h\nrelease                : 4.9.241-37.el6.x86_64\nxen_major              : 4\nxen_minor              : 10\ntotal_memory           : ${total}\nfree_memory            : 100\nnr_cpus                : ${nrCpus}\nmax_cpu_id             : ${maxCpuId}\nxen_commandline        : dom0_mem=1024M,max:1024M dom0_vcpus_pin\n`;
const LIST = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\nDomain-0                                     0  1024     4     r-----      10.0\n';
const VCPUS = (rows: string[]) => `Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n${rows.join('\n')}\n`;

function verifyInChild(xlInfo: string, vcpuList: string) {
  return runBounded(`
    import { verifyHost } from '@/src/verify/verify-host.ts';
    const vf = {
      kernel: { release: '4.9.241-37.el6.x86_64', arch: 'x86_64', bootId: 'b', cmdline: '' },
      hypervisor: { capabilities: 'control_d', type: 'xen', dom0: true, firmware: 'bios' },
      xlInfo: { rc: 0, text: ${JSON.stringify(xlInfo)} },
      xlList: { rc: 0, text: ${JSON.stringify(LIST)} },
      xlVcpuList: { rc: 0, text: ${JSON.stringify(vcpuList)} },
      xlDmesg: { rc: 0, text: '' },
    };
    // dom0up verify HOST --pin (no vcpu count): the pinning is checked over every CPU the host reports
    const rep = verifyHost(vf, { kernel: null, hypervisorArgs: 'dom0_vcpus_pin', requested: ['dom0_vcpus_pin'] });
    console.log(JSON.stringify(rep.checks.map((c) => [c.id, c.ok, c.actual.slice(0, 200), (c.expected ?? '').length])));
  `, { heapMiB: 128, timeoutMs: 60_000 });
}

describe('numbers from a host are bounded', () => {
  for (const n of ['9999999999', '4294967295', '50000000']) {
    it(`verify --pin against xl info nr_cpus ${n}: a failed check, in bounded time and memory`, () => {
      const r = verifyInChild(info(n, String(BigInt(n) - 1n)), VCPUS(['Domain-0 0 0 0 r-- 1.0 0 / all']));
      expect(r.timedOut, `took ${r.ms} ms`).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const checks = JSON.parse(r.stdout) as [string, boolean, string, number][];
      // the host is not believed: the checks that need its size fail, naming why
      expect(checks.find((c) => c[0] === 'dom0-vcpus')?.[1]).toBe(false);
      expect(checks.some((c) => /nr_cpus|not plausible|unreadable/.test(c[2]))).toBe(true);
      for (const c of checks) expect(c[3]).toBeLessThan(100_000);
    });
  }

  it('xl vcpu-list affinity "all" with a huge max_cpu_id, and a huge CPU range: bounded', () => {
    const r = runBounded(`
      import { parseCpuSet } from '@/src/xen/parse-cpu-set.ts';
      for (const [s, max] of [['all', 4294967294], ['0-4294967294', 4294967294], ['0-99999999', 99999999]]) {
        try { parseCpuSet(s, max); console.log('parsed'); } catch (e) { console.log(e.name); }
      }
    `, { heapMiB: 128, timeoutMs: 60_000 });
    expect(r.timedOut, `took ${r.ms} ms`).toBe(false);
    expect(r.stdout.trim().split('\n')).toEqual(['XlParseError', 'XlParseError', 'XlParseError']);
  });

  it('the parsers refuse numbers no Xen 4.10 host reports', () => {
    expect(() => parseXlInfo(info('4097', '4096'))).toThrow(XlParseError);
    expect(() => parseXlInfo(info('4', '99999'))).toThrow(/max_cpu_id/);
    expect(() => parseXlInfo(info('4', '3', String(2 ** 40)))).toThrow(/total_memory/);
    expect(() => parseXlInfo(info('4', '3', '99999999999999999999999'))).toThrow(/total_memory/);
    expect(parseXlInfo(info('4096', '4095')).nrCpus).toBe(4096);
    expect(() => parseXlList(LIST.replace('1024     4', '1024 99999999999'))).toThrow(XlParseError);
    expect(() => parseXlVcpuList(VCPUS(['Domain-0 0 99999999999 0 r-- 1.0 0 / all']))).toThrow(XlParseError);
    expect(() => parseXlVcpuList(VCPUS(['Domain-0 0 0 99999999999 r-- 1.0 0 / all']))).toThrow(XlParseError);
    expect(() => parseCpuSet('0-5000', 5000)).toThrow(XlParseError);
    expect(parseCpuSet('all', 4095)).toHaveLength(4096);
  });
});
