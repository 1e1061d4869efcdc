import type { XenChanges } from './build-xen-changes.js';
import { isBooleanXenOption } from './known-xen-options.js';
import { canonicalName, tokenizeXenArgs, type XenToken } from './tokenize-xen-args.js';
import { parseXenBool } from './validate-xen-token.js';

/**
 * The value Xen ends up with for one token, in a form that compares equal when Xen treats two spellings the same:
 * booleans become "true"/"false" (or "invalid:…" for a non-boolean word, which Xen ignores); `no-X` of another
 * option becomes "no" (what Xen 4.10 passes to its parser); other values are compared verbatim.
 */
export function effectiveXenValue(token: Pick<XenToken, 'name' | 'value'>, names?: ReadonlySet<string>): { name: string; value: string } {
  const { name, negated } = canonicalName(token, names);
  if (isBooleanXenOption(name) || (negated && names?.has(name))) {
    if (token.value === null) return { name, value: negated ? 'false' : 'true' };
    const b = parseXenBool(token.value);
    if (b === null || negated) return { name, value: `invalid:${negated ? 'no-' : ''}${token.value}` };
    return { name, value: String(b) };
  }
  if (negated) return { name, value: token.value === null ? 'no' : `invalid:no-${token.value}` };
  return { name, value: token.value ?? '' };
}

/**
 * Does a booted command line (`xl info xen_commandline`) carry the requested changes? Compared as key=value sets,
 * order-insensitive, the last occurrence of a name winning as in Xen. `missing` lists the requested tokens that are
 * absent or have another value; `unexpected` lists tokens of removed names that are still there.
 */
export function xenArgsSatisfy(actualCmdline: string, changes: XenChanges): { ok: boolean; missing: string[]; unexpected: string[] } {
  const names = new Set<string>([...changes.remove]);
  for (const t of changes.set) names.add(canonicalName(t).name);
  const all = tokenizeXenArgs(actualCmdline);
  const cut = all.findIndex((t) => t.text === '--');
  const actual = cut < 0 ? all : all.slice(0, cut);
  const last = new Map<string, string>();
  const texts = new Map<string, string[]>();
  for (const t of actual) {
    const { name, value } = effectiveXenValue(t, names);
    last.set(name, value);
    texts.set(name, [...(texts.get(name) ?? []), t.text]);
  }
  const missing: string[] = [];
  const setNames = new Set<string>();
  for (const t of changes.set) {
    const { name, value } = effectiveXenValue(t, names);
    setNames.add(name);
    if (last.get(name) !== value) missing.push(t.text);
  }
  const unexpected: string[] = [];
  for (const name of changes.remove) {
    if (setNames.has(name)) continue;
    unexpected.push(...(texts.get(name) ?? []));
  }
  return { ok: missing.length === 0 && unexpected.length === 0, missing, unexpected };
}
