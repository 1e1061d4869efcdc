/**
 * Commands and flags only: argv → <Cmd>Options → a command module (loaded lazily so that
 * `grub plan` starts fast) → the UI. Exit codes are documented in `--help` and docs/usage.md.
 */
import yargs, { type Argv } from 'yargs';
import { userFacing } from './errors.js';
import { checkEntryValues } from './grub/entry-values.js';
import { visible } from './ui/escape.js';
import { DEFAULT_FORKS } from './fleet/pool.js';
import { processStreams, Ui, type Streams } from './ui/io.js';

import { EXIT } from './exit-codes.js';
import { interruptExitCode, interruptName, processInterruptSignal } from './apply/interrupt.js';
export { EXIT };

/** yargs reads a lone "-" as an empty flag; it is passed through this stand-in instead. */
const DASH = '\u0000-';
export const undash = (v: string): string => (v === DASH ? '-' : v);

// one paragraph: yargs wraps it to the terminal's width (hard line breaks made it ragged on 80 columns)
const EPILOG =
  'Exit codes: 0 success; 1 error (a refused or failed step; the message names what and why); ' +
  '2 with --detailed-exitcode: changes are pending; with several hosts: the number of hosts that ' +
  'failed, were refused, unreachable or skipped (at most 100); 130/143 interrupted (Ctrl-C/SIGTERM); ' +
  '70 an internal error (a bug).';

function dom0Options<T>(y: Argv<T>) {
  return y
    .option('dom0-mem', { type: 'string', describe: 'Dom0 memory, e.g. 1024M (written as dom0_mem=SIZE,max:SIZE)', group: 'Dom0 (Xen) options:' })
    .option('dom0-mem-max', { type: 'boolean', describe: 'add ",max:SIZE" to --dom0-mem automatically [default: on]', group: 'Dom0 (Xen) options:' })
    .option('dom0-vcpus', { type: 'string', describe: 'Dom0 vCPUs: N or MIN-MAX (dom0_max_vcpus)', group: 'Dom0 (Xen) options:' })
    .option('pin', { type: 'boolean', describe: 'pin Dom0 vCPUs to pCPUs (dom0_vcpus_pin); --no-pin removes it', group: 'Dom0 (Xen) options:' })
    .option('xen-arg', { type: 'string', describe: 'another Xen option KEY[=VALUE] (repeatable)', group: 'Dom0 (Xen) options:' })
    .option('kernel', { type: 'string', describe: 'dom0 kernel version [default: newest installed kernel that can be a dom0 (3.x+)]', group: 'Dom0 (Xen) options:' })
    .option('keep-plain', { type: 'boolean', describe: 'add a new Xen entry and keep the plain one (default: convert it in place)', group: 'Dom0 (Xen) options:' })
    .option('initrd', { type: 'string', describe: 'initramfs path to use when the kernel entry has no initrd line', group: 'Dom0 (Xen) options:' })
    .option('title', { type: 'string', describe: 'title of the new entry with --keep-plain', group: 'Dom0 (Xen) options:' })
    .option('force', { type: 'boolean', describe: 'let unknown Xen options, old kernels and files with lint errors through (with warnings)', group: 'Dom0 (Xen) options:' });
}

type Dom0Argv = {
  'dom0-mem'?: string; 'dom0-mem-max'?: boolean; 'dom0-vcpus'?: string; pin?: boolean; 'xen-arg'?: string | string[];
  kernel?: string; 'keep-plain'?: boolean; initrd?: string; title?: string; force?: boolean;
};

export function dom0FromArgv(a: Dom0Argv) {
  const o: import('./commands/grub.js').GrubRewriteOptions = { file: '' };
  if (a['dom0-mem'] !== undefined) o.dom0Mem = a['dom0-mem'];
  if (a['dom0-mem-max'] !== undefined) o.dom0MemMax = a['dom0-mem-max'];
  if (a['dom0-vcpus'] !== undefined) o.dom0Vcpus = a['dom0-vcpus'];
  if (a.pin !== undefined) o.pin = a.pin;
  if (a['xen-arg'] !== undefined) o.xenArg = toArray(a['xen-arg']);
  if (a.kernel !== undefined) o.kernel = a.kernel;
  if (a['keep-plain'] !== undefined) o.keepPlain = a['keep-plain'];
  if (a.initrd !== undefined) o.initrd = a.initrd;
  if (a.title !== undefined) o.title = a.title;
  if (a.force !== undefined) o.force = a.force;
  // values that reach grub.conf are checked here, before any file is read or host contacted
  checkEntryValues(o);
  return o;
}

function sshOptions<T>(y: Argv<T>) {
  return y
    .option('identity', { alias: 'i', type: 'string', describe: 'private key file (repeatable; -i also takes an inventory, see --inventory)', group: 'SSH:' })
    .option('port', { alias: 'p', type: 'number', describe: 'SSH port [default: from ~/.ssh/config, else 22]', group: 'SSH:' })
    .option('user', { alias: 'l', type: 'string', describe: 'login user (non-root users need passwordless sudo)', group: 'SSH:' })
    .option('known-hosts', { type: 'string', describe: 'known_hosts file(s) to check host keys against [default: ~/.ssh/known_hosts]', group: 'SSH:' })
    .option('accept-new-host-key', { type: 'boolean', describe: 'record an unknown host key instead of refusing (a changed key is always refused)', group: 'SSH:' })
    .option('ssh-config', { type: 'string', describe: 'ssh_config file (like ssh -F) [default: ~/.ssh/config]', group: 'SSH:' })
    .option('connect-timeout', { type: 'number', describe: 'seconds for connect + handshake + auth', group: 'SSH:' });
}

type SshArgv = { identity?: string | string[]; port?: number; user?: string; 'known-hosts'?: string | string[]; 'accept-new-host-key'?: boolean; 'ssh-config'?: string; 'connect-timeout'?: number };
export function sshFromArgv(a: SshArgv): import('./remote/connect.js').SshCliOptions {
  const o: import('./remote/connect.js').SshCliOptions = {};
  if (toArray(a.identity).length) o.identity = toArray(a.identity);
  if (a.port !== undefined) o.port = a.port;
  if (a.user !== undefined) o.user = a.user;
  if (toArray(a['known-hosts']).length) o.knownHosts = toArray(a['known-hosts']);
  if (a['accept-new-host-key']) o.acceptNewHostKey = true;
  if (a['ssh-config'] !== undefined) o.sshConfig = a['ssh-config'];
  if (a['connect-timeout'] !== undefined) o.connectTimeoutS = a['connect-timeout'];
  return o;
}

function hostsPositional<T>(y: Argv<T>) {
  return y.positional('hosts', { type: 'string', array: true, describe: 'hosts: user@host[:port] or ~/.ssh/config aliases (or use -i INVENTORY)' }).epilog(EPILOG);
}

function fleetOptions<T>(y: Argv<T>) {
  return y
    .option('inventory', { type: 'string', describe: 'inventory: host list, Ansible INI/YAML, ansible-inventory --list JSON, or ssh_config (-i also takes one)', group: 'Fleet:' })
    .option('limit', { type: 'string', describe: 'Ansible host pattern over the inventory (groups, globs, ~regex, a:b, &g, !g)', group: 'Fleet:' })
    .option('forks', { type: 'number', describe: 'hosts worked on at once (facts, plans, installs)', default: DEFAULT_FORKS, group: 'Fleet:' })
    .option('serial', { type: 'string', describe: 'reboot batch size: N hosts or P% of them', default: '25%', group: 'Fleet:' })
    .option('max-fail', { type: 'string', describe: 'failures allowed (N or P%) before no further host is rebooted', default: '0', group: 'Fleet:' });
}

function repoOptions<T>(y: Argv<T>) {
  return y
    .option('mirror', { type: 'string', describe: 'Xen 4.10 repo: preset (vault, tuna, tuna-vault, kernel-org, cern) or http(s) URL [default: vault = http://vault.centos.org/6.10/virt/x86_64/xen-410/]', group: 'Repository:' })
    .option('gpgcheck', { type: 'boolean', describe: 'verify packages with the Virt SIG key [default: on; --no-gpgcheck warns]', group: 'Repository:' })
    .option('repo-id', { type: 'string', describe: 'section id and file name of the .repo file [default: xen4centos-410]', group: 'Repository:' })
    .option('repo-metadata', { type: 'boolean', describe: "read the repository's metadata from this machine for the kernel version of a predicted grub.conf [default: on; DOM0UP_REPO_METADATA=off]", group: 'Repository:' });
}

function applyOptions<T>(y: Argv<T>) {
  return y
    .option('yes', { alias: 'y', type: 'boolean', describe: 'do not ask (required without a terminal)' })
    .option('reboot', { type: 'boolean', default: true, describe: 'reboot when needed; --no-reboot leaves it to the operator' })
    .option('once', { type: 'boolean', default: true, describe: 'boot the Xen entry once, make it the default only after verification; --no-once switches the default at once with fallback= the old entry' })
    .option('break-lock', { type: 'boolean', describe: 'take over the lock of a run that is gone while it waited for a reboot (a lock renewed in the last 2 minutes belongs to a live run and is never broken)' })
    .option('reboot-timeout', { type: 'number', describe: 'seconds for the reboot and verification [default: 900]' });
}

type RepoArgv = { mirror?: string; gpgcheck?: boolean; 'repo-id'?: string; once?: boolean; reboot?: boolean; 'repo-metadata'?: boolean };
export function requestFromArgv(a: Dom0Argv & RepoArgv): import('./plan/plan.js').ProvisionRequest {
  const { file: _file, ...dom0 } = dom0FromArgv(a);
  void _file;
  const r: import('./plan/plan.js').ProvisionRequest = { ...dom0 };
  if (a.mirror !== undefined) r.mirror = a.mirror;
  if (a.gpgcheck !== undefined) r.gpgcheck = a.gpgcheck;
  if (a['repo-id'] !== undefined) r.repoId = a['repo-id'];
  if (a.once !== undefined) r.once = a.once;
  if (a.reboot === false) r.noReboot = true;
  if (a['repo-metadata'] === false) r.repoMetadata = false;
  return r;
}

/** Repeatable options are not yargs arrays (those swallow the following hosts): one value or several. */
export function toArray(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Runs the CLI; returns the exit code. Never calls process.exit. */
export async function run(argv: string[], streams: Streams = processStreams()): Promise<number> {
  let code: number = EXIT.ok;
  const colorFlag = argv.includes('--color') ? true : argv.includes('--no-color') ? false : undefined;
  const ui = new Ui(streams, colorFlag);
  const set = (c: number) => { code = c; };
  const runFleet = async (command: import('./commands/fleet.js').FleetCommand, a: Record<string, unknown>): Promise<number> => {
    const { fleetCli } = await import('./commands/fleet.js');
    const { identity: _i, ...ssh } = sshFromArgv(a as SshArgv);
    void _i;
    return fleetCli(ui, {
      command,
      hosts: ((a.hosts as string[] | undefined) ?? []).map(String),
      identityOrInventory: toArray(a.identity),
      inventories: toArray(a.inventory),
      ...(a.limit !== undefined ? { limit: String(a.limit) } : {}),
      forks: Number(a.forks ?? DEFAULT_FORKS),
      serial: String(a.serial ?? '25%'),
      maxFail: String(a['max-fail'] ?? '0'),
      ssh,
      req: requestFromArgv(a as Dom0Argv & RepoArgv),
      json: a.json === true,
      yes: a.yes === true,
      noReboot: a.reboot === false,
      breakLock: a['break-lock'] === true,
      detailedExitcode: a['detailed-exitcode'] === true,
      ...(a['reboot-timeout'] !== undefined ? { rebootTimeoutS: Number(a['reboot-timeout']) } : {}),
    });
  };

  const parser = yargs(argv.map((a) => (a === '-' ? DASH : a)))
    .scriptName('dom0up')
    .usage('$0 <command> [options]\n\nTurn CentOS 6.10 hosts into verified Xen Dom0s over SSH, and keep their Dom0 tuning right.')
    .option('color', { type: 'boolean', describe: 'colour output [default: on a TTY, off with NO_COLOR]' })
    .command('grub', 'offline work on a grub.conf file (GRUB Legacy 0.97)', (g) =>
      g
        .command('show <file>', 'entries as GRUB sees them, which one boots, and the findings', (y) =>
          y.positional('file', { type: 'string', describe: 'grub.conf, or - for stdin', demandOption: true }).epilog(EPILOG)
            .option('json', { type: 'boolean', describe: 'one JSON document (contract: docs/json.md)' }),
          async (a) => set(await (await import('./commands/grub-cli.js')).grubShowCli(ui, { file: undash(String(a.file)), json: a.json === true })))
        .command('lint <file..>', 'findings as FILE:LINE: severity: message; exit 1 when there is an error (several files at once, e.g. as a pre-commit hook)', (y) =>
          y.positional('file', { type: 'string', array: true, describe: 'grub.conf files, or - for stdin', demandOption: true }).epilog(EPILOG)
            .option('json', { type: 'boolean', describe: 'findings as JSON' }),
          async (a) => {
            const { grubLintCli } = await import('./commands/grub-cli.js');
            let worst: number = EXIT.ok;
            for (const file of toArray(a.file).map(undash)) worst = Math.max(worst, await grubLintCli(ui, { file, json: a.json === true }));
            set(worst);
          })
        .command('plan <file..>', 'the unified diff that turns the dom0 kernel entry into a Xen entry (nothing is written); several files at once for a review', (y) =>
          dom0Options(y.positional('file', { type: 'string', array: true, describe: 'grub.conf files, or - for stdin', demandOption: true }).epilog(EPILOG))
            .option('json', { type: 'boolean', describe: 'one JSON document with the diff and the new entry' })
            .option('detailed-exitcode', { type: 'boolean', describe: 'exit 0 = nothing to change, 2 = changes, 1 = error (over all files)' })
            .option('format', { type: 'string', choices: ['text', 'markdown', 'json'], describe: 'several files: text, markdown (a pull-request comment) or json' })
            .option('label', { type: 'string', describe: 'file name in the diff headers (a/LABEL, b/LABEL) [default: etc/grub.conf; with several files, each file\'s path]' }),
          async (a) => {
            const files = toArray(a.file).map(undash);
            if (files.length === 1 && (a.format === undefined || a.format === 'text')) {
              set(await (await import('./commands/grub-cli.js')).grubPlanCli(ui, { ...dom0FromArgv(a), file: files[0] as string, label: a.label ?? 'etc/grub.conf', json: a.json === true, detailedExitcode: a['detailed-exitcode'] === true }));
            } else {
              if (a.label !== undefined) throw Object.assign(new Error('--label names one file; with several files each diff is labelled with its own path'), { name: 'UsageError' });
              const { file: _f, ...dom0 } = dom0FromArgv(a);
              void _f;
              set(await (await import('./commands/grub-plan-many.js')).grubPlanManyCli(ui, { ...dom0, files, format: a.json === true ? 'json' : ((a.format as 'text' | 'markdown' | 'json' | undefined) ?? 'text'), detailedExitcode: a['detailed-exitcode'] === true }));
            }
          })
        .command('apply <file>', 'write the rewritten grub.conf (-o OUT, or --in-place through symlinks with a backup)', (y) =>
          dom0Options(y.positional('file', { type: 'string', describe: 'grub.conf (or - for stdin with -o)', demandOption: true }).epilog(EPILOG))
            .option('o', { alias: 'output', type: 'string', describe: 'write the result to OUT (- for stdout)' })
            .option('in-place', { type: 'boolean', describe: 'replace the real file atomically (every symlink resolved), keeping a timestamped backup beside it' })
            .option('json', { type: 'boolean', describe: 'report as JSON' }),
          async (a) => {
            const o: import('./commands/grub.js').GrubApplyOptions = { ...dom0FromArgv(a), file: undash(String(a.file)) };
            if (a.o !== undefined) o.output = undash(a.o);
            if (a['in-place'] !== undefined) o.inPlace = a['in-place'];
            set(await (await import('./commands/grub-cli.js')).grubApplyCli(ui, { ...o, json: a.json === true }));
          })
        .demandCommand(1, 'name a grub command: show, lint, plan or apply')
        .epilog(EPILOG))
    .command('facts [hosts..]', 'what the host is: OS, kernel, hypervisor, grub.conf and its GRUB view, /boot, packages, memory, CPUs, repos, sysconfig', (y) =>
      fleetOptions(sshOptions(hostsPositional(y)))
        .option('json', { type: 'boolean', describe: 'one JSON document' })
        .option('save', { type: 'string', describe: 'save each host\'s facts to DIR/NAME.facts.json (for dom0up plan --facts DIR)' }),
      async (a) => {
        if (a.save !== undefined) {
          const { factsSaveCli } = await import('./commands/review.js');
          const { identity: _i, ...ssh } = sshFromArgv(a as SshArgv);
          void _i;
          set(await factsSaveCli(ui, { hosts: ((a.hosts as string[] | undefined) ?? []).map(String), identityOrInventory: toArray(a.identity), inventories: toArray(a.inventory), ...(a.limit !== undefined ? { limit: String(a.limit) } : {}), forks: Number(a.forks ?? 16), ssh, dir: String(a.save) }));
        } else set(await runFleet('facts', a));
      })
    .command('plan [hosts..]', 'every change apply would make, as exact diffs and named steps; nothing changes on the host', (y) =>
      fleetOptions(applyOptions(repoOptions(dom0Options(sshOptions(hostsPositional(y))))))
        .option('json', { type: 'boolean', describe: 'one JSON document' })
        .option('detailed-exitcode', { type: 'boolean', describe: 'exit 0 = nothing to change, 2 = changes, 1 = error or refused' })
        .option('out', { type: 'string', describe: 'save the plan (every host, the exact bytes, what it read) for review and dom0up apply PLAN.json', group: 'Review:' })
        .option('facts', { type: 'string', describe: 'plan offline from facts saved with dom0up facts --save DIR (no SSH)', group: 'Review:' })
        .option('format', { type: 'string', choices: ['text', 'markdown', 'json'], describe: 'output: text, markdown (a pull-request comment) or json [default: text]', group: 'Review:' })
        .option('full-diff', { type: 'boolean', describe: 'show keys and long files as diffs instead of a summary', group: 'Review:' }),
      async (a) => {
        if (a.out !== undefined || a.facts !== undefined || (a.format !== undefined && a.format !== 'text') || a['full-diff'] === true) {
          const { reviewPlanCli } = await import('./commands/review.js');
          const { identity: _i, ...ssh } = sshFromArgv(a as SshArgv);
          void _i;
          set(await reviewPlanCli(ui, {
            hosts: ((a.hosts as string[] | undefined) ?? []).map(String), identityOrInventory: toArray(a.identity), inventories: toArray(a.inventory), ...(a.limit !== undefined ? { limit: String(a.limit) } : {}),
            forks: Number(a.forks ?? 16), ssh, req: requestFromArgv(a as Dom0Argv & RepoArgv), mode: 'apply',
            ...(a.out !== undefined ? { out: String(a.out) } : {}), ...(a.facts !== undefined ? { factsDir: String(a.facts) } : {}),
            format: a.json === true ? 'json' : ((a.format as 'text' | 'markdown' | 'json' | undefined) ?? 'text'), fullDiff: a['full-diff'] === true, detailedExitcode: a['detailed-exitcode'] === true,
          }));
        } else set(await runFleet('plan', a));
      })
    .command('show <plan>', 'a saved plan (dom0up plan --out): per-host steps and diffs, as text, markdown or JSON', (y) =>
      y.positional('plan', { type: 'string', demandOption: true, describe: 'the plan file' }).epilog(EPILOG)
        .option('format', { type: 'string', choices: ['text', 'markdown', 'json'], default: 'text', describe: 'text, markdown (for a pull-request comment) or json' })
        .option('full-diff', { type: 'boolean', describe: 'show keys and long files as diffs instead of a summary' }),
      async (a) => set(await (await import('./commands/review.js')).showCli(ui, { file: String(a.plan), format: a.format as 'text' | 'markdown' | 'json', fullDiff: a['full-diff'] === true })))
    .command('apply [hosts..]', 'install Xen and boot it as Dom0: plan, confirm, apply, reboot, verify (or apply PLAN.json exactly as reviewed)', (y) =>
      fleetOptions(applyOptions(repoOptions(dom0Options(sshOptions(hostsPositional(y))))))
        .option('json', { type: 'boolean', describe: 'one JSON document (no prompt: needs --yes)' }),
      async (a) => {
        const hosts = ((a.hosts as string[] | undefined) ?? []).map(String);
        const { isPlanFile } = await import('./commands/review.js');
        if (hosts.length === 1 && (await isPlanFile(hosts[0] as string))) {
          const { applySavedCli } = await import('./commands/fleet.js');
          const { identity: _i, ...ssh } = sshFromArgv(a as SshArgv);
          void _i;
          set(await applySavedCli(ui, { file: hosts[0] as string, ssh, identityOrInventory: toArray(a.identity), forks: Number(a.forks ?? 16), serial: String(a.serial ?? '25%'), maxFail: String(a['max-fail'] ?? '0'), json: a.json === true, yes: a.yes === true, breakLock: a['break-lock'] === true, ...(a['reboot-timeout'] !== undefined ? { rebootTimeoutS: Number(a['reboot-timeout']) } : {}) }));
        } else set(await runFleet('apply', a));
      })
    .command('tune [hosts..]', 'on a host that runs Xen: change the hypervisor options only, reboot only if something changed', (y) =>
      fleetOptions(applyOptions(dom0Options(sshOptions(hostsPositional(y)))))
        .option('json', { type: 'boolean', describe: 'one JSON document (no prompt: needs --yes)' }),
      async (a) => set(await runFleet('tune', a)))
    .command('rollback <host>', 'put every file a run changed back as it was before that run (default: the latest run not rolled back yet), diff first', (y) =>
      sshOptions(y.positional('host', { type: 'string', demandOption: true }).epilog(EPILOG))
        .option('run', { alias: 'backup', type: 'string', describe: 'the run to roll back (its id or stamp, see --list) [default: the latest run that changed something]' })
        .option('list', { type: 'boolean', describe: 'list the runs recorded on the host and exit' })
        .option('reboot', { type: 'boolean', describe: 'reboot afterwards and check the host boots what it booted before that run' })
        .option('yes', { alias: 'y', type: 'boolean', describe: 'do not ask (required without a terminal)' })
        .option('force', { type: 'boolean', describe: 'restore even when GRUB would then boot another entry than before the run' })
        .option('break-lock', { type: 'boolean', describe: 'ignore the reboot lease of a run that is gone (a lock renewed in the last 2 minutes is never broken)' })
        .option('json', { type: 'boolean', describe: 'one JSON document' }),
      async (a) => set(await (await import('./commands/rollback.js')).rollbackCli(ui, { host: String(a.host), ssh: sshFromArgv(a), json: a.json === true, ...(a.run !== undefined ? { run: String(a.run) } : {}), list: a.list === true, reboot: a.reboot === true, yes: a.yes === true, force: a.force === true, breakLock: a['break-lock'] === true })))
    .command('verify [hosts..]', 'check a running host against the given options (or its default Xen entry); changes nothing', (y) =>
      fleetOptions(dom0Options(sshOptions(hostsPositional(y))))
        .option('json', { type: 'boolean', describe: 'one JSON document' }),
      async (a) => set(await runFleet('verify', a)))
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .strict()
    .epilog(EPILOG)
    .wrap(Math.min(110, (streams.stdout as { columns?: number }).columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw Object.assign(new Error(msg), { name: 'UsageError' });
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    return reportError(ui, err);
  }
  // Ctrl-C at a question (the terminal is in raw mode: readline gets the key, not a signal)
  // answers no and stops the command; it still exits as interrupted, like a Ctrl-C anywhere else
  const sig = processInterruptSignal();
  if (sig?.aborted && code < 128) return interruptExitCode(interruptName(sig));
  return code;
}

export function reportError(ui: Ui, err: unknown): number {
  if (err instanceof Error && err.name === 'UsageError') {
    ui.note(`dom0up: ${ui.err.red('error')}: ${err.message}`);
    ui.note(`hint: dom0up --help, or dom0up <command> --help`);
    return EXIT.error;
  }
  const uf = userFacing(err);
  if (uf) {
    // messages and details carry host text (yum's output, a lock's owner, paths): escaped
    ui.note(`dom0up: ${ui.err.red('error')}: ${visible(uf.message)}`);
    if (uf.detail) ui.note(visible(uf.detail, { multiline: true }));
    if (uf.hint) ui.note(`hint: ${visible(uf.hint)}`);
    return uf.exitCode;
  }
  // a bug: the whole story
  ui.note(`dom0up: internal error (a bug; please report it with this output):`);
  ui.note(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 70;
}
