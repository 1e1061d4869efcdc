import { describe, expect, it } from 'vitest';
import { buildXenChanges, effectiveXenValue, parseXenToken, xenArgsSatisfy } from '../../src/xen/index.js';

const wanted = buildXenChanges({ dom0Mem: '1024M', dom0Vcpus: '2', pin: true }).changes;

describe('xenArgsSatisfy', () => {
  it('accepts the booted command line from the real-boot sample (any order, extra options allowed)', () => {
    const booted = 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin console=com1 com1=115200,8n1';
    expect(xenArgsSatisfy(booted, wanted)).toEqual({ ok: true, missing: [], unexpected: [] });
    expect(xenArgsSatisfy('dom0_vcpus_pin=yes console=com1 dom0_max_vcpus=2 dom0_mem=1024M,max:1024M', wanted).ok).toBe(true);
  });

  it('reports what is missing or different', () => {
    const r = xenArgsSatisfy('dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin console=com1 com1=115200,8n1', wanted);
    expect(r).toEqual({ ok: false, missing: ['dom0_mem=1024M,max:1024M', 'dom0_max_vcpus=2'], unexpected: [] });
  });

  it('uses the last occurrence, as Xen does', () => {
    expect(xenArgsSatisfy('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin no-dom0_vcpus_pin', wanted).missing).toEqual(['dom0_vcpus_pin']);
    expect(xenArgsSatisfy('dom0_max_vcpus=4 dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin', wanted).ok).toBe(true);
  });

  it('catches a typo that Xen ignored', () => {
    expect(xenArgsSatisfy('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpu_pin', wanted).missing).toEqual(['dom0_vcpus_pin']);
  });

  it('reports removed names that are still there, in any form', () => {
    const ch = buildXenChanges({ pin: false }).changes;
    expect(xenArgsSatisfy('cpuinfo dom0_vcpus_pin=0', ch)).toEqual({ ok: false, missing: [], unexpected: ['dom0_vcpus_pin=0'] });
    expect(xenArgsSatisfy('cpuinfo', ch).ok).toBe(true);
  });

  it('ignores what follows --', () => {
    expect(xenArgsSatisfy('dom0_max_vcpus=2 dom0_vcpus_pin -- dom0_mem=1024M,max:1024M', wanted).missing).toEqual(['dom0_mem=1024M,max:1024M']);
  });

  it('effectiveXenValue maps boolean spellings together and keeps other values verbatim', () => {
    expect(effectiveXenValue(parseXenToken('dom0_vcpus_pin'))).toEqual({ name: 'dom0_vcpus_pin', value: 'true' });
    expect(effectiveXenValue(parseXenToken('dom0_vcpus_pin=on'))).toEqual({ name: 'dom0_vcpus_pin', value: 'true' });
    expect(effectiveXenValue(parseXenToken('no-dom0_vcpus_pin'))).toEqual({ name: 'dom0_vcpus_pin', value: 'false' });
    expect(effectiveXenValue(parseXenToken('dom0_vcpus_pin=2')).value).toMatch(/^invalid/);
    expect(effectiveXenValue(parseXenToken('no-cpufreq'))).toEqual({ name: 'cpufreq', value: 'no' });
    expect(effectiveXenValue(parseXenToken('dom0_mem=1G'))).toEqual({ name: 'dom0_mem', value: '1G' });
  });
});
