import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOOLEAN_LIKE_XEN_OPTIONS,
  BOOLEAN_XEN_OPTIONS,
  KNOWN_XEN_OPTIONS,
  lintXenArgs,
  suggestXenOption,
  damerauLevenshtein,
  validateXenToken,
  XenOptionError,
  type XenHostInfo,
} from '../../src/xen/index.js';

/** Run validateXenToken and return the thrown XenOptionError (fails the test if it does not throw one). */
function errorOf(text: string, opts: { force?: boolean; host?: XenHostInfo } = {}): XenOptionError {
  try {
    validateXenToken(text, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(XenOptionError);
    return e as XenOptionError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

function codes(text: string, host?: XenHostInfo): string[] {
  return validateXenToken(text, host === undefined ? {} : { host }).map((w) => w.code);
}

describe('known option tables', () => {
  it('embeds the 4.10 list (spot checks) and every boolean is a known name', () => {
    for (const n of ['dom0_mem', 'dom0_max_vcpus', 'dom0_vcpus_pin', 'cpufreq', 'console', 'com1', 'loglvl', 'guest_loglvl', 'cpuinfo', 'noreboot', 'sync_console', 'ro-hpet', 'mtrr.show', 'ivrs_hpet[', 'edd', 'no-real-mode']) {
      expect(KNOWN_XEN_OPTIONS.has(n), n).toBe(true);
    }
    expect(KNOWN_XEN_OPTIONS.has('cpufrep')).toBe(false);
    expect(KNOWN_XEN_OPTIONS.has('dom0_vcpus')).toBe(false);
    for (const n of [...BOOLEAN_XEN_OPTIONS, ...BOOLEAN_LIKE_XEN_OPTIONS]) expect(KNOWN_XEN_OPTIONS.has(n), n).toBe(true);
    for (const n of ['dom0_vcpus_pin', 'cpuinfo', 'noreboot', 'sync_console']) expect(BOOLEAN_XEN_OPTIONS.has(n), n).toBe(true);
    // console_timestamps is none|date|datems|boot in 4.10, not a plain boolean
    expect(BOOLEAN_XEN_OPTIONS.has('console_timestamps')).toBe(false);
  });
});

describe('unknown names and suggestions', () => {
  it.each([
    ['cpufrep=xen', 'cpufreq'],
    ['dom0_vcpu_pin', 'dom0_vcpus_pin'],
    ['dom0-vcpus-pin', 'dom0_vcpus_pin'],
    ['dom0-mem=1024M', 'dom0_mem'],
    ['DOM0_MEM=1024M', 'dom0_mem'],
    ['dom0_maxvcpus=2', 'dom0_max_vcpus'],
    ['dom0_max_vcpu=2', 'dom0_max_vcpus'],
    ['dom0_vcpus=2', 'dom0_max_vcpus'],
    ['no-dom0_vcpu_pin', 'no-dom0_vcpus_pin'],
    ['dom0_vcpus', 'dom0_vcpus_pin'],
  ])('%s → did you mean "%s"?', (text, guess) => {
    const e = errorOf(text);
    expect(e.code).toBe('unknown-option');
    expect(e.option).toBe(text.split('=')[0]);
    expect(e.message).toContain(`"${text.split('=')[0]}"`);
    expect(e.hint).toBe(`did you mean "${guess}"?`);
    expect(e.message).not.toContain('\n');
  });

  it('gives no suggestion when nothing is close', () => {
    const e = errorOf('frobnicate=1');
    expect(e.code).toBe('unknown-option');
    expect(e.hint).toBeUndefined();
  });

  it('with force, an unknown name is a warning that still carries the suggestion', () => {
    const w = validateXenToken('cpufrep=xen', { force: true });
    expect(w).toHaveLength(1);
    expect(w[0]?.code).toBe('unknown-option');
    expect(w[0]?.option).toBe('cpufrep');
    expect(w[0]?.message).toContain('did you mean "cpufreq"?');
  });

  it('force does not excuse syntax or control characters', () => {
    expect(errorOf('foo\nbar', { force: true }).code).toBe('control-character');
    expect(errorOf('=1024M', { force: true }).code).toBe('syntax');
  });

  it('accepts the ivrs_*[…] forms only with a value', () => {
    expect(validateXenToken('ivrs_hpet[0]=0:14.0')).toEqual([]);
    expect(errorOf('ivrs_hpet[0]').code).toBe('unknown-option');
  });

  it('damerauLevenshtein counts a swap as one edit', () => {
    expect(damerauLevenshtein('cpufreq', 'cpufrep')).toBe(1);
    expect(damerauLevenshtein('ab', 'ba')).toBe(1);
    expect(damerauLevenshtein('', 'abc')).toBe(3);
    expect(damerauLevenshtein('kitten', 'sitting')).toBe(3);
    expect(suggestXenOption('noreboto')).toBe('noreboot');
  });
});

describe('dom0_mem', () => {
  it('accepts sizes with units, min:/max:, negatives', () => {
    expect(validateXenToken('dom0_mem=1024M,max:1024M')).toEqual([]);
    expect(validateXenToken('dom0_mem=512M,max:1G')).toEqual([]);
    expect(validateXenToken('dom0_mem=2G,min:1G,max:4G')).toEqual([]);
    expect(codes('dom0_mem=1024m,max:1024m')).toEqual([]);
  });

  it.each([
    ['dom0_mem=1024', 'a size without a unit is KiB in Xen: write 1024M'],
    ['dom0_mem=1024M,max:2048', 'a size without a unit is KiB in Xen: write max:2048M'],
    ['dom0_mem=01024M', 'write 1024M'],
    ['dom0_mem=1.5G', 'Xen has no fractions: write 1536M'],
    ['dom0_mem=25%', 'write an absolute size such as 1024M'],
    ['dom0_mem=1024MB', 'write 1024M'],
    ['dom0_mem=1GiB', 'write 1G'],
    ['dom0_mem=1024M,max:512M', 'make max: at least the amount: 1024M,max:1024M'],
  ])('%s is refused with hint "%s"', (text, hint) => {
    const e = errorOf(text);
    expect(e.code).toBe('invalid-value');
    expect(e.option).toBe('dom0_mem');
    expect(e.message).toContain('dom0_mem');
    expect(e.hint).toBe(hint);
  });

  it('explains the octal value', () => {
    expect(errorOf('dom0_mem=01024M').message).toContain('01024 = 532');
  });

  it.each([
    'dom0_mem',
    'dom0_mem=0M',
    'dom0_mem=0',
    'dom0_mem=1024M,',
    'dom0_mem=,max:1G',
    'dom0_mem=1024M,,max:1G',
    'dom0_mem=max:',
    'dom0_mem=MAX:1G',
    'dom0_mem=0x400M',
    'dom0_mem=1024B',
    'dom0_mem=1024X',
    'dom0_mem=min:2G,max:1G',
    'dom0_mem=-512M,max:-1G',
    'dom0_mem=1G+25%',
    'dom0_mem=dom0_mem=1G',
    'no-dom0_mem',
  ])('%s is refused', (text) => {
    const e = errorOf(text);
    expect(e.code).toBe('invalid-value');
    expect(e.option).toBe('dom0_mem');
  });

  it('warns: no max:, below 512M, min above the amount, ≥ host RAM, autoballoon regex', () => {
    expect(codes('dom0_mem=1024M')).toEqual(['no-max']);
    expect(codes('dom0_mem=256M,max:256M')).toEqual(['small-dom0-mem']);
    expect(codes('dom0_mem=1024M,min:2G,max:4G')).toEqual(['min-above-amount']);
    expect(codes('dom0_mem=16G,max:16G', { totalMiB: 16384 })).toEqual(['dom0-mem-exceeds-host']);
    expect(codes('dom0_mem=8G,max:8G', { totalMiB: 16384 })).toEqual([]);
    expect(codes('dom0_mem=-512M,max:-512M')).toEqual(['autoballoon']);
    expect(codes('dom0_mem=1T,max:1T')).toEqual(['autoballoon']);
    expect(codes('dom0_mem=1G,2G,max:2G')).toEqual(['duplicate-item']);
  });

  it('compares mixed signs only when the host size is known', () => {
    expect(codes('dom0_mem=-1G,max:2G')).toContain('autoballoon');
    expect(errorOf('dom0_mem=-1G,max:2G', { host: { totalMiB: 16384 } }).code).toBe('invalid-value');
  });
});

describe('dom0_max_vcpus', () => {
  it.each(['2', '4-', '2-4', '-8', '1', '4-4'])('accepts %s', (v) => {
    expect(validateXenToken(`dom0_max_vcpus=${v}`)).toEqual([]);
  });
  it.each([
    ['0', 'write dom0_max_vcpus=1'],
    ['02', 'write dom0_max_vcpus=2'],
    ['1-04', 'write dom0_max_vcpus=1-4'],
    ['4-2', 'write dom0_max_vcpus=2-4'],
    ['0-4', 'write dom0_max_vcpus=1-4'],
  ])('refuses %s (hint %s)', (v, hint) => {
    const e = errorOf(`dom0_max_vcpus=${v}`);
    expect(e.code).toBe('invalid-value');
    expect(e.option).toBe('dom0_max_vcpus');
    expect(e.hint).toBe(hint);
  });
  it.each(['dom0_max_vcpus', 'dom0_max_vcpus=-', 'dom0_max_vcpus=two', 'dom0_max_vcpus=1-2-3', 'dom0_max_vcpus=-0', 'dom0_max_vcpus=2.5', 'no-dom0_max_vcpus'])('refuses %s', (t) => {
    expect(errorOf(t).option).toBe('dom0_max_vcpus');
  });
  it('warns when dom0 gets more vCPUs than the host has CPUs', () => {
    expect(codes('dom0_max_vcpus=8', { nrCpus: 4 })).toEqual(['vcpus-exceed-pcpus']);
    expect(codes('dom0_max_vcpus=4', { nrCpus: 4 })).toEqual([]);
    expect(codes('dom0_max_vcpus=-8', { nrCpus: 4 })).toEqual([]);
  });
});

describe('booleans', () => {
  it.each(['dom0_vcpus_pin', 'no-dom0_vcpus_pin', 'dom0_vcpus_pin=yes', 'dom0_vcpus_pin=on', 'dom0_vcpus_pin=true', 'dom0_vcpus_pin=enable', 'dom0_vcpus_pin=1', 'dom0_vcpus_pin=no', 'dom0_vcpus_pin=off', 'dom0_vcpus_pin=false', 'dom0_vcpus_pin=disable', 'dom0_vcpus_pin=0', 'cpuinfo', 'no-cpuinfo', 'console_to_ring=1'])('accepts %s', (t) => {
    expect(validateXenToken(t)).toEqual([]);
  });
  it.each(['dom0_vcpus_pin=2', 'dom0_vcpus_pin=Yes', 'cpuinfo=verbose', 'no-dom0_vcpus_pin=1', 'noreboot=maybe'])('refuses %s', (t) => {
    const e = errorOf(t);
    expect(e.code).toBe('invalid-value');
    expect(t).toContain(e.option);
  });
  it('the hint for dom0_vcpus_pin=2 says how to write it', () => {
    expect(errorOf('dom0_vcpus_pin=2').hint).toContain('write dom0_vcpus_pin alone');
  });
  it('warns about noreboot on remote hosts and sync_console', () => {
    expect(codes('noreboot')).toEqual(['remote-noreboot']);
    expect(codes('noreboot', { remote: false })).toEqual([]);
    expect(codes('noreboot=0')).toEqual([]);
    expect(codes('no-noreboot')).toEqual([]);
    expect(codes('sync_console')).toEqual(['debug-only']);
  });
  it('refuses no- on options that are not boolean', () => {
    const e = errorOf('no-console');
    expect(e.code).toBe('invalid-value');
    expect(e.option).toBe('console');
  });
});

describe('cpufreq', () => {
  it.each(['cpufreq=none', 'cpufreq=xen:ondemand', 'cpufreq=xen:performance,maxfreq=2000000,minfreq=1000000', 'cpufreq=xen,verbose', 'cpufreq=xen:userspace,speed=1000', 'cpufreq=on', 'cpufreq=off', 'no-cpufreq', 'cpufreq=xen:ondemand,rate=50,up_threshold=80,bias=0,verbose=1'])('accepts %s', (t) => {
    expect(validateXenToken(t)).toEqual([]);
  });
  it('warns for dom0-kernel (deprecated, pins) and for the redundant default', () => {
    expect(codes('cpufreq=dom0-kernel')).toEqual(['deprecated']);
    expect(codes('cpufreq=xen')).toEqual(['redundant']);
  });
  it.each([
    ['cpufreq', undefined],
    ['cpufreq=ondemand', 'a governor goes after xen: write cpufreq=xen:ondemand'],
    ['cpufreq=xen:ondemand,2000', 'Xen 4.10 wants key=value: write maxfreq=2000 or minfreq=2000'],
    ['cpufreq=xen:turbo', undefined],
    ['cpufreq=none:ondemand', 'write cpufreq=none'],
    ['cpufreq=xen:maxfreq=1,ondemand', 'the governor must come first: cpufreq=xen:GOVERNOR,…'],
    ['cpufreq=xen:', undefined],
    ['cpufreq=hwp', undefined],
  ])('refuses %s', (t, hint) => {
    const e = errorOf(t);
    expect(e.code).toBe('invalid-value');
    expect(e.option).toBe('cpufreq');
    if (hint !== undefined) expect(e.hint).toBe(hint);
  });
});

describe('console, com1/com2, loglvl, dom0_nodes', () => {
  it('refuses tty (CentOS default console=com1,tty) with a fix', () => {
    const e = errorOf('console=com1,tty');
    expect(e.code).toBe('invalid-value');
    expect(e.option).toBe('console');
    expect(e.message).toContain("Bad console= option 'tty'");
    expect(e.hint).toBe('remove it: write console=com1');
  });
  it.each(['console=com1', 'console=com1,vga', 'console=vga', 'console=com2H,dbgp', 'console=none', 'console=pv'])('accepts %s', (t) => {
    expect(validateXenToken(t)).toEqual([]);
  });
  it.each(['console', 'console=ttyS0', 'console=hvc0', 'console=serial', 'console=com1,', 'console=com1,com2,vga,dbgp,none,pv,c'])('refuses %s', (t) => {
    expect(errorOf(t).option).toBe('console');
  });
  it('refuses a console value longer than 29 characters', () => {
    const v = 'com1,com2,vga,dbgp,pv,com1H,vga'; // 31 chars, all valid items
    expect(v.length).toBeGreaterThan(29);
    expect(errorOf(`console=${v}`).message).toContain('29');
    const v29 = 'com1H,com2L,vga,dbgp,pv,com1H';
    expect(v29.length).toBe(29);
    expect(validateXenToken(`console=${v29}`)).toEqual([]);
    expect(errorOf(`console=${v29},`).code).toBe('invalid-value');
  });
  it('warns when none is combined with others', () => {
    expect(codes('console=none,vga')).toEqual(['console-none']);
  });
  it.each(['com1=115200,8n1', 'com1=auto', 'com2=9600', 'com1=115200/1843200,8n1,0x3f8,4', 'com1=115200,8n1,pci', 'com1=115200,,amt'])('accepts %s', (t) => {
    expect(validateXenToken(t)).toEqual([]);
  });
  it('passes name=value and PCI forms of com1 through with a warning', () => {
    expect(codes('com1=baud=115200,parity=n')).toEqual(['unchecked-value']);
    expect(codes('com1=115200,8n1,0x3f8,0,00:16.3')).toEqual(['unchecked-value']);
  });
  it.each(['com1', 'com1=fast', 'com1=115200,9n1'])('refuses %s', (t) => {
    expect(errorOf(t).option).toBe('com1');
  });
  it.each(['loglvl=all', 'guest_loglvl=all', 'loglvl=warning/info', 'guest_loglvl=none/warning'])('accepts %s', (t) => {
    expect(validateXenToken(t)).toEqual([]);
  });
  it('refuses loglvl=verbose with "did you mean all"', () => {
    const e = errorOf('loglvl=verbose');
    expect(e.option).toBe('loglvl');
    expect(e.hint).toBe('did you mean "all"?');
    expect(errorOf('guest_loglvl=all/').option).toBe('guest_loglvl');
  });
  it('dom0_nodes', () => {
    expect(validateXenToken('dom0_nodes=0,1,relaxed')).toEqual([]);
    expect(codes('dom0_nodes=0', { nrNodes: 1 })).toEqual(['non-numa']);
    expect(errorOf('dom0_nodes=node0').option).toBe('dom0_nodes');
  });
  it('other known options pass with any non-empty value', () => {
    expect(validateXenToken('sched=credit2')).toEqual([]);
    expect(validateXenToken('conring_size=64k')).toEqual([]);
  });
});

describe('characters and syntax', () => {
  it.each([
    ['dom0_mem=1G\n', 'control-character'],
    ['dom0_mem=1G\u0000', 'control-character'],
    ['dom0_vcpus_pin\t', 'control-character'],
    ['cpuinfo\u007f', 'control-character'],
    ['cpuinfo\u0085', 'control-character'],
    ['cpuinfo\u2028', 'control-character'],
    ['', 'syntax'],
    ['dom0_mem 1G', 'syntax'],
    ['=1024M', 'syntax'],
    ['dom0_mem=', 'syntax'],
    ['cpuinfo=', 'syntax'],
    ['dömö', 'syntax'],
    ['foo(bar)', 'syntax'],
    [`sched=${'x'.repeat(122)}`, 'syntax'],
  ])('%j → %s', (text, code) => {
    const e = errorOf(text);
    expect(e.code).toBe(code);
    expect(e.message).not.toMatch(/[\n\r\u0000]/);
  });
  it('127 characters is still accepted', () => {
    expect(validateXenToken(`sched=${'x'.repeat(122)}`.slice(0, 127))).toEqual([]);
  });

  it('never throws anything but XenOptionError, and messages are one line (fuzz)', () => {
    const texts = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('d', 'o', 'm', '0', '_', '=', ',', ':', 'm', 'a', 'x', '-', '1', 'M', 'G', '%', '.', 'n', 'i', ' ') }),
      fc.tuple(fc.constantFrom(...KNOWN_XEN_OPTIONS, 'no-dom0_vcpus_pin', 'no-cpufreq'), fc.option(fc.string(), { nil: null })).map(([n, v]) => (v === null ? n : `${n}=${v}`)),
    );
    fc.assert(
      fc.property(texts, fc.boolean(), (text, force) => {
        try {
          const ws = validateXenToken(text, { force, host: { totalMiB: 4096, nrCpus: 4, nrNodes: 1 } });
          for (const w of ws) expect(w.message).not.toMatch(/\n/);
        } catch (e) {
          expect(e).toBeInstanceOf(XenOptionError);
          const err = e as XenOptionError;
          expect(err.message).not.toMatch(/[\n\r]/);
          expect(err.hint ?? '').not.toMatch(/[\n\r]/);
          expect(err.option.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('accepted tokens match the generic regex from the table (fuzz)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          validateXenToken(text, { force: true });
        } catch {
          return;
        }
        expect(text).toMatch(/^[A-Za-z0-9_.\-[\]]+(?:=\S+)?$/);
        expect(text.length).toBeLessThan(128);
      }),
    );
  });
});

describe('lintXenArgs', () => {
  it('collects errors and cross-token warnings on the CentOS default line', () => {
    const r = lintXenArgs('dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all');
    expect(r.errors.map((e) => e.option)).toEqual(['console']);
    expect(r.warnings).toEqual([]);
  });
  it('warns on duplicates and console=com1 without com1=', () => {
    const r = lintXenArgs('console=com1 dom0_mem=1G,max:1G dom0_mem=2G,max:2G');
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.code).sort()).toEqual(['console-without-settings', 'duplicate-option']);
  });
  it('treats no-X and X as the same option, ignores what follows --', () => {
    const r = lintXenArgs('dom0_vcpus_pin no-dom0_vcpus_pin -- cpufrep');
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.code)).toEqual(['duplicate-option']);
  });
  it('refuses a line longer than 1023 characters', () => {
    const line = Array.from({ length: 110 }, () => 'cpuinfo=1').join(' ') + ' cpuinfo';
    expect(line.length).toBeGreaterThan(1023);
    expect(lintXenArgs(line).errors.map((e) => e.code)).toContain('syntax');
  });
});
