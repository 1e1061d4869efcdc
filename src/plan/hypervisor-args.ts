/**
 * From the user's Dom0 options to the function the grub rewrite calls for the hypervisor
 * line. Pure. New Xen entries get the tool's defaults when no Xen option was given at all
 * (Xen best practice: a fixed dom0_mem with the same max; 2 pinned vcpus); an existing
 * entry without options keeps its arguments.
 */
import { applyXenChanges, buildXenChanges, type XenChanges, type XenHostInfo, type XenWarning } from '../xen/index.js';

export interface Dom0Options {
  dom0Mem?: string;
  /** false: write dom0_mem exactly as given (no automatic `,max:`). */
  dom0MemMax?: boolean;
  dom0Vcpus?: string;
  pin?: boolean;
  xenArg?: string[];
  force?: boolean;
}

export const DEFAULT_DOM0 = { dom0Mem: '1024M', dom0Vcpus: '2', pin: true } as const;

export interface HypervisorArgs {
  /** For toXenEntry: new args from the existing ones (null for a new entry). */
  fn: (existing: string | null) => string;
  /** The changes asked for (empty when none). */
  changes: XenChanges;
  /** The changes a new entry gets. */
  changesForNew: XenChanges;
  warnings: XenWarning[];
  /** True when no Xen option was given. */
  usesDefaults: boolean;
}

export function hasDom0Options(o: Dom0Options): boolean {
  return o.dom0Mem !== undefined || o.dom0Vcpus !== undefined || o.pin !== undefined || (o.xenArg?.length ?? 0) > 0;
}

export function makeHypervisorArgs(o: Dom0Options, host?: XenHostInfo, defaults: { dom0Mem?: string; dom0Vcpus?: string; pin?: boolean } = DEFAULT_DOM0): HypervisorArgs {
  const build = (x: Dom0Options) => {
    const req: Parameters<typeof buildXenChanges>[0] = { extra: x.xenArg ?? [], force: x.force ?? false };
    if (x.dom0Mem !== undefined) req.dom0Mem = x.dom0Mem;
    if (x.dom0MemMax !== undefined) req.memMax = x.dom0MemMax;
    if (x.dom0Vcpus !== undefined) req.dom0Vcpus = x.dom0Vcpus;
    if (x.pin !== undefined) req.pin = x.pin;
    if (host) req.host = host;
    return buildXenChanges(req);
  };
  const usesDefaults = !hasDom0Options(o);
  const asked = build(o);
  const forNew = usesDefaults ? build({ ...defaults, force: o.force ?? false }) : asked;
  return {
    fn: (existing) => applyXenChanges(existing ?? '', existing === null ? forNew.changes : asked.changes),
    changes: asked.changes,
    changesForNew: forNew.changes,
    warnings: usesDefaults ? forNew.warnings : asked.warnings,
    usesDefaults,
  };
}
