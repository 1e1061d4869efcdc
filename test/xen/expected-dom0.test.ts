import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedDom0, parseSizeToKiB, simpleStrtoull } from '../../src/xen/index.js';

describe('parseSizeToKiB (Xen 4.10 parse_size_and_unit)', () => {
  it.each<[string, number, string]>([
    ['1024M', 1024 * 1024, ''],
    ['1G', 1024 * 1024, ''],
    ['1g', 1024 * 1024, ''],
    ['1T', 1024 ** 3, ''],
    ['64k', 64, ''],
    ['2048B', 2, ''],
    ['1024', 1024, ''], // no suffix = KiB
    ['01024M', 532 * 1024, ''], // octal
    ['0x400M', 1024 * 1024, ''], // hex
    ['1.5G', 1, '.5G'], // stops at the dot: 1 KiB
    ['1024MB', 1024 * 1024, 'B'],
    ['25%', 25, '%'], // 4.12 syntax misread as 25 KiB
    ['08M', 0, '8M'], // 0 then an invalid octal digit
    ['', 0, ''],
  ])('%s → %d KiB, rest %j', (s, kib, rest) => {
    const r = parseSizeToKiB(s);
    expect(r.kib).toBe(kib);
    expect(r.rest).toBe(rest);
  });

  it('simpleStrtoull handles 0x only when a hex digit follows', () => {
    expect(simpleStrtoull('0x')).toEqual({ value: 0n, end: 1 });
    expect(simpleStrtoull('0x1f')).toEqual({ value: 31n, end: 4 });
    expect(simpleStrtoull('017')).toEqual({ value: 15n, end: 3 });
    expect(simpleStrtoull('abc')).toEqual({ value: 0n, end: 0 });
  });

  it('decimal sizes with a unit agree with plain arithmetic (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom(['K', 1], ['M', 1024], ['G', 1024 * 1024]), (n, [u, mult]) => {
        expect(parseSizeToKiB(`${n}${u}`).kib).toBe(n * (mult as number));
      }),
    );
  });
});

const host16 = { totalMiB: 16384, nrCpus: 16 };

describe('expectedDom0 (Xen 4.10 rules)', () => {
  it('exact amount, vCPUs and pinning from the tool defaults', () => {
    expect(expectedDom0('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin', host16)).toEqual({ memMiB: 1024, vcpus: 2, pinned: true });
  });

  it('defaults: all memory minus the reserve (null), one vCPU per pCPU, not pinned', () => {
    expect(expectedDom0('', host16)).toEqual({ memMiB: null, vcpus: 16, pinned: false });
    expect(expectedDom0('console=com1', { totalMiB: 1663, nrCpus: 4 })).toEqual({ memMiB: null, vcpus: 4, pinned: false });
  });

  it('max: clamps the default and the amount; min: raises the amount', () => {
    expect(expectedDom0('dom0_mem=max:2G', host16).memMiB).toBe(2048);
    expect(expectedDom0('dom0_mem=max:32G', host16).memMiB).toBeNull();
    expect(expectedDom0('dom0_mem=4G,max:2G', host16).memMiB).toBe(2048);
    expect(expectedDom0('dom0_mem=512M,min:1G', host16).memMiB).toBe(1024);
    expect(expectedDom0('dom0_mem=min:1G,max:512M,2G', host16).memMiB).toBe(512); // max overrides min
    expect(expectedDom0('dom0_mem=32G', host16).memMiB).toBe(16384); // clamped to what is available
  });

  it('negative sizes mean total minus', () => {
    expect(expectedDom0('dom0_mem=-1G', host16).memMiB).toBe(15360);
    expect(expectedDom0('dom0_mem=4G,max:-15G', host16).memMiB).toBe(1024);
    expect(expectedDom0('dom0_mem=-32G', host16).memMiB).toBe(16384); // wraps in C → clamped to available
  });

  it('reproduces the pitfalls of §2.4: KiB without unit, octal, fractions, %, MB', () => {
    expect(expectedDom0('dom0_mem=1024', host16).memMiB).toBe(1); // 1 MiB
    expect(expectedDom0('dom0_mem=01024M', host16).memMiB).toBe(532);
    expect(expectedDom0('dom0_mem=1.5G', host16).memMiB).toBeNull(); // 1 KiB = 0 pages = not set
    expect(expectedDom0('dom0_mem=25%', host16).memMiB).toBe(0); // 6 pages
    expect(expectedDom0('dom0_mem=1024MB', host16).memMiB).toBe(1024);
  });

  it('the reserve is min(total/16, 128M), visible through min:', () => {
    // 1600 MiB host: reserve 100 MiB → default 1500; a min: of 1550M raises it
    expect(expectedDom0('dom0_mem=min:1550M', { totalMiB: 1600, nrCpus: 1 }).memMiB).toBe(1550);
    expect(expectedDom0('dom0_mem=min:1400M', { totalMiB: 1600, nrCpus: 1 }).memMiB).toBeNull();
  });

  it('applies options left to right: later dom0_mem items overwrite earlier ones field by field', () => {
    expect(expectedDom0('dom0_mem=1G,max:1G dom0_mem=2G', host16).memMiB).toBe(1024);
    expect(expectedDom0('dom0_mem=1G dom0_mem=2G,max:4G', host16).memMiB).toBe(2048);
    expect(expectedDom0('dom0_mem=1G no-dom0_mem', host16).memMiB).toBeNull();
  });

  it.each<[string, number, number]>([
    ['dom0_max_vcpus=4', 16, 4],
    ['dom0_max_vcpus=32', 16, 32], // more vCPUs than pCPUs is allowed
    ['dom0_max_vcpus=0', 16, 1], // 0 → 1
    ['dom0_max_vcpus=4-8', 2, 4],
    ['dom0_max_vcpus=4-8', 6, 6],
    ['dom0_max_vcpus=4-8', 10, 8],
    ['dom0_max_vcpus=4-', 2, 4],
    ['dom0_max_vcpus=4-', 12, 12],
    ['dom0_max_vcpus=-8', 12, 8],
    ['dom0_max_vcpus=-8', 4, 4],
    ['dom0_max_vcpus=4 dom0_max_vcpus=-2', 16, 2],
  ])('%s on %d pCPUs → %d vCPUs', (cmd, nr, vcpus) => {
    expect(expectedDom0(cmd, { totalMiB: 4096, nrCpus: nr }).vcpus).toBe(vcpus);
  });

  it('pinning: last occurrence wins; invalid values leave the default; cpufreq=dom0-kernel pins', () => {
    expect(expectedDom0('dom0_vcpus_pin no-dom0_vcpus_pin', host16).pinned).toBe(false);
    expect(expectedDom0('no-dom0_vcpus_pin dom0_vcpus_pin=on', host16).pinned).toBe(true);
    expect(expectedDom0('dom0_vcpus_pin=2', host16).pinned).toBe(false);
    expect(expectedDom0('cpufreq=dom0-kernel', host16).pinned).toBe(true);
    expect(expectedDom0('cpufreq=dom0-kernel dom0_vcpus_pin=0', host16).pinned).toBe(false);
    expect(expectedDom0('dom0_vcpu_pin', host16).pinned).toBe(false); // typo: unknown to Xen
  });

  it('options after -- are dom0\'s and ignored', () => {
    expect(expectedDom0('dom0_max_vcpus=2 -- dom0_max_vcpus=8 dom0_vcpus_pin', host16)).toEqual({ memMiB: null, vcpus: 2, pinned: false });
  });

  it('the public example with Xen options on the module line gives the all-memory default', () => {
    // pastebin 3XuWWR64: Xen line without the options → xl list shows all memory and all 16 vCPUs
    expect(expectedDom0('', { totalMiB: 16384, nrCpus: 16 })).toEqual({ memMiB: null, vcpus: 16, pinned: false });
  });

  it('never throws and stays within the host memory (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 1 << 22 }), fc.integer({ min: 1, max: 512 }), (cmd, total, cpus) => {
        const r = expectedDom0(cmd, { totalMiB: total, nrCpus: cpus });
        if (r.memMiB !== null) {
          expect(r.memMiB).toBeGreaterThanOrEqual(0);
          expect(r.memMiB).toBeLessThanOrEqual(total);
        }
        expect(Number.isInteger(r.vcpus)).toBe(true);
      }),
    );
  });
});
