/**
 * Drift: the entry GRUB boots next is not what runs now — after a kernel update made another
 * entry the default, a hand edit, or a pending one-shot boot. Pure: from the boot state the plan
 * records (GRUB's view of grub.conf and the stage2 word, and what runs).
 */
import { tokenizeXenArgs, xenArgsSatisfy } from '../xen/index.js';
import type { BootState } from './plan.js';

/** Why the next boot differs from what runs now (empty: it boots what runs). */
export function bootDrift(b: BootState): string[] {
  const n = b.nextEntry;
  const r = b.running;
  if (!n) return ['GRUB would not know which entry to boot'];
  const out: string[] = [];
  const nextXen = n.kind === 'xen';
  if (nextXen !== r.xen) out.push(nextXen ? `the next boot is Xen (entry ${n.index} "${n.title}"); the host runs without Xen` : `the next boot is entry ${n.index} "${n.title}" without Xen; the host runs as a Xen Dom0`);
  if (n.version && n.version !== r.kernel) out.push(`the next boot runs kernel ${n.version} (entry ${n.index} "${n.title}"); the host runs ${r.kernel}`);
  if (nextXen && r.xen && r.xenCmdline !== null && n.xenArgs !== null) {
    const a = xenArgsSatisfy(r.xenCmdline, { set: tokenizeXenArgs(n.xenArgs), remove: [] });
    const b2 = xenArgsSatisfy(n.xenArgs, { set: tokenizeXenArgs(r.xenCmdline), remove: [] });
    if (!a.ok || !b2.ok) out.push(`the next boot's Xen options "${n.xenArgs}" differ from those the host runs with "${r.xenCmdline}"`);
  }
  return out;
}
