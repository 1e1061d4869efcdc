import {
  BOOLEAN_LIKE_XEN_OPTIONS,
  isBooleanXenOption,
  isKnownXenOption,
} from './known-xen-options.js';
import { simpleStrtoull } from './parse-size-to-kib.js';
import { suggestXenOption } from './suggest-xen-option.js';
import { canonicalName, parseXenToken } from './tokenize-xen-args.js';
import { printable, XenOptionError } from './xen-option-error.js';

export type XenWarningCode =
  | 'unknown-option'
  | 'no-max'
  | 'small-dom0-mem'
  | 'dom0-mem-exceeds-host'
  | 'autoballoon'
  | 'duplicate-item'
  | 'min-above-amount'
  | 'vcpus-exceed-pcpus'
  | 'deprecated'
  | 'redundant'
  | 'non-numa'
  | 'unchecked-value'
  | 'remote-noreboot'
  | 'debug-only'
  | 'console-none'
  | 'console-without-settings'
  | 'duplicate-option';

/** Something allowed but worth telling the user. */
export interface XenWarning {
  readonly code: XenWarningCode;
  readonly option: string;
  readonly message: string;
}

/** What is known about the host, for the warnings that depend on it. All optional. */
export interface XenHostInfo {
  readonly totalMiB?: number;
  readonly nrCpus?: number;
  readonly nrNodes?: number;
  /** Managed over the network (default true): `noreboot` then means a panic waits for a manual reset. */
  readonly remote?: boolean;
}

export interface ValidateXenOptions {
  /** Keep options Xen 4.10 does not know, with a warning instead of an error. */
  readonly force?: boolean;
  readonly host?: XenHostInfo;
}

/** Xen copies each token into `char opt[128]`: 127 characters survive. */
export const XEN_MAX_TOKEN_LENGTH = 127;

const TRUE_WORDS = new Set(['yes', 'on', 'true', 'enable', '1']);
const FALSE_WORDS = new Set(['no', 'off', 'false', 'disable', '0']);
const BOOL_HINT = 'booleans take yes|on|true|enable|1 or no|off|false|disable|0';

/** Xen's parse_bool(): true, false, or null when the word is not a boolean. */
export function parseXenBool(word: string): boolean | null {
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return null;
}

const NAME_RE = /^[A-Za-z0-9_.\-[\]]+$/;
// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators and BOM.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

function fail(code: XenOptionError['code'], option: string, message: string, hint?: string): never {
  throw new XenOptionError(code, option, message, hint);
}

/** Characters and length: the checks that do not need to know the option. */
function checkTokenText(text: string): void {
  const eq = text.indexOf('=');
  const rawName = eq < 0 ? text : text.slice(0, eq);
  const option = printable(rawName) || '(empty)';
  const ctl = CONTROL_RE.exec(text);
  if (ctl !== null) {
    fail(
      'control-character',
      option,
      `Xen option "${printable(text)}" contains the control character ${printable(ctl[0])}`,
      'remove newlines, tabs, NUL and other control characters',
    );
  }
  if (text === '') fail('syntax', option, 'empty Xen option', 'give NAME or NAME=VALUE');
  if (/\s/.test(text)) {
    fail(
      'syntax',
      option,
      `Xen option "${printable(text)}" contains a blank; Xen splits options on spaces`,
      'one option per argument, with no spaces around "=": write dom0_mem=1024M',
    );
  }
  if (text.length > XEN_MAX_TOKEN_LENGTH) {
    fail(
      'syntax',
      option,
      `Xen option "${printable(text, 40)}" is ${text.length} characters long; Xen truncates options at ${XEN_MAX_TOKEN_LENGTH}`,
    );
  }
  if (/[^\x21-\x7e]/.test(text)) {
    fail('syntax', option, `Xen option "${printable(text)}" contains a non-ASCII character`, 'use plain ASCII');
  }
  // no Xen option uses these; in grub.conf a trailing backslash continues the line, and
  // /etc/sysconfig/xen-kernel (sourced by a shell) must not carry quotes or expansions
  const bad = /[\\"'`$]/.exec(text);
  if (bad) {
    fail('syntax', option, `Xen option "${printable(text)}" contains ${bad[0]}, which no Xen option uses`, 'Xen options are plain words: NAME or NAME=VALUE');
  }
}

/**
 * Check one hypervisor option token against Xen 4.10's rules and the tool's policy (facts §2.3/§2.4).
 * Returns the warnings; throws XenOptionError for anything the tool refuses to write.
 */
export function validateXenToken(text: string, opts: ValidateXenOptions = {}): XenWarning[] {
  checkTokenText(text);
  const tok = parseXenToken(text);
  if (tok.name === '') {
    fail('syntax', '=', `Xen option "${printable(text)}" has no name`, 'no spaces around "=": write dom0_mem=1024M');
  }
  if (!NAME_RE.test(tok.name)) {
    fail('syntax', tok.name, `Xen option name "${tok.name}" contains characters Xen option names never have`);
  }
  if (tok.value === '') {
    fail('syntax', tok.name, `Xen option "${tok.name}=" has an empty value`, `write ${tok.name}=VALUE, or ${tok.name} alone`);
  }
  const { name, negated } = canonicalName(tok);
  const warnings: XenWarning[] = [];

  if (!isKnownXenOption(name, tok.value !== null)) {
    const guess = suggestXenOption(tok.name, tok.value !== null);
    const hint = guess === undefined ? undefined : `did you mean "${guess}"?`;
    if (opts.force) {
      warnings.push({
        code: 'unknown-option',
        option: tok.name,
        message:
          `Xen 4.10 has no option "${tok.name}"; kept because force is set (Xen prints 'parameter "${tok.name}" unknown!' and ignores it)` +
          (hint === undefined ? '' : `; ${hint}`),
      });
      return warnings;
    }
    fail(
      'unknown-option',
      tok.name,
      `Xen 4.10 has no option "${tok.name}" (Xen would print 'parameter "${tok.name}" unknown!' and boot without it)`,
      hint,
    );
  }

  const isBool = isBooleanXenOption(name);
  let value = tok.value;
  if (negated) {
    if (isBool) {
      if (value !== null) {
        fail('invalid-value', name, `Xen option "${text}" stacks "no-" with a value, which Xen leaves undefined`, `write no-${name} or ${name}=${value}`);
      }
    } else if (BOOLEAN_LIKE_XEN_OPTIONS.has(name)) {
      if (value !== null) fail('invalid-value', name, `Xen option "${text}": "no-" cannot be combined with a value`, `write no-${name} or ${name}=${value}`);
      value = 'no'; // Xen 4.10 passes "no" to the option's parser
    } else {
      fail('invalid-value', name, `"${tok.name}": the "no-" prefix only negates boolean options, and ${name} is not one`, `remove ${tok.name}, or write ${name}=VALUE`);
    }
  }

  if (isBool) {
    if (value !== null && parseXenBool(value) === null) {
      fail(
        'invalid-value',
        name,
        `${name}=${value}: ${name} is a boolean and "${value}" is not a boolean word (Xen would ignore it)`,
        `${BOOL_HINT}; to turn it on write ${name} alone`,
      );
    }
    const on = negated ? false : value === null ? true : parseXenBool(value) === true;
    if (name === 'noreboot' && on && opts.host?.remote !== false) {
      warnings.push({
        code: 'remote-noreboot',
        option: name,
        message: 'noreboot: after a Xen or dom0 panic the host waits for a manual reset instead of rebooting into the fallback entry',
      });
    }
    if (name === 'sync_console' && on) {
      warnings.push({ code: 'debug-only', option: name, message: 'sync_console is for debugging only and "not suitable for production" (it slows Xen down)' });
    }
    return warnings;
  }

  switch (name) {
    case 'dom0_mem':
      warnings.push(...checkDom0Mem(value, opts.host));
      break;
    case 'dom0_max_vcpus':
      warnings.push(...checkDom0MaxVcpus(value, opts.host));
      break;
    case 'cpufreq':
      warnings.push(...checkCpufreq(value));
      break;
    case 'console':
      warnings.push(...checkConsole(value));
      break;
    case 'com1':
    case 'com2':
      warnings.push(...checkCom(name, value));
      break;
    case 'loglvl':
    case 'guest_loglvl':
      checkLoglvl(name, value);
      break;
    case 'dom0_nodes':
      warnings.push(...checkDom0Nodes(value, opts.host));
      break;
    default:
      break;
  }
  return warnings;
}

// ---------------------------------------------------------------- dom0_mem

interface SizeItem {
  readonly kind: 'amount' | 'min' | 'max';
  readonly neg: boolean;
  readonly mib: number;
  readonly text: string;
  readonly unit: string;
}

const UNIT_MIB: Readonly<Record<string, number>> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };
const SIZE_FORMAT_HINT = 'format: [min:|max:][-]N<K|M|G|T>, e.g. dom0_mem=1024M,max:1024M';

function fmtMiB(mib: number): string {
  if (mib >= 1024 && mib % 1024 === 0) return `${mib / 1024}G`;
  if (Number.isInteger(mib)) return `${mib}M`;
  return `${Math.round(mib * 1024)}K`;
}

function parseSizeItem(item: string, option: string): SizeItem {
  let rest = item;
  let kind: SizeItem['kind'] = 'amount';
  if (rest.startsWith('min:')) {
    kind = 'min';
    rest = rest.slice(4);
  } else if (rest.startsWith('max:')) {
    kind = 'max';
    rest = rest.slice(4);
  } else {
    const pre = /^([A-Za-z][A-Za-z0-9_]*)[:=]/.exec(rest);
    if (pre !== null) {
      if (pre[1] === option) fail('invalid-value', option, `${option}: the value "${item}" repeats the option name`, `give only the value, e.g. ${rest.slice(option.length + 1) || '1024M'}`);
      fail('invalid-value', option, `${option}: "${item}" has an unknown prefix "${pre[1]}"`, 'use min:SIZE or max:SIZE (lower case)');
    }
  }
  const neg = rest.startsWith('-');
  const body = neg ? rest.slice(1) : rest;
  const sign = neg ? '-' : '';
  const prefix = kind === 'amount' ? '' : `${kind}:`;
  if (body === '') fail('invalid-value', option, `${option}: "${item}" has no size`, SIZE_FORMAT_HINT);
  if (body.includes('%')) {
    fail('invalid-value', option, `${option}: percentages ("${item}") exist only from Xen 4.12; Xen 4.10 misreads them as KiB`, 'write an absolute size such as 1024M');
  }
  const frac = /^(\d+)\.(\d+)([A-Za-z]*)$/.exec(body);
  if (frac !== null) {
    const unit = (frac[3] ?? '').toUpperCase().charAt(0);
    const mult = UNIT_MIB[unit];
    const mib = mult === undefined ? undefined : Number(`${frac[1]}.${frac[2]}`) * mult;
    const hint =
      mib !== undefined && Number.isInteger(mib) ? `Xen has no fractions: write ${prefix}${sign}${mib}M` : 'Xen has no fractions: write a whole number of M';
    fail('invalid-value', option, `${option}: "${item}" is a fraction; Xen 4.10 stops at the "." and ignores the value`, hint);
  }
  if (/^0[xX]/.test(body)) {
    fail('invalid-value', option, `${option}: "${item}" is hexadecimal`, 'write a decimal size such as 1024M');
  }
  const m = /^(\d+)([A-Za-z]*)$/.exec(body);
  if (m === null) fail('invalid-value', option, `${option}: "${item}" is not a size`, SIZE_FORMAT_HINT);
  const digits = m[1] ?? '';
  const unit = m[2] ?? '';
  if (/^0+$/.test(digits)) {
    fail('invalid-value', option, `${option}: "${item}" is zero, which Xen treats as "not set"`, 'give a size such as 1024M');
  }
  const plain = digits.replace(/^0+/, '');
  if (digits.startsWith('0')) {
    const asOctal = Number(simpleStrtoull(digits).value);
    const what = /^[0-7]+$/.test(digits) ? `octal in Xen (${digits} = ${asOctal})` : `read as octal by Xen, and ${digits} is not a valid octal number`;
    fail('invalid-value', option, `${option}: "${item}" has a leading 0, so the number is ${what}`, `write ${prefix}${sign}${plain}${unit || 'M'}`);
  }
  if (unit === '') {
    fail('invalid-value', option, `${option}: "${item}" has no unit, and Xen reads a size without a unit as KiB`, `a size without a unit is KiB in Xen: write ${prefix}${sign}${digits}M`);
  }
  if (/^[Bb]$/.test(unit)) {
    fail('invalid-value', option, `${option}: "${item}" is in bytes`, `write the size in K, M or G, e.g. ${prefix}${sign}1024M`);
  }
  const longUnit = /^([KMGTkmgt])(?:i?[Bb])$/.exec(unit);
  if (longUnit !== null) {
    fail('invalid-value', option, `${option}: "${item}" uses the unit "${unit}"; Xen takes a single letter and reports the rest as invalid`, `write ${prefix}${sign}${digits}${(longUnit[1] ?? 'M').toUpperCase()}`);
  }
  if (!/^[KMGTkmgt]$/.test(unit)) {
    fail('invalid-value', option, `${option}: "${item}" has the unknown unit "${unit}"`, SIZE_FORMAT_HINT);
  }
  const mib = Number(digits) * (UNIT_MIB[unit.toUpperCase()] ?? 1);
  if (!Number.isSafeInteger(Math.ceil(mib)) || mib > 2 ** 40) {
    fail('invalid-value', option, `${option}: "${item}" is far larger than any host`, SIZE_FORMAT_HINT);
  }
  return { kind, neg, mib, text: item, unit };
}

/** a < b, where negative values mean "total minus"; null when that cannot be decided without the host size. */
function sizeLess(a: SizeItem, b: SizeItem, totalMiB: number | undefined): boolean | null {
  if (a.neg === b.neg) return a.neg ? a.mib > b.mib : a.mib < b.mib;
  if (totalMiB === undefined) return null;
  const ea = a.neg ? totalMiB - a.mib : a.mib;
  const eb = b.neg ? totalMiB - b.mib : b.mib;
  return ea < eb;
}

function checkDom0Mem(value: string | null, host: XenHostInfo | undefined): XenWarning[] {
  const option = 'dom0_mem';
  if (value === null) fail('invalid-value', option, 'dom0_mem needs a value (alone it means "not set")', 'write dom0_mem=1024M,max:1024M');
  const items = value.split(',');
  const parsed: SizeItem[] = [];
  for (const item of items) {
    if (item === '') fail('invalid-value', option, `dom0_mem=${value} has an empty list item`, SIZE_FORMAT_HINT);
    parsed.push(parseSizeItem(item, option));
  }
  const warnings: XenWarning[] = [];
  const last = (kind: SizeItem['kind']): SizeItem | undefined => parsed.filter((p) => p.kind === kind).pop();
  for (const kind of ['amount', 'min', 'max'] as const) {
    if (parsed.filter((p) => p.kind === kind).length > 1) {
      warnings.push({ code: 'duplicate-item', option, message: `dom0_mem=${value} gives ${kind === 'amount' ? 'the amount' : `${kind}:`} more than once; Xen uses the last` });
    }
  }
  const amount = last('amount');
  const min = last('min');
  const max = last('max');
  const total = host?.totalMiB;
  if (amount !== undefined && max !== undefined && sizeLess(max, amount, total) === true) {
    fail('invalid-value', option, `dom0_mem: max:${max.text.slice(4)} is below the amount ${amount.text}, so Xen would cut dom0 down to the max`, `make max: at least the amount: ${amount.text},max:${amount.text}`);
  }
  if (min !== undefined && max !== undefined && sizeLess(max, min, total) === true) {
    fail('invalid-value', option, `dom0_mem: ${min.text} is above ${max.text}; Xen ignores a min above the max`, 'make min: at most max:');
  }
  if (amount !== undefined && min !== undefined && sizeLess(amount, min, total) === true) {
    warnings.push({ code: 'min-above-amount', option, message: `dom0_mem: ${min.text} is above the amount ${amount.text}; dom0 gets the min` });
  }
  if (max === undefined) {
    warnings.push({ code: 'no-max', option, message: `dom0_mem=${value} has no max:, so dom0 may balloon without limit; Best Practices write dom0_mem=N,max:N` });
  }
  const fixed = amount ?? max;
  if (fixed !== undefined && !fixed.neg && fixed.mib < 512) {
    warnings.push({ code: 'small-dom0-mem', option, message: `dom0_mem: ${fmtMiB(fixed.mib)} for dom0 is below 512M; dom0 may run out of memory` });
  }
  if (amount !== undefined && !amount.neg && total !== undefined && amount.mib >= total) {
    warnings.push({ code: 'dom0-mem-exceeds-host', option, message: `dom0_mem: ${amount.text} is not less than the host's ${total}M; nothing is left for guests` });
  }
  if (total !== undefined && amount !== undefined && amount.neg && amount.mib >= total) {
    warnings.push({ code: 'dom0-mem-exceeds-host', option, message: `dom0_mem: ${amount.text} subtracts at least the host's ${total}M` });
  }
  if (parsed.some((p) => p.neg || /^[Tt]$/.test(p.unit))) {
    warnings.push({ code: 'autoballoon', option, message: `dom0_mem=${value}: xl's autoballoon="auto" does not recognise negative sizes or T, so ballooning stays on; set autoballoon="off" in /etc/xen/xl.conf` });
  }
  return warnings;
}

// ---------------------------------------------------------------- dom0_max_vcpus

function checkDom0MaxVcpus(value: string | null, host: XenHostInfo | undefined): XenWarning[] {
  const option = 'dom0_max_vcpus';
  const formats = 'use N, N-, N-M or -M with N, M ≥ 1, e.g. dom0_max_vcpus=2';
  if (value === null) fail('invalid-value', option, 'dom0_max_vcpus needs a value', formats);
  if (!/^(?:[1-9]\d*(?:-(?:[1-9]\d*)?)?|-[1-9]\d*)$/.test(value)) {
    if (/^0+$/.test(value)) fail('invalid-value', option, `dom0_max_vcpus=${value}: Xen turns 0 into 1`, 'write dom0_max_vcpus=1');
    if (/^0+-/.test(value)) fail('invalid-value', option, `dom0_max_vcpus=${value}: a minimum of 0 becomes 1 in Xen`, `write dom0_max_vcpus=1-${value.replace(/^0+-/, '')}`);
    if (/-0+$/.test(value)) fail('invalid-value', option, `dom0_max_vcpus=${value}: a maximum of 0 leaves dom0 without vCPUs`, formats);
    if (/(^|-)0\d/.test(value)) {
      fail('invalid-value', option, `dom0_max_vcpus=${value}: a leading 0 makes Xen read the number as octal`, `write dom0_max_vcpus=${value.replace(/(^|-)0+(?=\d)/g, '$1')}`);
    }
    fail('invalid-value', option, `dom0_max_vcpus=${value} is not a vCPU count or range`, formats);
  }
  const [lo, hi] = value.split('-');
  const min = lo === '' || lo === undefined ? 1 : Number(lo);
  const max = hi === undefined ? min : hi === '' ? Infinity : Number(hi);
  if (min > 0xffffffff || (Number.isFinite(max) && max > 0xffffffff)) {
    fail('invalid-value', option, `dom0_max_vcpus=${value} is larger than Xen can store`, formats);
  }
  if (min > max) fail('invalid-value', option, `dom0_max_vcpus=${value}: the minimum ${min} is above the maximum ${max}`, `write dom0_max_vcpus=${max}-${min}`);
  const warnings: XenWarning[] = [];
  const nr = host?.nrCpus;
  if (nr !== undefined && lo !== '' && min > nr) {
    warnings.push({ code: 'vcpus-exceed-pcpus', option, message: `dom0_max_vcpus=${value} gives dom0 at least ${min} vCPUs on a host with ${nr} CPUs; with dom0_vcpus_pin the vCPUs share CPUs` });
  }
  return warnings;
}

// ---------------------------------------------------------------- cpufreq

const GOVERNORS = new Set(['powersave', 'performance', 'ondemand', 'userspace']);

function checkCpufreq(value: string | null): XenWarning[] {
  const option = 'cpufreq';
  if (value === null) fail('invalid-value', option, 'cpufreq needs a value (Xen rejects a bare cpufreq)', 'cpufreq=xen is the default; cpufreq=none turns it off');
  const cut = value.search(/[:,]/);
  const head = cut < 0 ? value : value.slice(0, cut);
  const rest = cut < 0 ? null : value.slice(cut + 1);
  const b = parseXenBool(head);
  if (head !== 'none' && head !== 'dom0-kernel' && head !== 'xen' && b === null) {
    const hint = GOVERNORS.has(head) ? `a governor goes after xen: write cpufreq=xen:${value}` : 'use none, dom0-kernel, or xen[:GOVERNOR][,maxfreq=N][,minfreq=N][,verbose]';
    fail('invalid-value', option, `cpufreq=${value}: "${head}" is not a cpufreq mode`, hint);
  }
  if (rest !== null && (head === 'none' || head === 'dom0-kernel' || b === false)) {
    fail('invalid-value', option, `cpufreq=${value}: ${head} takes no sub-options`, `write cpufreq=${head}`);
  }
  if (rest !== null) {
    const items = rest.split(',');
    items.forEach((it, i) => {
      if (it === '') fail('invalid-value', option, `cpufreq=${value} has an empty sub-option`, 'remove the extra "," or ":"');
      if (i === 0 && GOVERNORS.has(it)) return;
      if (/^(?:maxfreq|minfreq|rate|up_threshold|bias|speed)=\d+$/.test(it) || /^verbose(?:=\d+)?$/.test(it)) return;
      const hint = GOVERNORS.has(it)
        ? 'the governor must come first: cpufreq=xen:GOVERNOR,…'
        : /^\d+$/.test(it)
          ? `Xen 4.10 wants key=value: write maxfreq=${it} or minfreq=${it}`
          : 'sub-options: a governor first (powersave|performance|ondemand|userspace), then maxfreq=N, minfreq=N, verbose';
      fail('invalid-value', option, `cpufreq=${value}: unknown sub-option "${it}"`, hint);
    });
  }
  const warnings: XenWarning[] = [];
  if (head === 'dom0-kernel') {
    warnings.push({ code: 'deprecated', option, message: 'cpufreq=dom0-kernel is deprecated, and it also turns on dom0_vcpus_pin' });
  }
  if (value === 'xen') warnings.push({ code: 'redundant', option, message: 'cpufreq=xen is the default; the option can be left out' });
  return warnings;
}

// ---------------------------------------------------------------- console, com1/com2, loglvl, dom0_nodes

const CONSOLE_ITEM_RE = /^(?:vga|com[12][HL]?|dbgp|pv|none)$/;
const CONSOLE_ITEMS_HINT = 'items: vga, com1, com2 (optionally with H or L), dbgp, pv, none';

function checkConsole(value: string | null): XenWarning[] {
  const option = 'console';
  if (value === null) fail('invalid-value', option, 'console needs a value (alone it leaves Xen without a console)', 'e.g. console=com1,vga');
  if (value.length > 29) {
    fail('invalid-value', option, `console=${value} is ${value.length} characters; Xen keeps only the first 29`, CONSOLE_ITEMS_HINT);
  }
  const items = value.split(',');
  for (const it of items) {
    if (it === '') fail('invalid-value', option, `console=${value} has an empty item`, CONSOLE_ITEMS_HINT);
    if (CONSOLE_ITEM_RE.test(it)) continue;
    if (/^(?:tty|tty\d+|ttyS\d+|hvc\d+)$/.test(it)) {
      const keep = items.filter((x) => CONSOLE_ITEM_RE.test(x));
      fail(
        'invalid-value',
        option,
        `console=${value}: "${it}" is a Linux console name, not a Xen one (Xen prints "Bad console= option '${it}'")`,
        keep.length > 0 ? `remove it: write console=${keep.join(',')}` : 'Linux console names belong on the dom0 module line; Xen uses com1 or vga',
      );
    }
    fail('invalid-value', option, `console=${value}: "${it}" is not a Xen console`, CONSOLE_ITEMS_HINT);
  }
  if (items.includes('none') && items.length > 1) {
    return [{ code: 'console-none', option, message: `console=${value}: "none" only makes sense on its own` }];
  }
  return [];
}

const COM_RE = /^(?:\d+|auto)(?:\/\d+)?(?:,(?:[5-8][noems][12])?)?(?:,(?:0x[0-9a-fA-F]+|pci|amt)?)?(?:,\d*)?$/;

function checkCom(option: string, value: string | null): XenWarning[] {
  if (value === null) fail('invalid-value', option, `${option} needs a value`, `e.g. ${option}=115200,8n1`);
  if (COM_RE.test(value)) return [];
  if (value.includes('=') || /[0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2}\.[0-7]/.test(value)) {
    return [{ code: 'unchecked-value', option, message: `${option}=${value} uses a form the tool does not check (name=value or PCI address); written as given` }];
  }
  fail('invalid-value', option, `${option}=${value} is not a serial port setting`, `format: <baud>[/<clock>][,DPS][,<io-base>|pci|amt][,<irq>], e.g. ${option}=115200,8n1`);
}

const LOG_LEVEL_RE = /^(?:none|error|warning|info|debug|all)(?:\/(?:none|error|warning|info|debug|all))?$/;

function checkLoglvl(option: string, value: string | null): void {
  const levels = 'levels: none|error|warning|info|debug|all, optionally LEVEL/RATE-LIMITED-LEVEL';
  if (value === null) fail('invalid-value', option, `${option} needs a value`, levels);
  if (LOG_LEVEL_RE.test(value)) return;
  const hint = /verbose/i.test(value) ? 'did you mean "all"?' : levels;
  fail('invalid-value', option, `${option}=${value} is not a Xen log level (Xen would fall back to warning)`, hint);
}

function checkDom0Nodes(value: string | null, host: XenHostInfo | undefined): XenWarning[] {
  const option = 'dom0_nodes';
  const fmt = 'a comma list of NUMA node (PXM) numbers, relaxed, strict';
  if (value === null) fail('invalid-value', option, 'dom0_nodes needs a value', fmt);
  if (!/^(?:\d+|relaxed|strict)(?:,(?:\d+|relaxed|strict))*$/.test(value)) {
    fail('invalid-value', option, `dom0_nodes=${value} is not a node list`, fmt);
  }
  if (host?.nrNodes === 1) {
    return [{ code: 'non-numa', option, message: `dom0_nodes=${value} on a host with a single NUMA node has no effect` }];
  }
  return [];
}
