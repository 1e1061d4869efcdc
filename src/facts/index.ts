import { bootFact, configFilesFact, fstabFact, grubConfigFact, hypervisorFact, kernelFact, osReleaseFact, packagesFact, resourcesFact, stateFact } from './host-facts.js';
import { xlFacts } from './xl-facts.js';
import type { FactResults } from './gather.js';

/** Everything `plan` and `apply` read before deciding. */
export const HOST_FACTS = {
  os: osReleaseFact,
  kernel: kernelFact,
  hypervisor: hypervisorFact,
  grub: grubConfigFact,
  boot: bootFact,
  packages: packagesFact,
  resources: resourcesFact,
  files: configFilesFact,
  fstab: fstabFact,
  state: stateFact,
};
export type HostFactsCore = FactResults<typeof HOST_FACTS>;
/** Host facts plus, on a host that runs Xen, what `xl` reports. */
export interface HostFacts extends HostFactsCore {
  xl: XlFacts | null;
}

export const VERIFY_FACTS = { kernel: kernelFact, hypervisor: hypervisorFact, ...xlFacts };
export type VerifyFacts = FactResults<typeof VERIFY_FACTS>;
import type { XlFacts } from './xl-facts.js';
export type { XlFacts, XlOutput } from './xl-facts.js';

export * from './host-facts.js';
export * from './file-facts.js';
export { gatherFacts, gatherWith, buildGatherScript, splitGatherOutput, type FactResults, type GatherRun } from './gather.js';
export { fact, type Fact, type FactOutput } from './fact.js';
export { xlFacts } from './xl-facts.js';
