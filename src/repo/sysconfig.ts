/**
 * Edits of the sysconfig files that decide what later kernel updates write into grub.conf,
 * and of /etc/xen/xl.conf. Each edit changes only the lines of its keys; every other byte
 * stays; a file that already says what is wanted comes back unchanged (same string).
 */
import { TemplateError, shown } from './template-error.js';
import { renderTemplate } from './templates.js';
import { assertShellSafe, insertLine, parseShellVars, setShellVar, splitLines } from './shell-vars.js';

export const XEN_KERNEL_SYSCONFIG_PATH = '/etc/sysconfig/xen-kernel';
export const KERNEL_SYSCONFIG_PATH = '/etc/sysconfig/kernel';
export const XL_CONF_PATH = '/etc/xen/xl.conf';

const commented = (key: string) => new RegExp(`^[ \\t]*#[ \\t]*${key}[ \\t]*=`);

/**
 * /etc/sysconfig/xen-kernel with `XEN_KERNEL_ARGS="<xenArgs>"`: the hypervisor arguments
 * grub-bootxen.sh gives the Xen entry it writes after a kernel update, so they must equal the
 * grub entry's. A missing file is created in the shape the xen-hypervisor package ships.
 */
export function updateXenKernelSysconfig(existing: string | null, xenArgs: string, opts: { bootXenAsDefault?: 'yes' | 'no' } = {}): string {
  assertShellSafe('XEN_KERNEL_ARGS', xenArgs);
  const boot = opts.bootXenAsDefault;
  if (existing === null) return renderTemplate('xen-kernel.njk', { xenArgs, bootXenAsDefault: boot ?? 'yes' });
  let text = setShellVar(existing, 'XEN_KERNEL_ARGS', `"${xenArgs}"`, xenArgs, { after: commented('XEN_KERNEL_ARGS') });
  // grub-bootxen.sh compares the lowercased value with "no"
  if (boot !== undefined) text = setShellVar(text, 'BOOT_XEN_AS_DEFAULT', `"${boot}"`, boot, { same: (v) => (v.toLowerCase() === 'no') === (boot === 'no'), after: commented('BOOT_XEN_AS_DEFAULT') });
  return text;
}

/**
 * /etc/sysconfig/kernel with `UPDATEDEFAULT=<value>`: new-kernel-pkg makes a newly installed kernel
 * the default only when it is exactly "yes" (and DEFAULTKERNEL names the package).
 */
export function setKernelUpdateDefault(existing: string, value: 'yes' | 'no'): string {
  return setShellVar(existing, 'UPDATEDEFAULT', value, value, { same: (v) => (v === 'yes') === (value === 'yes'), after: commented('UPDATEDEFAULT') });
}

export interface XenKernelSysconfig {
  /** grub-bootxen.sh does nothing when this is "no" (any case); anything else counts as yes. */
  bootXenAsDefault: boolean;
  xenKernelArgs: string | null;
  linuxXenKernelArgs: string | null;
}

export function parseXenKernelSysconfig(text: string): XenKernelSysconfig {
  const v = parseShellVars(text);
  return {
    bootXenAsDefault: (v.get('BOOT_XEN_AS_DEFAULT') ?? '').toLowerCase() !== 'no',
    xenKernelArgs: v.get('XEN_KERNEL_ARGS') ?? null,
    linuxXenKernelArgs: v.get('LINUX_XEN_KERNEL_ARGS') ?? null,
  };
}

export interface KernelHypervisor {
  /** Absolute path of the hypervisor image as new-kernel-pkg passes it to grubby: '/boot/xen.gz'. */
  hypervisor: string;
  hypervisorArgs: string;
}

export const DEFAULT_HYPERVISOR = '/boot/xen.gz';

/**
 * /etc/sysconfig/kernel with `HYPERVISOR=` and `HYPERVISOR_ARGS=`: grubby ≥ 7.0.15-4's
 * new-kernel-pkg reads them and makes every newly installed kernel a multiboot (Xen) entry.
 * A missing file is created as the stock EL6 one plus these two lines.
 */
export function updateKernelSysconfig(existing: string | null, want: KernelHypervisor): string {
  const { hypervisor, hypervisorArgs } = want;
  if (!/^\/(?:[A-Za-z0-9._+-]+\/)*[A-Za-z0-9._+-]+$/.test(hypervisor) || hypervisor.split('/').some((p) => p === '.' || p === '..')) {
    throw new TemplateError('invalid-path', hypervisor, `HYPERVISOR "${shown(hypervisor)}" is not a plain absolute path`, `write the hypervisor image path, e.g. ${DEFAULT_HYPERVISOR}`);
  }
  assertShellSafe('HYPERVISOR_ARGS', hypervisorArgs);
  let text = existing ?? renderTemplate('sysconfig-kernel.njk', {});
  text = setShellVar(text, 'HYPERVISOR', hypervisor, hypervisor, { after: commented('HYPERVISOR') });
  text = setShellVar(text, 'HYPERVISOR_ARGS', `"${hypervisorArgs}"`, hypervisorArgs, { after: /^[ \t]*(?:export[ \t]+)?HYPERVISOR=/ });
  return text;
}

export interface KernelSysconfig {
  /** new-kernel-pkg makes a new kernel the default only when this is exactly "yes". */
  updateDefault: boolean;
  defaultKernel: string | null;
  hypervisor: string | null;
  hypervisorArgs: string | null;
  /** Every assigned variable (last assignment wins). */
  vars: ReadonlyMap<string, string>;
}

export function parseKernelSysconfig(text: string): KernelSysconfig {
  const vars = parseShellVars(text);
  return {
    updateDefault: vars.get('UPDATEDEFAULT') === 'yes',
    defaultKernel: vars.get('DEFAULTKERNEL') ?? null,
    hypervisor: vars.get('HYPERVISOR') || null,
    hypervisorArgs: vars.has('HYPERVISOR_ARGS') ? (vars.get('HYPERVISOR_ARGS') as string) : null,
    vars,
  };
}

export type AutoballoonMode = 'off' | 'on' | 'auto';

const XL_ACTIVE = /^([ \t]*)autoballoon[ \t]*=[ \t]*(.*?)[ \t]*(?:#.*)?$/;
const XL_COMMENTED = /^[ \t]*#[ \t]*autoballoon[ \t]*=/;

/** What xl makes of an `autoballoon` value (`tools/xl/xl.c` parse_global_config), or null if it rejects it. */
function autoballoonOf(raw: string): AutoballoonMode | null {
  let v = raw.replace(/;$/, '').trim();
  const q = /^"(.*)"$/.exec(v) ?? /^'(.*)'$/.exec(v);
  if (q) v = q[1] as string;
  if (v === 'on' || v === '1') return 'on';
  if (v === 'off' || v === '0') return 'off';
  if (v === 'auto') return 'auto';
  return null;
}

/** The autoballoon setting xl uses: the last active line, or null when there is none (xl's default is "auto"). */
export function readXlConfAutoballoon(text: string): AutoballoonMode | null {
  let mode: AutoballoonMode | null = null;
  for (const l of splitLines(text)) {
    const m = XL_ACTIVE.exec(l.text);
    if (m) mode = autoballoonOf(m[2] as string);
  }
  return mode;
}

/**
 * /etc/xen/xl.conf with `autoballoon="<mode>"`: active lines are rewritten in place; without
 * one, the line goes after the commented default (`#autoballoon="auto"`) or at the end.
 * Lines that already mean `mode` (`autoballoon=0` for off) are left as they are.
 */
export function setXlConfAutoballoon(existing: string | null, mode: AutoballoonMode = 'off'): string {
  if (mode !== 'off' && mode !== 'on' && mode !== 'auto') {
    throw new TemplateError('invalid-value', String(mode), `autoballoon "${shown(String(mode))}" is not off, on or auto`, 'use autoballoon="off" with a fixed dom0_mem');
  }
  const text = existing ?? renderTemplate('xl.conf.njk', {});
  const lines = splitLines(text);
  const active = lines.map((l, i) => ({ i, m: XL_ACTIVE.exec(l.text) })).filter((x) => x.m !== null);
  const line = `autoballoon="${mode}"`;
  if (active.length > 0) {
    if (active.every((x) => autoballoonOf((x.m as RegExpExecArray)[2] as string) === mode)) return text;
    const next = lines.slice();
    for (const { i, m } of active) next[i] = { text: `${(m as RegExpExecArray)[1] as string}${line}`, eol: (lines[i] as { eol: string }).eol };
    return next.map((l) => l.text + l.eol).join('');
  }
  return insertLine(lines, line, XL_COMMENTED);
}
