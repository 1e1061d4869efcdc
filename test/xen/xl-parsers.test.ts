import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPinning,
  classifyXlFailure,
  findXenCmdlineProblems,
  formatCpuSet,
  parseCpuSet,
  parseXlInfo,
  parseXlList,
  parseXlVcpuList,
  XlParseError,
  type XlVcpu,
} from '../../src/xen/index.js';

// Exact 4.10 formats (facts §3), reproduced with the printf formats of tools/xl.
const c = (fmt: string, ...args: (string | number)[]) => {
  let i = 0;
  return fmt.replace(/%(-?)(\d*)(?:\.(\d+))?l?([sdluf])/g, (_m, left: string, width: string, prec: string | undefined, conv: string) => {
    const a = args[i++] ?? '';
    let s = conv === 'f' ? Number(a).toFixed(Number(prec ?? 6)) : String(a);
    const w = Number(width || 0);
    if (s.length < w) s = left ? s.padEnd(w) : s.padStart(w);
    return s;
  });
};
const listHeader = 'Name                                        ID   Mem VCPUs\tState\tTime(s)';
const listRow = (name: string, id: number, mem: number, vcpus: number, state: string, t: number) =>
  c('%-40s %5d %5lu %5d     ', name, id, mem, vcpus) + state + c('  %8.1f', t);

describe('parseXlList', () => {
  it('parses the facts example (TABs in the header)', () => {
    const text = `${listHeader}\nDomain-0                                     0  1024     2     r-----      41.3\n`;
    expect(parseXlList(text)).toEqual([{ name: 'Domain-0', id: 0, memMiB: 1024, vcpus: 2, state: 'r-----', timeS: 41.3 }]);
  });

  it('matches the printf format the rows are generated with', () => {
    expect(listRow('Domain-0', 0, 1024, 2, 'r-----', 41.3)).toBe('Domain-0                                     0  1024     2     r-----      41.3');
  });

  it('parses the real-boot sample and the public 15428 MB example', () => {
    const real = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\nDomain-0                                     0  1024     2     r-----       5.6\n';
    expect(parseXlList(real)[0]).toMatchObject({ name: 'Domain-0', memMiB: 1024, vcpus: 2, timeS: 5.6 });
    const pub = `${listHeader}\n${listRow('Domain-0', 0, 15428, 16, 'r-----', 1234.5)}`;
    expect(parseXlList(pub)[0]).toMatchObject({ memMiB: 15428, vcpus: 16 });
  });

  it('parses several domains, names longer than 40 characters, and all state letters', () => {
    const long = 'a-guest-with-a-really-long-name-of-more-than-forty-chars';
    const text = [
      listHeader,
      listRow('Domain-0', 0, 2048, 4, 'r-----', 100.2),
      listRow(long, 12, 512, 1, '-b----', 3.0),
      listRow('dying', 13, 0, 1, '---sSd', 0.1),
      listRow('paused', 14, 256, 2, '--p---', 0),
    ].join('\n');
    const doms = parseXlList(text);
    expect(doms.map((d) => d.name)).toEqual(['Domain-0', long, 'dying', 'paused']);
    expect(doms[1]).toEqual({ name: long, id: 12, memMiB: 512, vcpus: 1, state: '-b----', timeS: 3 });
    expect(doms[2]?.state).toBe('---sSd');
  });

  it('parses the fakehost shim layout (no TABs) and skips text before the header', () => {
    const pad = (s: string, w: number, left = false) => (left ? s.padEnd(w) : s.padStart(w));
    const shim = [
      'some warning',
      pad('Name', 40, true) + pad('ID', 5) + pad('Mem', 6) + pad('VCPUs', 6) + pad('State', 9) + pad('Time(s)', 12),
      pad('Domain-0', 40, true) + pad('0', 5) + pad('1024', 6) + pad('2', 6) + pad('r-----', 9) + pad('12.3', 12),
    ].join('\n');
    expect(parseXlList(shim)).toEqual([{ name: 'Domain-0', id: 0, memMiB: 1024, vcpus: 2, state: 'r-----', timeS: 12.3 }]);
  });

  it('tolerates CRLF and trailing blank lines', () => {
    expect(parseXlList(`${listHeader}\r\n${listRow('Domain-0', 0, 1024, 2, 'r-----', 1)}\r\n\r\n`)).toHaveLength(1);
  });

  it('throws XlParseError without a header or on a broken row', () => {
    expect(() => parseXlList('Domain-0 0 1024 2 r----- 41.3')).toThrow(XlParseError);
    expect(() => parseXlList('')).toThrow(XlParseError);
    expect(() => parseXlList(`${listHeader}\nDomain-0 zero 1024 2 r----- 41.3`)).toThrow(/line 2/);
    expect(() => parseXlList(`${listHeader}\nDomain-0 0 1024 2 running 41.3`)).toThrow(XlParseError);
  });

  it('throws only XlParseError on arbitrary text (fuzz)', () => {
    const text = fc.oneof(
      fc.string(),
      fc.array(fc.oneof(fc.string(), fc.constant(listHeader), fc.constant('Domain-0 0 1024 2 r----- 1.0')), { maxLength: 6 }).map((l) => l.join('\n')),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          for (const d of parseXlList(t)) expect(Number.isFinite(d.timeS)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(XlParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

const REAL_INFO = `host                   : (none)
release                : 6.1.0-56-amd64
version                : #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)
machine                : x86_64
nr_cpus                : 2
max_cpu_id             : 1
nr_nodes               : 1
cores_per_socket       : 2
threads_per_core       : 1
cpu_mhz                : 2596.148
hw_caps                : 178bf3fd:80002001:20100800:00000007:00000000:00000000:00000000:00000000
virt_caps              : pv hvm gnttab-v1 gnttab-v2
total_memory           : 2047
free_memory            : 1000
sharing_freed_memory   : 0
sharing_used_memory    : 0
outstanding_claims     : 0
free_cpus              : 0
xen_major              : 4
xen_minor              : 17
xen_extra              : .7
xen_version            : 4.17.7
xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 
xen_scheduler          : credit2
xen_pagesize           : 4096
platform_params        : virt_start=0xffff800000000000
xen_changeset          : 
xen_commandline        : dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin console=com1 com1=115200,8n1
cc_compiler            : x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0
cc_compile_by          : pkg-xen-devel
cc_compile_domain      : lists.alioth.debian.org
cc_compile_date        : Wed Nov  4 16:52:28 UTC 2026
build_id               : 151b373fd64b321593bf987fd923cd10dabadac4
xend_config_format     : 4
`;

describe('parseXlInfo', () => {
  it('parses the real-boot sample', () => {
    const info = parseXlInfo(REAL_INFO);
    expect(info).toMatchObject({
      release: '6.1.0-56-amd64',
      xenMajor: 4,
      xenMinor: 17,
      xenVersion: '4.17.7',
      xenCommandline: 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin console=com1 com1=115200,8n1',
      totalMemoryMiB: 2047,
      freeMemoryMiB: 1000,
      nrCpus: 2,
      maxCpuId: 1,
    });
    expect(info.fields['xen_changeset']).toBe('');
    expect(info.fields['hw_caps']).toBe('178bf3fd:80002001:20100800:00000007:00000000:00000000:00000000:00000000');
    expect(info.fields['cc_compile_date']).toBe('Wed Nov  4 16:52:28 UTC 2026');
    expect(info.fields['xen_caps']).toBe('xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64');
    expect(Object.keys(info.fields)).toHaveLength(34);
  });

  it('handles 4.10 virt_caps with no blank after the colon, empty or not', () => {
    const pad = (k: string) => k.padEnd(23);
    expect(parseXlInfo(`${pad('virt_caps')}:\n`).fields['virt_caps']).toBe('');
    expect(parseXlInfo(`${pad('virt_caps')}: hvm hvm_directio\n`).fields['virt_caps']).toBe('hvm hvm_directio');
  });

  it('reads the 4.4 transcript values (CentOS 6.7)', () => {
    const pad = (k: string, v: string) => `${k.padEnd(23)}: ${v}`;
    const text = [
      pad('release', '3.18.25-19.el6.x86_64'),
      pad('nr_cpus', '4'),
      pad('max_cpu_id', '63'),
      pad('total_memory', '1663'),
      pad('xen_major', '4'),
      pad('xen_minor', '4'),
      pad('xen_extra', '.3-12.el6'),
      pad('xen_version', '4.4.3-12.el6'),
      pad('xen_commandline', 'dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all'),
    ].join('\n');
    expect(parseXlInfo(text)).toMatchObject({
      xenMajor: 4,
      xenMinor: 4,
      xenVersion: '4.4.3-12.el6',
      nrCpus: 4,
      maxCpuId: 63,
      totalMemoryMiB: 1663,
      freeMemoryMiB: null,
      xenCommandline: 'dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all',
    });
  });

  it('parses the fakehost shim output (only three keys)', () => {
    const info = parseXlInfo('host                   : c6\nrelease                : 4.9.241-37.el6.x86_64\nxen_version            : 4.6.6-12.el6\n');
    expect(info).toMatchObject({ release: '4.9.241-37.el6.x86_64', xenVersion: '4.6.6-12.el6', xenMajor: null, xenCommandline: null });
  });

  it('throws XlParseError on text with no key lines, or a non-numeric number', () => {
    expect(() => parseXlInfo('cannot init xl context\n')).toThrow(XlParseError);
    expect(() => parseXlInfo('nr_cpus : four')).toThrow(/nr_cpus/);
  });

  it('treats __proto__ as an ordinary key', () => {
    const info = parseXlInfo('__proto__ : x\nnr_cpus : 2');
    expect(info.fields['__proto__']).toBe('x');
    expect(info.nrCpus).toBe(2);
  });

  it('throws only XlParseError on arbitrary text (fuzz)', () => {
    const keys = fc.constantFrom('nr_cpus', 'xen_major', 'release', 'virt_caps', 'max_cpu_id', 'constructor', '__proto__', 'toString');
    const text = fc.oneof(
      fc.string(),
      fc.array(fc.tuple(keys, fc.constantFrom(' : ', ':', '   :  '), fc.string()), { maxLength: 5 }).map((ls) => ls.map(([k, s, v]) => k + s + v).join('\n')),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseXlInfo(t);
        } catch (e) {
          expect(e).toBeInstanceOf(XlParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

const vcpuHeader = c('%-32s %5s %5s %5s %5s %9s %s', 'Name', 'ID', 'VCPU', 'CPU', 'State', 'Time(s)', 'Affinity (Hard / Soft)');
const vcpuRow = (name: string, id: number, v: number, cpu: number | null, r: boolean, b: boolean, t: number, hard: string, soft: string) =>
  cpu === null
    ? c('%-32s %5u %5u', name, id, v) + c('%5s %3s%sp ', '-', '-', '-') + c('%9.1f  ', t) + `${hard} / ${soft}`
    : c('%-32s %5u %5u', name, id, v) + c('%5u %3s%s- ', cpu, r ? 'r' : '-', b ? 'b' : '-') + c('%9.1f  ', t) + `${hard} / ${soft}`;

describe('parseXlVcpuList', () => {
  it('parses the facts example (pinned, dom0_max_vcpus=2)', () => {
    const text = `${vcpuHeader}\n${vcpuRow('Domain-0', 0, 0, 0, true, false, 25.1, '0', 'all')}\n${vcpuRow('Domain-0', 0, 1, 1, false, true, 18.9, '1', 'all')}\n`;
    expect(text.split('\n')[0]).toBe('Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)');
    expect(text.split('\n')[1]).toBe('Domain-0                             0     0    0   r--      25.1  0 / all');
    expect(parseXlVcpuList(text)).toEqual([
      { name: 'Domain-0', domid: 0, vcpu: 0, cpu: 0, state: 'r--', timeS: 25.1, hard: '0', soft: 'all' },
      { name: 'Domain-0', domid: 0, vcpu: 1, cpu: 1, state: '-b-', timeS: 18.9, hard: '1', soft: 'all' },
    ]);
  });

  it('parses the real-boot sample, including the --- state', () => {
    const real = `Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)
Domain-0                             0     0    0   ---       3.7  0 / all
Domain-0                             0     1    1   r--       2.2  1 / all
`;
    const rows = parseXlVcpuList(real);
    expect(rows.map((r) => [r.vcpu, r.cpu, r.state, r.hard, r.soft])).toEqual([
      [0, 0, '---', '0', 'all'],
      [1, 1, 'r--', '1', 'all'],
    ]);
  });

  it('parses offline rows (CPU -, state --p), ranges and 4.4-style single affinity', () => {
    const text = [
      vcpuHeader,
      vcpuRow('Domain-0', 0, 0, 2, true, false, 1, '0-3', '0-3'),
      vcpuRow('Domain-0', 0, 1, null, false, false, 0, '0-3,8', 'all'),
      'guest                                3     0    5   -b-       1.0  any cpu',
    ].join('\n');
    const oldHeader = 'Name                                ID  VCPU   CPU State   Time(s) CPU Affinity';
    expect(() => parseXlVcpuList(text)).toThrow(XlParseError); // "any cpu" is not an affinity
    const rows = parseXlVcpuList(text.split('\n').slice(0, 3).join('\n'));
    expect(rows[1]).toEqual({ name: 'Domain-0', domid: 0, vcpu: 1, cpu: null, state: '--p', timeS: 0, hard: '0-3,8', soft: 'all' });
    expect(parseXlVcpuList(`${oldHeader.replace('CPU Affinity', 'Affinity')}\nDomain-0  0  0  0  r--  1.0  any`)).toEqual([
      { name: 'Domain-0', domid: 0, vcpu: 0, cpu: 0, state: 'r--', timeS: 1, hard: 'any', soft: null },
    ]);
  });

  it('throws XlParseError without the header', () => {
    expect(() => parseXlVcpuList('Domain-0 0 0 0 r-- 1.0 0 / all')).toThrow(XlParseError);
  });

  it('throws only XlParseError on arbitrary text (fuzz)', () => {
    const text = fc.oneof(
      fc.string(),
      fc.array(fc.oneof(fc.string(), fc.constant(vcpuHeader), fc.constant('Domain-0 0 0 - --p 0.0 0 / all')), { maxLength: 6 }).map((l) => l.join('\n')),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseXlVcpuList(t);
        } catch (e) {
          expect(e).toBeInstanceOf(XlParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseCpuSet / formatCpuSet', () => {
  it('reads all / none / ranges', () => {
    expect(parseCpuSet('all', 3)).toEqual([0, 1, 2, 3]);
    expect(parseCpuSet('none', 3)).toEqual([]);
    expect(parseCpuSet('0-3,8', 63)).toEqual([0, 1, 2, 3, 8]);
    expect(parseCpuSet('5', 7)).toEqual([5]);
    expect(parseCpuSet('3,1-2,2', 7)).toEqual([1, 2, 3]);
  });
  it('knows that 0-3 is not "all" when max_cpu_id is 63 (4.4 transcript host)', () => {
    expect(formatCpuSet([0, 1, 2, 3], 63)).toBe('0-3');
    expect(formatCpuSet([0, 1, 2, 3], 3)).toBe('all');
    expect(formatCpuSet([], 3)).toBe('none');
    expect(formatCpuSet([0, 1, 2, 3, 8], 63)).toBe('0-3,8');
    expect(formatCpuSet([4, 5], 7)).toBe('4-5');
  });
  it.each(['', 'any', '0-', '3-1', '0,,1', '64', '0-64', '-1'])('refuses %j with max_cpu_id 63', (s) => {
    expect(() => parseCpuSet(s, 63)).toThrow(XlParseError);
  });
  it('format and parse are inverse (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }).chain((max) => fc.tuple(fc.constant(max), fc.uniqueArray(fc.integer({ min: 0, max }), { maxLength: 20 }))), ([max, cpus]) => {
        expect(parseCpuSet(formatCpuSet(cpus, max), max)).toEqual([...cpus].sort((a, b) => a - b));
      }),
    );
  });
  it('throws only XlParseError on arbitrary input (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', '9', '-', ',', 'a', 'l', ' ') }), fc.integer({ min: -2, max: 100 }), (s, max) => {
        try {
          parseCpuSet(s, max);
        } catch (e) {
          expect(e).toBeInstanceOf(XlParseError);
        }
      }),
    );
  });
});

describe('checkPinning', () => {
  const row = (vcpu: number, cpu: number | null, hard: string, domid = 0): XlVcpu => ({ name: 'Domain-0', domid, vcpu, cpu, state: 'r--', timeS: 1, hard, soft: 'all' });

  it('passes the pinned 2-vCPU example', () => {
    const r = checkPinning([row(0, 0, '0'), row(1, 1, '1')], 2, [0, 1, 2, 3]);
    expect(r.ok).toBe(true);
    expect(r.vcpus.map((v) => [v.vcpu, v.expectedCpu, v.pinned])).toEqual([
      [0, 0, true],
      [1, 1, true],
    ]);
  });

  it('fails when unpinned (hard = all), on the wrong CPU, offline, or with the wrong count', () => {
    const unpinned = checkPinning([row(0, 1, 'all'), row(1, 0, 'all')], 2, [0, 1]);
    expect(unpinned.ok).toBe(false);
    expect(unpinned.vcpus[0]?.problem).toBe('hard affinity is "all", not a single CPU');
    expect(checkPinning([row(0, 0, '0'), row(1, 0, '1')], 2, [0, 1]).vcpus[1]?.problem).toBe('runs on CPU 0, expected 1');
    expect(checkPinning([row(0, 0, '0'), row(1, null, '1')], 2, [0, 1]).vcpus[1]?.problem).toBe('the vCPU is offline');
    const count = checkPinning([row(0, 0, '0')], 2, [0, 1]);
    expect(count).toMatchObject({ ok: false, expectedCount: 2, actualCount: 1 });
    expect(count.vcpus[0]?.pinned).toBe(true);
  });

  it('uses the i-th CPU of dom0\'s set and wraps around; ignores other domains', () => {
    const r = checkPinning([row(0, 4, '4'), row(1, 6, '6'), row(2, 4, '4'), row(0, 1, 'all', 3)], 3, [4, 6]);
    expect(r.ok).toBe(true);
    expect(r.vcpus.map((v) => v.expectedCpu)).toEqual([4, 6, 4]);
    expect(checkPinning([row(0, 0, '0')], 1, [4, 6]).vcpus[0]?.problem).toBe('hard affinity is CPU 0, expected 4');
  });
});

describe('findXenCmdlineProblems', () => {
  it('finds unknown options, invalid values and bad console items', () => {
    const dmesg = [
      '(XEN) Command line: dom0_mem=1.5G cpufrep=xen console=com1,tty dom0_vcpus_pin=2',
      '(XEN) parameter "cpufrep" unknown!',
      '(XEN) [    0.000000] parameter "dom0_mem" has invalid value "1.5G", rc=-22!',
      '(XEN) parameter "dom0_vcpus_pin" has invalid value "2", rc=-22!\r',
      "(XEN) Bad console= option 'tty'",
      "(XEN) cpufreq/ondemand: option 'turbo' not recognized",
      '(XEN) Xen version 4.10.4',
    ].join('\n');
    expect(findXenCmdlineProblems(dmesg)).toEqual([
      { kind: 'unknown', option: 'cpufrep', line: '(XEN) parameter "cpufrep" unknown!' },
      { kind: 'invalid-value', option: 'dom0_mem', value: '1.5G', line: '(XEN) [    0.000000] parameter "dom0_mem" has invalid value "1.5G", rc=-22!' },
      { kind: 'invalid-value', option: 'dom0_vcpus_pin', value: '2', line: '(XEN) parameter "dom0_vcpus_pin" has invalid value "2", rc=-22!' },
      { kind: 'bad-console', option: 'console', value: 'tty', line: "(XEN) Bad console= option 'tty'" },
      { kind: 'invalid-value', option: 'cpufreq', value: 'turbo', line: "(XEN) cpufreq/ondemand: option 'turbo' not recognized" },
    ]);
  });
  it('returns nothing for a clean boot', () => {
    expect(findXenCmdlineProblems('(XEN) Command line: dom0_mem=1024M,max:1024M\n(XEN) Xen version 4.10.4\n')).toEqual([]);
  });
});

describe('classifyXlFailure', () => {
  it('not-xen: the 4.10 text, the ≤4.6 text, and the fakehost shim', () => {
    const new410 = [
      'xencall: error: Could not obtain handle on privileged command interface: No such file or directory',
      'libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory',
      'cannot init xl context',
    ].join('\n');
    const old46 = 'xc: error: Could not obtain handle on privileged command interface (2 = No such file or directory): Internal error\nlibxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\ncannot init xl context';
    expect(classifyXlFailure(new410, 1)).toBe('not-xen');
    expect(classifyXlFailure(old46, 1)).toBe('not-xen');
    expect(classifyXlFailure(new410.replace('102', '9999'), 1)).toBe('not-xen');
  });
  it('no-xenstore', () => {
    expect(classifyXlFailure('libxl: error: libxl.c:110:libxl_ctx_alloc: cannot connect to xenstore: No such file or directory\ncannot init xl context', 1)).toBe('no-xenstore');
  });
  it('permission', () => {
    expect(classifyXlFailure('xencall: error: Could not obtain handle on privileged command interface: Permission denied\ncannot init xl context', 1)).toBe('permission');
    expect(classifyXlFailure('libxl: error: libxl.c:110:libxl_ctx_alloc: cannot connect to xenstore: Permission denied', 1)).toBe('permission');
  });
  it('unknown', () => {
    expect(classifyXlFailure('cannot init xl context', 1)).toBe('unknown');
    expect(classifyXlFailure('', 0)).toBe('unknown');
    expect(classifyXlFailure('sh: xl: command not found', 127)).toBe('unknown');
    expect(classifyXlFailure('', null)).toBe('unknown');
  });
});
