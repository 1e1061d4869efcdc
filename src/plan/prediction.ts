/**
 * How a plan made before `yum install xen` compares with what the packages really did: each
 * predicted file (grub.conf staged and committed, xl.conf) against the same step of the plan made
 * from the facts after yum, the kernel version aside (the prediction may have used a placeholder
 * or an older repodata). Pure.
 */
import type { FileStep, Plan } from './plan.js';

/** One line per differing file: the step and the first line that differs. */
export function comparePrediction(before: Plan, after: Plan): string[] {
  const out: string[] = [];
  const version = after.desired.kernel;
  for (const s of before.steps) {
    if (s.kind !== 'file' || !s.predicted) continue;
    const real = after.steps.find((x): x is FileStep => x.kind === 'file' && x.id === s.id);
    const actual = real ? (real.action === 'skip' ? real.before : real.after) : null;
    if (actual === null) {
      out.push(`${s.id}: predicted a change of ${s.path}, but the plan after yum has none`);
      continue;
    }
    const expected = version ? s.predicted.after.split(s.predicted.kernelVersion).join(version) : s.predicted.after;
    if (expected === actual) continue;
    const a = expected.split('\n');
    const b = actual.split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    out.push(`${s.id} (${s.path}) line ${i + 1}: predicted ${JSON.stringify(a[i] ?? '(end of file)')}, got ${JSON.stringify(b[i] ?? '(end of file)')}`);
  }
  return out;
}
