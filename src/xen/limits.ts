/**
 * What a Xen 4.10 host can report, at most. Numbers an `xl` command prints are checked against these
 * before anything is computed from them: a host answering `nr_cpus : 9999999999` is not believed
 * (XlParseError), so nothing is ever allocated or looped in proportion to a number a host sends.
 */
/** Xen 4.10 x86 builds for at most 4095 CPUs (CONFIG_NR_CPUS); nr_cpus counts them. */
export const MAX_XEN_CPUS = 4096;
/** max_cpu_id = nr_cpu_ids - 1. */
export const MAX_XEN_CPU_ID = MAX_XEN_CPUS - 1;
/** vCPUs of one domain (HVM_MAX_VCPUS is 128 in 4.10; PV Dom0 has at most one per CPU). */
export const MAX_XEN_VCPUS = MAX_XEN_CPUS;
/** Domain ids below DOMID_FIRST_RESERVED (0x7FF0). */
export const MAX_XEN_DOMID = 0x7fef;
/** Memory in MiB (1 PiB: far above the 16 TiB Xen 4.10 x86 supports). */
export const MAX_XEN_MEMORY_MIB = 2 ** 30;

/** A decimal number of at most `max`, else null (never a float, never beyond 2^53). */
export function boundedInt(text: string, max: number): number | null {
  if (!/^\d{1,16}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n <= max ? n : null;
}
