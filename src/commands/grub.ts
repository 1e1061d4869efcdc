/**
 * The offline `dom0up grub` commands: read a local file (or stdin), use the pure engine,
 * and for `apply` write the result atomically. Nothing is printed here (see src/ui).
 */
import { checkEntryValues, grubView, parseGrubConf, toXenEntry, type GrubConf, type GrubView, type XenEntryResult } from '../grub/index.js';
import { makeHypervisorArgs, type Dom0Options, type HypervisorArgs } from '../plan/hypervisor-args.js';
import { unifiedDiff } from '../plan/unified-diff.js';
import { encodeText, readTextForUpdate, readTextInput, writeFileAtomic, type AtomicWriteResult, type TextInput } from '../io/text-file.js';
import { UserError } from '../errors.js';
import { lintXenArgs } from '../xen/index.js';

export interface GrubFileOptions {
  file: string;
  /** Where '-' reads from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export interface GrubRewriteOptions extends GrubFileOptions, Dom0Options {
  kernel?: string;
  keepPlain?: boolean;
  initrd?: string;
  title?: string;
  /** Path shown in the diff headers (default etc/grub.conf). */
  label?: string;
}

export function parseInput(input: TextInput): GrubConf {
  return parseGrubConf(input.text, { latin1: input.encoding === 'latin1' });
}

export async function grubShow(opts: GrubFileOptions): Promise<{ input: TextInput; conf: GrubConf; view: GrubView }> {
  const input = await readTextInput(opts.file, opts.stdin);
  const conf = parseInput(input);
  return { input, conf, view: grubView(conf) };
}

export interface GrubPlanResult {
  input: TextInput;
  rewrite: XenEntryResult;
  hypervisor: HypervisorArgs;
  diff: string;
  label: string;
  /** Problems of hypervisor options the file already had (kept as they are). */
  keptProblems: string[];
}

export function rejectControlChars(name: string, value: string | undefined): void {
  if (value !== undefined && /[\u0000-\u001f\u007f]/.test(value)) {
    throw new UserError(`--${name}: control characters and newlines are not allowed`, 'give the value on one line');
  }
}

/** The rewrite as a pure step over already-read text. */
export function planGrubText(input: TextInput, opts: Omit<GrubRewriteOptions, 'file'>): GrubPlanResult {
  checkEntryValues(opts);
  rejectControlChars('label', opts.label);
  const hypervisor = makeHypervisorArgs(opts);
  const conf = parseInput(input);
  const xopts: Parameters<typeof toXenEntry>[1] = { hypervisorArgs: hypervisor.fn, keepPlain: opts.keepPlain ?? false, force: opts.force ?? false };
  if (opts.kernel !== undefined) xopts.kernel = opts.kernel;
  if (opts.initrd !== undefined) xopts.initrd = opts.initrd;
  if (opts.title !== undefined) xopts.title = opts.title;
  const rewrite = toXenEntry(conf, xopts);
  const label = opts.label ?? 'etc/grub.conf';
  // options the user asked for were validated; anything Xen would complain about now came with the file
  const lint = lintXenArgs(rewrite.hypervisorArgs, { force: true });
  const keptProblems = [...lint.errors.map((e) => e.message), ...lint.warnings.filter((w) => w.code === 'unknown-option').map((w) => w.message)];
  return { input, rewrite, hypervisor, diff: unifiedDiff(label, conf.text, rewrite.after.text), label, keptProblems };
}

export async function grubPlan(opts: GrubRewriteOptions): Promise<GrubPlanResult> {
  const input = await readTextInput(opts.file, opts.stdin);
  return planGrubText(input, opts);
}

export interface GrubApplyOptions extends GrubRewriteOptions {
  output?: string;
  inPlace?: boolean;
}

export interface GrubApplyResult extends GrubPlanResult {
  /** Where the result went: a path, '-' for stdout, or null when nothing had to change in place. */
  written: string | null;
  write: AtomicWriteResult | null;
  /** Bytes for stdout when output is '-'. */
  stdout: Buffer | null;
}

export async function grubApply(opts: GrubApplyOptions): Promise<GrubApplyResult> {
  if (opts.inPlace && opts.output !== undefined) throw new UserError('give either -o OUT or --in-place, not both');
  if (!opts.inPlace && opts.output === undefined) throw new UserError('grub apply needs -o OUT or --in-place', 'use -o - to print the result');
  if (opts.inPlace && opts.file === '-') throw new UserError('--in-place needs a file, not stdin');
  if (opts.inPlace) {
    // read and write the same real file (no planted links), and only if it is still what was read
    const read = await readTextForUpdate(opts.file);
    const plan = planGrubText(read.input, opts);
    if (!plan.rewrite.changed) return { ...plan, written: null, write: null, stdout: null };
    const write = await writeFileAtomic(read.realPath, encodeText(plan.rewrite.after.text, plan.input.encoding), { expectSha256: read.sha256 });
    return { ...plan, written: write.realPath, write, stdout: null };
  }
  const plan = await grubPlan(opts);
  const bytes = encodeText(plan.rewrite.after.text, plan.input.encoding);
  if (opts.output === '-') return { ...plan, written: '-', write: null, stdout: bytes };
  const write = await writeFileAtomic(opts.output as string, bytes, { backup: true });
  return { ...plan, written: write.realPath, write, stdout: null };
}
