import { describe, expect, it } from 'vitest';
import { buildXenChanges, withMemMax, XenOptionError, type Dom0Request } from '../../src/xen/index.js';

function errorOf(req: Dom0Request): XenOptionError {
  try {
    buildXenChanges(req);
  } catch (e) {
    expect(e).toBeInstanceOf(XenOptionError);
    return e as XenOptionError;
  }
  throw new Error('expected the request to be refused');
}

const texts = (req: Dom0Request) => buildXenChanges(req).changes.set.map((t) => t.text);

describe('buildXenChanges', () => {
  it('builds the tool defaults: dom0_mem=N,max:N dom0_max_vcpus=2 dom0_vcpus_pin', () => {
    const r = buildXenChanges({ dom0Mem: '1024M', dom0Vcpus: '2', pin: true });
    expect(r.changes).toEqual({
      set: [
        { name: 'dom0_mem', value: '1024M,max:1024M', text: 'dom0_mem=1024M,max:1024M' },
        { name: 'dom0_max_vcpus', value: '2', text: 'dom0_max_vcpus=2' },
        { name: 'dom0_vcpus_pin', value: null, text: 'dom0_vcpus_pin' },
      ],
      remove: [],
    });
    expect(r.warnings).toEqual([]);
  });

  it('keeps an explicit max:, and memMax=false writes the size alone (with a warning)', () => {
    expect(texts({ dom0Mem: '1024M,max:2048M' })).toEqual(['dom0_mem=1024M,max:2048M']);
    expect(texts({ dom0Mem: 'max:2048M,1024M' })).toEqual(['dom0_mem=max:2048M,1024M']);
    const r = buildXenChanges({ dom0Mem: '1024M', memMax: false });
    expect(r.changes.set.map((t) => t.text)).toEqual(['dom0_mem=1024M']);
    expect(r.warnings.map((w) => w.code)).toEqual(['no-max']);
  });

  it('withMemMax uses the plain amount, not min:', () => {
    expect(withMemMax('1024M')).toBe('1024M,max:1024M');
    expect(withMemMax('min:512M,1024M')).toBe('min:512M,1024M,max:1024M');
    expect(withMemMax('min:512M')).toBe('min:512M');
    expect(withMemMax('-512M')).toBe('-512M,max:-512M');
  });

  it('pin=false removes dom0_vcpus_pin', () => {
    expect(buildXenChanges({ pin: false }).changes).toEqual({ set: [], remove: ['dom0_vcpus_pin'] });
  });

  it('appends extras in request order, after the dedicated options', () => {
    expect(texts({ extra: ['console=com1', 'com1=115200,8n1'], dom0Mem: '2G' })).toEqual([
      'dom0_mem=2G,max:2G',
      'console=com1',
      'com1=115200,8n1',
    ]);
  });

  it('ignores an extra given twice with the same text', () => {
    expect(texts({ extra: ['cpuinfo', 'cpuinfo'] })).toEqual(['cpuinfo']);
  });

  it('refuses invalid values, naming the option', () => {
    const e = errorOf({ dom0Mem: '1024' });
    expect(e.code).toBe('invalid-value');
    expect(e.option).toBe('dom0_mem');
    expect(e.hint).toBe('a size without a unit is KiB in Xen: write 1024M');
    expect(errorOf({ dom0Vcpus: '0' }).option).toBe('dom0_max_vcpus');
    expect(errorOf({ extra: ['dom0_vcpus_pin=2'] }).option).toBe('dom0_vcpus_pin');
    expect(errorOf({ extra: ['cpufrep=xen'] }).hint).toBe('did you mean "cpufreq"?');
  });

  it('with force keeps unknown extras and warns', () => {
    const r = buildXenChanges({ extra: ['cpufrep=xen'], force: true });
    expect(r.changes.set.map((t) => t.text)).toEqual(['cpufrep=xen']);
    expect(r.warnings.map((w) => w.code)).toEqual(['unknown-option']);
  });

  it.each<[Dom0Request, string]>([
    [{ dom0Mem: '1024M', extra: ['dom0_mem=2G'] }, 'dom0_mem'],
    [{ dom0Vcpus: '2', extra: ['dom0_max_vcpus=4'] }, 'dom0_max_vcpus'],
    [{ pin: true, extra: ['no-dom0_vcpus_pin'] }, 'dom0_vcpus_pin'],
    [{ pin: false, extra: ['dom0_vcpus_pin=1'] }, 'dom0_vcpus_pin'],
    [{ extra: ['dom0_vcpus_pin', 'no-dom0_vcpus_pin'] }, 'dom0_vcpus_pin'],
    [{ extra: ['cpufreq=xen', 'cpufreq=none'] }, 'cpufreq'],
    [{ pin: false, extra: ['cpufreq=dom0-kernel'] }, 'cpufreq'],
  ])('conflict: %j', (req, option) => {
    const e = errorOf(req);
    expect(e.code).toBe('conflict');
    expect(e.option).toBe(option);
    expect(e.message).toContain(option);
  });

  it('passes host facts to the warnings', () => {
    const r = buildXenChanges({ dom0Mem: '16G', dom0Vcpus: '8', host: { totalMiB: 16000, nrCpus: 4 } });
    expect(r.warnings.map((w) => w.code).sort()).toEqual(['dom0-mem-exceeds-host', 'vcpus-exceed-pcpus']);
  });
});
