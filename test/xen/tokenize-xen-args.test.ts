import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalName, formatXenArgs, lexXenArgs, makeXenToken, parseXenToken, tokenizeXenArgs } from '../../src/xen/index.js';

const CENTOS_DEFAULT = 'dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all';

describe('tokenizeXenArgs', () => {
  it('splits the CentOS XEN_KERNEL_ARGS into name/value tokens', () => {
    const t = tokenizeXenArgs(CENTOS_DEFAULT);
    expect(t.map((x) => x.name)).toEqual(['dom0_mem', 'cpuinfo', 'com1', 'console', 'loglvl', 'guest_loglvl']);
    expect(t[0]).toEqual({ name: 'dom0_mem', value: '1024M,max:1024M', text: 'dom0_mem=1024M,max:1024M' });
    expect(t[1]).toEqual({ name: 'cpuinfo', value: null, text: 'cpuinfo' });
  });

  it('splits on runs of blanks and ignores leading/trailing blanks', () => {
    expect(tokenizeXenArgs('  a=1 \t b   c  ').map((t) => t.text)).toEqual(['a=1', 'b', 'c']);
    expect(tokenizeXenArgs('')).toEqual([]);
    expect(tokenizeXenArgs('   ')).toEqual([]);
  });

  it('takes the name up to the first "=" only', () => {
    expect(parseXenToken('com1=baud=115200')).toEqual({ name: 'com1', value: 'baud=115200', text: 'com1=baud=115200' });
    expect(parseXenToken('x=')).toEqual({ name: 'x', value: '', text: 'x=' });
    expect(parseXenToken('=1024M')).toEqual({ name: '', value: '1024M', text: '=1024M' });
  });

  it('shows what `dom0_mem = 1024M` (with spaces) becomes: three tokens', () => {
    expect(tokenizeXenArgs('dom0_mem = 1024M').map((t) => [t.name, t.value])).toEqual([
      ['dom0_mem', null],
      ['', ''],
      ['1024M', null],
    ]);
  });
});

describe('canonicalName', () => {
  it('recognises no-NAME for known options', () => {
    expect(canonicalName(parseXenToken('no-dom0_vcpus_pin'))).toEqual({ name: 'dom0_vcpus_pin', negated: true });
    expect(canonicalName(parseXenToken('dom0_vcpus_pin'))).toEqual({ name: 'dom0_vcpus_pin', negated: false });
    expect(canonicalName(parseXenToken('dom0_vcpus_pin=0'))).toEqual({ name: 'dom0_vcpus_pin', negated: false });
  });
  it('keeps options whose own name starts with no- and unknown no- names', () => {
    expect(canonicalName(parseXenToken('no-real-mode'))).toEqual({ name: 'no-real-mode', negated: false });
    expect(canonicalName(parseXenToken('noreboot'))).toEqual({ name: 'noreboot', negated: false });
    expect(canonicalName(parseXenToken('no-frobnicate'))).toEqual({ name: 'no-frobnicate', negated: false });
    expect(canonicalName(parseXenToken('no-frobnicate'), new Set(['frobnicate']))).toEqual({ name: 'frobnicate', negated: true });
  });
});

describe('formatXenArgs', () => {
  it('joins with single spaces', () => {
    expect(formatXenArgs([makeXenToken('dom0_mem', '1G'), makeXenToken('dom0_vcpus_pin')])).toBe('dom0_mem=1G dom0_vcpus_pin');
    expect(formatXenArgs([])).toBe('');
  });

  it('round-trips single-space-separated lines (property)', () => {
    const tokenText = fc.stringMatching(/^[A-Za-z0-9_.,:=\-/[\]]{1,20}$/);
    fc.assert(
      fc.property(fc.array(tokenText, { maxLength: 12 }), (parts) => {
        const line = parts.join(' ');
        expect(formatXenArgs(tokenizeXenArgs(line))).toBe(line);
      }),
    );
  });
});

describe('lexXenArgs', () => {
  it('is lossless (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(' ', '\t', 'a', '=', 'b', '-', '\n') }), (s) => {
        const { pieces, trailing } = lexXenArgs(s);
        expect(pieces.map((p) => p.sep + p.text).join('') + trailing).toBe(s);
        for (const p of pieces) expect(p.text).not.toMatch(/[ \t]/);
      }),
    );
  });
});
