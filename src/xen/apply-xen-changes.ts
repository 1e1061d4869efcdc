import type { XenChanges } from './build-xen-changes.js';
import { canonicalName, formatXenArgs, lexXenArgs, parseXenToken, type XenArgPiece, type XenToken } from './tokenize-xen-args.js';

/** The canonical name of a token, also stripping `no-` for names the changes mention (forced unknown booleans). */
export function xenKey(text: string, names?: ReadonlySet<string>): string {
  return canonicalName(parseXenToken(text), names).name;
}

/**
 * Merge changes into an existing hypervisor argument string, key by key (like grubby's `--mbargs`):
 * - a set name replaces the first token with that canonical name in place (`no-X` and `X=…` count as X), and later
 *   tokens with that name are dropped;
 * - set names not present are appended in the order given (before a `--` token, if any);
 * - removed names disappear (a name both set and removed is set);
 * - untouched tokens, and the blanks between them, are kept exactly; tokens after `--` (dom0's) are never touched.
 * Applying the same changes twice gives the same string.
 */
export function applyXenChanges(existingArgs: string, changes: XenChanges): string {
  const setByKey = new Map<string, XenToken>();
  const mentioned = new Set<string>([...changes.remove]);
  for (const t of changes.set) mentioned.add(canonicalName(t).name);
  for (const t of changes.set) setByKey.set(canonicalName(t, mentioned).name, t);
  const removeKeys = new Set(changes.remove.filter((k) => !setByKey.has(k)));

  const { pieces, trailing } = lexXenArgs(existingArgs);
  const cut = pieces.findIndex((p) => p.text === '--');
  const head = cut < 0 ? pieces : pieces.slice(0, cut);
  const tail = cut < 0 ? [] : pieces.slice(cut);

  const out: XenArgPiece[] = [];
  const placed = new Set<string>();
  for (const p of head) {
    const k = xenKey(p.text, mentioned);
    if (removeKeys.has(k)) continue;
    const t = setByKey.get(k);
    if (t !== undefined) {
      if (placed.has(k)) continue;
      placed.add(k);
      out.push({ sep: p.sep, text: formatXenArgs([t]) });
      continue;
    }
    out.push(p);
  }
  for (const [k, t] of setByKey) {
    if (!placed.has(k)) out.push({ sep: ' ', text: formatXenArgs([t]) });
  }
  const all = [...out, ...tail];
  const leading = pieces[0]?.sep ?? '';
  return (
    all.map((p, i) => (i === 0 ? leading : p.sep === '' ? ' ' : p.sep) + p.text).join('') + trailing
  );
}
