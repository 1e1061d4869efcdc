import { describe, expect, it } from 'vitest';
import { hostSize } from '../../src/plan/make-plan.js';
import type { HostFacts } from '../../src/facts/index.js';

const base = { hypervisor: { dom0: false }, resources: { memTotalMiB: 3952, cpus: 4 }, xl: null } as unknown as HostFacts;
const info = (total: number, cpus: number) => `host                   : h\ntotal_memory           : ${total}\nnr_cpus                : ${cpus}\nxen_commandline        : dom0_mem=1024M\n`;

describe('hostSize', () => {
  it('without Xen: /proc', () => expect(hostSize(base)).toEqual({ totalMiB: 3952, nrCpus: 4 }));
  it('under Xen: xl info, not Dom0\'s /proc/meminfo', () => {
    const f = { ...base, hypervisor: { dom0: true }, resources: { memTotalMiB: 976, cpus: 2 }, xl: { xlInfo: { rc: 0, text: info(8191, 8) } } } as unknown as HostFacts;
    expect(hostSize(f)).toEqual({ totalMiB: 8191, nrCpus: 8 });
  });
  it('under Xen before xencommons: unknown, never Dom0\'s share', () => {
    const f = { ...base, hypervisor: { dom0: true }, resources: { memTotalMiB: 976, cpus: 2 }, xl: { xlInfo: { rc: 1, text: 'cannot init xl context' } } } as unknown as HostFacts;
    expect(hostSize(f)).toEqual({ totalMiB: null, nrCpus: null });
  });
});
