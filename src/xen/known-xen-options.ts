/**
 * Xen 4.10 (x86) hypervisor option names, from xen-centos6-facts.md §2.3: every `*_param()` registration under `xen/`
 * at RELEASE-4.10.4 (excluding xen/arch/arm), plus the early-boot options `edd`, `edid` and `no-real-mode` that
 * xen/arch/x86/boot/cmdline.c parses separately. `ivrs_hpet[` and `ivrs_ioapic[` are prefixes: the real option is
 * `ivrs_hpet[<id>]=<bdf>`.
 */
const KNOWN_LIST =
  'acpi acpi_apic_instance acpi_pstate_strict acpi_skip_timer_override acpi_sleep allow_unsafe altp2m apic ' +
  'apic_verbosity apicv arat asid async-show-all ats availmem badpage bootscrub bootscrub_chunk bti clocksource ' +
  'cmci-threshold cmos-rtc-probe com1 com2 conring_size console console_timestamps console_to_ring conswitch ' +
  'core_parking cpu_type cpufreq cpuid cpuid_mask_cpu cpuid_mask_ecx cpuid_mask_edx cpuid_mask_ext_ecx ' +
  'cpuid_mask_ext_edx cpuid_mask_l7s0_eax cpuid_mask_l7s0_ebx cpuid_mask_thermal_ecx cpuid_mask_xsave_eax cpuidle ' +
  'cpuinfo crashinfo_maxaddr crashkernel credit2_balance_over credit2_balance_under credit2_cap_period_ms ' +
  'credit2_load_precision_shift credit2_load_window_shift credit2_runqueue dbgp debug_stack_lines debugtrace ' +
  'dma_bits dom0 dom0_ioports_disable dom0_max_vcpus dom0_mem dom0_nodes dom0_vcpus_pin dtuart e820-mtrr-clip ' +
  'e820-verbose efi ept extra_guest_irqs flask font force-ept gdb gnttab gnttab_max_frames ' +
  'gnttab_max_maptrack_frames guest_loglvl hap hap_1gb hap_2mb hardware_dom hest_disable highmem-start ' +
  'hpetbroadcast hvm_debug hvm_fep hvm_port80 idle_latency_factor invpcid ioapic_ack iommu ' +
  'iommu_dev_iotlb_timeout iommu_inclusive_mapping irq_ratelimit irq_vector_map ivrs_hpet[ ivrs_ioapic[ lapic ' +
  'lapic_timer_c2_ok ler loglvl low_crashinfo low_mem_virq_limit max_cstate max_gsi_irqs maxcpus mce mce_fb ' +
  'mce_verbosity mem memop-max-order mmcfg mmio-relax msi mtrr.show mwait-idle nmi noapic noirqbalance nolapic ' +
  'noreboot nosmp nr_irqs numa pci pci-phantom pcid pku ple_gap ple_window psr pv-l1tf pv-linear-pt pv-shim ' +
  'rcu-idle-timer-period-ms reboot rmrr ro-hpet sched sched_credit2_migrate_resist sched_credit_tslice_ms ' +
  'sched_ratelimit_us sched_smt_power_savings serial_tx_buffer shim_mem smap smep smt snb_igd_quirk spec-ctrl ' +
  'sync_console tboot tbuf_size tdt tevt_mask tickle_one_idle_cpu timer_slop tmem tmem_compress tsc ucode ' +
  'unrestricted_guest vcpu_migration_delay vesa-map vesa-mtrr vesa-ram vga viridian-spinlock-retry-count ' +
  'viridian-version vpid vpmu watchdog watchdog_timeout x2apic x2apic_phys xpti xsave xsm ' +
  'edd edid no-real-mode';

/** All known names (including the two `[`-prefixes). */
export const KNOWN_XEN_OPTIONS: ReadonlySet<string> = new Set(KNOWN_LIST.split(' '));

/** Names registered with `boolean_param()` in 4.10 (OPT_BOOL): bare = true, `no-NAME` = false, value must be a boolean word. */
export const BOOLEAN_XEN_OPTIONS: ReadonlySet<string> = new Set([
  'acpi_skip_timer_override', 'allow_unsafe', 'altp2m', 'apicv', 'arat', 'asid', 'async-show-all', 'ats',
  'bootscrub', 'cmos-rtc-probe', 'console_to_ring', 'cpuidle', 'cpuinfo', 'dom0_vcpus_pin', 'e820-mtrr-clip',
  'e820-verbose', 'force-ept', 'hap', 'hap_1gb', 'hap_2mb', 'hest_disable', 'hpetbroadcast', 'hvm_fep',
  'hvm_port80', 'invpcid', 'iommu_inclusive_mapping', 'lapic', 'lapic_timer_c2_ok', 'ler', 'mce', 'mmio-relax',
  'msi', 'mtrr.show', 'mwait-idle', 'noapic', 'noirqbalance', 'noreboot', 'nosmp', 'pku', 'pv-linear-pt',
  'pv-shim', 'ro-hpet', 'sched_smt_power_savings', 'smt', 'sync_console', 'tdt', 'tickle_one_idle_cpu', 'tmem',
  'tmem_compress', 'unrestricted_guest', 'vpid', 'x2apic', 'x2apic_phys', 'xsave',
]);

/**
 * Custom-parsed options whose parser accepts a boolean word, so `no-NAME` (which Xen 4.10 turns into `NAME=no`) is
 * meaningful. Their other values are not checked strictly (except cpufreq, which has its own rule).
 */
export const BOOLEAN_LIKE_XEN_OPTIONS: ReadonlySet<string> = new Set([
  'acpi', 'bti', 'console_timestamps', 'cpufreq', 'ept', 'iommu', 'nolapic', 'numa', 'pcid', 'psr', 'pv-l1tf',
  'smap', 'smep', 'snb_igd_quirk', 'spec-ctrl', 'vpmu', 'watchdog', 'xpti',
]);

const BRACKET_PREFIXES = ['ivrs_hpet[', 'ivrs_ioapic['] as const;

/**
 * Is `name` (the text before `=`, without a `no-` prefix) an option Xen 4.10 recognises?
 * `hasValue` matters only for the `ivrs_*[…]` forms, which Xen matches only when a value is given.
 */
export function isKnownXenOption(name: string, hasValue = true): boolean {
  if (name.includes('[')) {
    return hasValue && BRACKET_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
  }
  return KNOWN_XEN_OPTIONS.has(name);
}

/** Is `name` a 4.10 boolean option (OPT_BOOL)? */
export function isBooleanXenOption(name: string): boolean {
  return BOOLEAN_XEN_OPTIONS.has(name);
}
