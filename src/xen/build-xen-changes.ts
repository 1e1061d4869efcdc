import { canonicalName, makeXenToken, parseXenToken, type XenToken } from './tokenize-xen-args.js';
import { validateXenToken, type XenHostInfo, type XenWarning } from './validate-xen-token.js';
import { XenOptionError } from './xen-option-error.js';

/** What the user asked for on the hypervisor line. */
export interface Dom0Request {
  /** dom0_mem value, e.g. "1024M" or "1024M,max:2048M". */
  dom0Mem?: string;
  /** Default true: write dom0_mem=SIZE,max:SIZE unless dom0Mem already contains max:. */
  memMax?: boolean;
  /** dom0_max_vcpus value: "N", "N-", "N-M" or "-M". */
  dom0Vcpus?: string;
  /** true → dom0_vcpus_pin; false → remove it (and any no-/=value form). */
  pin?: boolean;
  /** Further options, each "KEY[=VALUE]". */
  extra?: string[];
  /** Keep options Xen 4.10 does not know (with a warning). */
  force?: boolean;
  /** Host facts for the host-dependent warnings. */
  host?: XenHostInfo;
}

/** Key-wise edits to a hypervisor argument string: `set` replaces or appends by canonical name, `remove` drops names. */
export interface XenChanges {
  set: XenToken[];
  remove: string[];
}

/** Add `,max:AMOUNT` when the value has a plain amount and no max:. */
export function withMemMax(dom0Mem: string): string {
  const items = dom0Mem.split(',');
  if (items.some((i) => i.startsWith('max:'))) return dom0Mem;
  const amount = items.filter((i) => i !== '' && !i.startsWith('min:')).pop();
  return amount === undefined ? dom0Mem : `${dom0Mem},max:${amount}`;
}

function conflict(option: string, message: string, hint?: string): never {
  throw new XenOptionError('conflict', option, message, hint);
}

function dedupeWarnings(ws: XenWarning[]): XenWarning[] {
  const seen = new Set<string>();
  return ws.filter((w) => {
    const k = `${w.code}\u0000${w.option}\u0000${w.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Turn a request into validated changes. Everything is checked before anything is returned; the first problem is
 * thrown as a XenOptionError naming the option (code `conflict` when two parts of the request set the same option).
 */
export function buildXenChanges(req: Dom0Request): { changes: XenChanges; warnings: XenWarning[] } {
  const opts = { force: req.force ?? false, ...(req.host === undefined ? {} : { host: req.host }) };
  const warnings: XenWarning[] = [];
  const set: XenToken[] = [];
  const remove: string[] = [];

  // Extras first, so conflicts with the dedicated fields are found before anything else is built.
  const extras: { token: XenToken; name: string }[] = [];
  const forced = new Set<string>();
  for (const raw of req.extra ?? []) {
    warnings.push(...validateXenToken(raw, opts));
    const token = parseXenToken(raw);
    if (warnings.some((w) => w.code === 'unknown-option' && w.option === token.name)) forced.add(token.name);
    const { name } = canonicalName(token, forced);
    const same = extras.find((e) => e.name === name);
    if (same !== undefined) {
      if (same.token.text === token.text) continue;
      conflict(name, `${name} is given twice in the extra options ("${same.token.text}" and "${token.text}")`, 'keep one of them');
    }
    extras.push({ token, name });
  }
  const extraFor = (name: string) => extras.find((e) => e.name === name);

  if (req.dom0Mem !== undefined) {
    const other = extraFor('dom0_mem');
    if (other !== undefined) conflict('dom0_mem', `dom0_mem is given twice: as the dom0 memory (${req.dom0Mem}) and as the extra option "${other.token.text}"`, 'give dom0_mem only once');
    const value = req.memMax === false ? req.dom0Mem : withMemMax(req.dom0Mem);
    const text = `dom0_mem=${value}`;
    warnings.push(...validateXenToken(text, opts));
    set.push(makeXenToken('dom0_mem', value));
  }
  if (req.dom0Vcpus !== undefined) {
    const other = extraFor('dom0_max_vcpus');
    if (other !== undefined) conflict('dom0_max_vcpus', `dom0_max_vcpus is given twice: as the dom0 vCPUs (${req.dom0Vcpus}) and as the extra option "${other.token.text}"`, 'give dom0_max_vcpus only once');
    warnings.push(...validateXenToken(`dom0_max_vcpus=${req.dom0Vcpus}`, opts));
    set.push(makeXenToken('dom0_max_vcpus', req.dom0Vcpus));
  }
  if (req.pin !== undefined) {
    const other = extraFor('dom0_vcpus_pin');
    if (other !== undefined) conflict('dom0_vcpus_pin', `dom0_vcpus_pin is given twice: as the pinning choice (${req.pin ? 'pin' : 'no pin'}) and as the extra option "${other.token.text}"`, 'give dom0_vcpus_pin only once');
    if (req.pin) set.push(makeXenToken('dom0_vcpus_pin'));
    else {
      const cf = extraFor('cpufreq');
      if (cf !== undefined && cf.token.value === 'dom0-kernel') {
        conflict('cpufreq', `"${cf.token.text}" turns dom0_vcpus_pin on, but the request removes pinning`, 'drop cpufreq=dom0-kernel (it is deprecated) or keep pinning');
      }
      remove.push('dom0_vcpus_pin');
    }
  }
  for (const e of extras) set.push(e.token);

  return { changes: { set, remove }, warnings: dedupeWarnings(warnings) };
}
