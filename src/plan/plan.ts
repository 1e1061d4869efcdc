/** A Plan is data: every change dom0up would make on one host, with the reason for each. */
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
  /** Override preflight refusals that have a --force escape. */
  force?: boolean;
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

export type FileStepId = 'repo' | 'gpg-key' | 'grub' | 'xen-kernel-sysconfig' | 'xl-conf';

export interface FileStep {
  kind: 'file';
  id: FileStepId;
  /** The path to write (for grub.conf: the real file behind the symlinks). */
  path: string;
  /** create/update: exact content known; skip: already right; after-install: decided after `yum install xen`. */
  action: 'create' | 'update' | 'skip' | 'after-install';
  reason: string;
  before: string | null;
  after: string | null;
  diff: string;
  /** File mode for new files. */
  mode: number;
  /** sha256 of `before` (hex), for compare-and-swap at write time; null for a new file. */
  beforeSha256: string | null;
}

export interface CommandStep {
  kind: 'command';
  id: 'yum-install';
  action: 'run' | 'skip';
  reason: string;
  /** The exact shell command. */
  command: string;
}

export interface RebootStep {
  kind: 'reboot';
  id: 'reboot';
  action: 'run' | 'skip';
  reason: string;
  /** Boot the Xen entry once first (RHEL 6 savedefault --once); the permanent default changes after verification. */
  once: boolean;
}

export type PlanStep = FileStep | CommandStep | RebootStep;

/** How the grub.conf is written around the reboot (computed when the exact content is known). */
export interface GrubStaging {
  /** The file after verification: the Xen entry is the default. Same as the grub step's `after`. */
  final: string;
  /** The file written before the reboot when booting once: final, with the default on the last known-good entry (and a rescue copy of it when the change touched it). */
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
}

export function stepsToRun(plan: Plan): PlanStep[] {
  return plan.steps.filter((s) => s.action !== 'skip');
}
