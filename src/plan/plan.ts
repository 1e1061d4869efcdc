/**
 * A Plan is data: every change dom0up would make on one host, in the order apply makes them,
 * with the reason for each and the exact bytes of every file it writes. Apply walks `steps` in
 * order; a step whose content depends on what `yum install xen` does is `after-install` and is
 * computed again (by the same pure planner) from the facts read right after yum.
 */
import type { XenChanges } from '../xen/index.js';
import type { Dom0Options } from './hypervisor-args.js';

export interface ProvisionRequest extends Dom0Options {
  kernel?: string;
  keepPlain?: boolean;
  initrd?: string;
  title?: string;
  /** Mirror preset name or http(s) URL for the Xen 4.10 repo. */
  mirror?: string;
  gpgcheck?: boolean;
  repoId?: string;
  /** Boot the Xen entry once before making it the default (default true). */
  once?: boolean;
  /** The operator reboots (the plan writes the final files and stops before the reboot). */
  noReboot?: boolean;
  /** Override preflight refusals that have a --force escape. */
  force?: boolean;
  /** Read the Xen repository's metadata for the kernel version of a predicted grub.conf (default true). */
  repoMetadata?: boolean;
}

export type PlanMode = 'apply' | 'tune';

export interface Refusal {
  code: string;
  message: string;
  hint?: string;
}

export interface PlanWarning {
  code: string;
  message: string;
}

export type FileStepId = 'repo' | 'gpg-key' | 'kernel-sysconfig' | 'xen-kernel-sysconfig' | 'xl-conf' | 'grub' | 'grub-commit';

/** How an after-install step's content was predicted before yum ran. */
export interface Prediction {
  /** The predicted content (after yum and dom0up's own edit). */
  after: string;
  diff: string;
  /** The kernel version the prediction assumes. */
  kernelVersion: string;
  /** Where that version comes from: the mirror's repodata, or a placeholder standing for it. */
  kernelVersionSource: 'repo-metadata' | 'placeholder';
}

export interface FileStep {
  kind: 'file';
  id: FileStepId;
  /** The file written: the real file behind every symlink (a link stays a link). */
  path: string;
  /** The path as it is named, when that is a symlink leading to `path`. */
  via?: string;
  /** create/update: exact content known; skip: already right; after-install: decided after `yum install xen`. */
  action: 'create' | 'update' | 'skip' | 'after-install';
  reason: string;
  before: string | null;
  after: string | null;
  /** How the text maps to bytes (a file that is not valid UTF-8 is read and written as latin1). */
  encoding: 'utf8' | 'latin1';
  diff: string;
  /** Mode for a new file (an existing file keeps its mode, owner and SELinux context). */
  mode: number;
  /** sha256 of the bytes on the host (compare-and-swap at write time); null for a new file. */
  beforeSha256: string | null;
  /** sha256 of the bytes written (read back after the write). */
  afterSha256: string | null;
  /** Parent directories that do not exist, outermost first: created (0755, root) before the write. */
  mkdirs: string[];
  /** after-install steps of a host without Xen: what the file is expected to become. */
  predicted?: Prediction;
}

export interface CommandStep {
  kind: 'command';
  /** yum-install: yum install xen; kernel-initramfs: finish a kernel install cut short (its %posttrans). */
  id: 'yum-install' | 'kernel-initramfs';
  action: 'run' | 'skip';
  reason: string;
  /** The exact shell command. */
  command: string;
}

export interface OneShotStep {
  kind: 'one-shot';
  id: 'one-shot';
  action: 'run' | 'skip' | 'after-install';
  reason: string;
  /** The entry booted once (index in the staged grub.conf). */
  index: number | null;
}

export interface RebootStep {
  kind: 'reboot';
  id: 'reboot';
  action: 'run' | 'skip';
  reason: string;
  /** Boot the Xen entry once first (RHEL 6 savedefault --once); the permanent default changes after verification. */
  once: boolean;
}

export interface VerifyExpectationData {
  /** Kernel release the dom0 must run (null: the one yum installs, known after yum). */
  kernel: string | null;
  hypervisorArgs: string;
  requested: string[];
}

export interface VerifyStep {
  kind: 'verify';
  id: 'verify';
  action: 'run' | 'skip';
  reason: string;
  /** before-changes: the running Dom0 is checked before any file changes (no reboot follows). */
  when: 'before-changes' | 'after-reboot';
  expect: VerifyExpectationData;
}

export type PlanStep = FileStep | CommandStep | OneShotStep | RebootStep | VerifyStep;

/** How grub.conf is written around the reboot (computed when the exact content is known). */
export interface GrubStaging {
  /** The file after verification: the Xen entry is the default (the grub-commit step's `after`). */
  final: string;
  /** The file written before the reboot: final, with the default on the last known-good entry (and a rescue copy of it when the change touched it). */
  intermediate: string;
  /** Index of the Xen entry in `intermediate` (booted once). */
  oneShotIndex: number;
  /** Index of the known-good entry in `intermediate` (the permanent default until verification). */
  knownGoodIndex: number;
  knownGoodTitle: string;
  /** Index of the rescue copy in `intermediate`, if one was added. */
  rescueIndex: number | null;
}

export interface Desired {
  /** The dom0 kernel version; null when it is the one `yum install xen` brings. */
  kernel: string | null;
  /** The hypervisor arguments a new Xen entry gets / the existing one ends with. */
  hypervisorArgs: string;
  /** The option changes asked for (what verification checks on `xen_commandline`). */
  changes: XenChanges;
  usesDefaults: boolean;
}

/** What GRUB boots now and what runs now: the way back every failure must keep. */
export interface BootState {
  /** The entry GRUB boots at the next reboot (from grub.conf and the stage2 word), as the host is now. */
  nextEntry: { index: number; title: string; kind: string; version: string | null; xenArgs: string | null } | null;
  /** What runs now. */
  running: { kernel: string; xen: boolean; xenCmdline: string | null };
}

export interface Plan {
  target: string;
  mode: PlanMode;
  refusals: Refusal[];
  warnings: PlanWarning[];
  steps: PlanStep[];
  desired: Desired;
  staging: GrubStaging | null;
  /** Something would change on the host (files, packages or a reboot). */
  changed: boolean;
  /** The host does not yet run what is asked (Xen with these options). */
  needsReboot: boolean;
  /** The host before the run (recorded in the run journal; rollback returns to it). */
  boot: BootState;
}

export function stepsToRun(plan: Plan): PlanStep[] {
  return plan.steps.filter((s) => s.action !== 'skip');
}

export function fileSteps(plan: Plan): FileStep[] {
  return plan.steps.filter((s): s is FileStep => s.kind === 'file');
}
