/**
 * dom0up as a library: the grub.conf engine, the Xen option and `xl` parsers, and the
 * rewrite. Everything here is pure (no I/O) unless noted.
 */
export * from './grub/index.js';
export * from './xen/index.js';
export { makeHypervisorArgs, hasDom0Options, DEFAULT_DOM0 } from './plan/hypervisor-args.js';
export type { Dom0Options, HypervisorArgs } from './plan/hypervisor-args.js';
export { unifiedDiff } from './plan/unified-diff.js';
