import { canonicalName, parseXenToken } from './tokenize-xen-args.js';
import { validateXenToken, type ValidateXenOptions, type XenWarning } from './validate-xen-token.js';
import { XenOptionError } from './xen-option-error.js';

/** Xen keeps 1023 characters of the command line (`xen_commandline_t`). */
export const XEN_MAX_CMDLINE_LENGTH = 1023;

/**
 * Check a whole hypervisor argument string without throwing: every token, the total length, and the warnings that
 * need more than one token (an option given twice, console=com1 without com1=). Tokens after a `--` token belong to
 * dom0 and are not checked.
 */
export function lintXenArgs(line: string, opts: ValidateXenOptions = {}): { errors: XenOptionError[]; warnings: XenWarning[] } {
  const errors: XenOptionError[] = [];
  const warnings: XenWarning[] = [];
  const all = line.split(/[ \t]+/).filter((t) => t !== '');
  const cut = all.indexOf('--');
  const texts = cut < 0 ? all : all.slice(0, cut);
  if (line.length > XEN_MAX_CMDLINE_LENGTH) {
    errors.push(new XenOptionError('syntax', '(command line)', `the Xen command line is ${line.length} characters; Xen keeps only ${XEN_MAX_CMDLINE_LENGTH}`));
  }
  const seen = new Map<string, number>();
  let consoleValue: string | null = null;
  const comSet = new Set<string>();
  for (const text of texts) {
    try {
      warnings.push(...validateXenToken(text, opts));
    } catch (e) {
      if (e instanceof XenOptionError) errors.push(e);
      else throw e;
    }
    const tok = parseXenToken(text);
    const { name } = canonicalName(tok);
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if (name === 'console' && tok.value !== null) consoleValue = tok.value;
    if ((name === 'com1' || name === 'com2') && tok.value !== null) comSet.add(name);
  }
  for (const [name, n] of seen) {
    if (n > 1) warnings.push({ code: 'duplicate-option', option: name, message: `${name} is given ${n} times; Xen applies them in order, so the last one wins` });
  }
  if (consoleValue !== null) {
    for (const port of ['com1', 'com2']) {
      if (consoleValue.split(',').some((it) => it.replace(/[HL]$/, '') === port) && !comSet.has(port)) {
        warnings.push({ code: 'console-without-settings', option: 'console', message: `console uses ${port} but there is no ${port}= setting (e.g. ${port}=115200,8n1)` });
      }
    }
  }
  return { errors, warnings };
}
