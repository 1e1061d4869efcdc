import { parseGrubConf, type GrubConf } from './parse-grub-conf.js';

/**
 * How many lint errors `after` has beyond those of `before` (the file as it was). A rewrite never adds
 * one (toXenEntry checks it); errors the file already had — let through with --force — are the file's.
 */
export function addedLintErrors(before: string | null, after: GrubConf): number {
  const errors = (c: GrubConf) => c.findings.filter((f) => f.severity === 'error').length;
  const had = before === null ? 0 : errors(parseGrubConf(before, after.options));
  return Math.max(0, errors(after) - had);
}
