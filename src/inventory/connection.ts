/**
 * A host's Ansible connection variables → how dom0up connects to it, as Ansible's `ssh`
 * connection plugin (ansible-core 2.14, `_build_command`) would. Pure.
 *
 * `sshArgs` are the OpenSSH options in the order Ansible puts them on its `ssh` command line —
 *   1. ansible_ssh_args (shlex-split)
 *   2. -o StrictHostKeyChecking=no           when ansible_host_key_checking / ansible_ssh_host_key_checking is false
 *   3. -o Port=N                              ansible_port / ansible_ssh_port
 *   4. -o IdentityFile="FILE"                 ansible_private_key_file / ansible_ssh_private_key_file
 *   5. -o User="USER"                         ansible_user / ansible_ssh_user
 *   6. -o ConnectTimeout=N                    ansible_ssh_timeout / ansible_timeout
 *   7. ansible_ssh_common_args, then ansible_ssh_extra_args (shlex-split)
 * — and ssh's rule that the first value of an option wins decides between them, exactly as with
 * Ansible (dom0up hands them to `ssh -G`). Ansible's own defaults that only concern its ssh
 * processes (ssh_args' ControlMaster/ControlPersist, the forced ConnectTimeout=10, turning
 * password logins off) are left out: dom0up keeps one connection per host and never uses passwords.
 *
 * Of several spellings of a variable the last one Ansible lists wins (ansible_ssh_port over
 * ansible_port …), as in builder.ts. `ansible_host` is the address (builder.ts).
 *
 * Findings, per host (checkSshArgs adds the ones about the OpenSSH options themselves):
 *   refused  ansible_password / ansible_ssh_pass / ansible_ssh_password (dom0up does no password logins),
 *            ansible_become_password / _pass / ansible_sudo_pass (it needs passwordless sudo),
 *            ansible_become_method other than sudo, ansible_become_user other than root,
 *            ansible_become_exe other than sudo, ansible_become_flags beyond -H -S -n,
 *            ansible_connection other than ssh, ansible_ssh_pkcs11_provider, a value dom0up
 *            would have to template (`{{ … }}`), a value of the wrong type
 *   ignored  every other `ansible_*` variable dom0up does not know, and the known ones it does
 *            not act on (ansible_ssh_executable, ansible_ssh_retries) — named, never silently
 * Known and without effect on dom0up (not reported): how Ansible moves its modules and files
 * (ansible_python_interpreter, pipelining, transfer method, scp/sftp settings, control path, tty,
 * shell type, remote tmp, module compression) and ansible_group_priority.
 */
import { ShlexError, shlexSplit } from './shlex.js';
import { ansibleBoolean } from './builder.js';

export interface ConnectionFinding {
  severity: 'refused' | 'ignored';
  /** The variable (or `ansible_ssh_common_args: -o …` for one option of it). */
  variable: string;
  message: string;
}

export interface HostConnection {
  /** Raw OpenSSH options in Ansible's order (checked by the transport's parseSshArgs before use). */
  sshArgs: string[];
  /** The same options by the variable they come from (`-o Port=…` from ansible_port …), in order. */
  parts: { variable: string; args: string[] }[];
  findings: ConnectionFinding[];
}

/** Variables whose meaning is a place in `sshArgs` (or the address). */
const USED = new Set([
  'ansible_host', 'ansible_ssh_host', 'ansible_port', 'ansible_ssh_port', 'ansible_user', 'ansible_ssh_user',
  'ansible_private_key_file', 'ansible_ssh_private_key_file', 'ansible_ssh_args', 'ansible_ssh_common_args',
  'ansible_ssh_extra_args', 'ansible_host_key_checking', 'ansible_ssh_host_key_checking', 'ansible_ssh_timeout',
  'ansible_timeout', 'ansible_connection', 'ansible_become',
]);

/** Known, and nothing to do with how dom0up connects. */
const NO_EFFECT = new Set([
  'ansible_python_interpreter', 'ansible_pipelining', 'ansible_ssh_pipelining', 'ansible_ssh_transfer_method',
  'ansible_scp_if_ssh', 'ansible_sftp_batch_mode', 'ansible_scp_extra_args', 'ansible_sftp_extra_args',
  'ansible_scp_executable', 'ansible_sftp_executable', 'ansible_control_path', 'ansible_control_path_dir',
  'ansible_ssh_use_tty', 'ansible_shell_type', 'ansible_shell_executable', 'ansible_remote_tmp',
  'ansible_module_compression', 'ansible_group_priority', 'ansible_sshpass_prompt', 'ansible_ssh_verbosity',
]);

const IGNORED: Record<string, string> = {
  ansible_ssh_executable: 'dom0up connects with its own SSH client (it reads ssh_config through the ssh on PATH)',
  ansible_ssh_retries: 'dom0up connects once (its reboot wait retries by itself)',
};

const PASSWORD = ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'];
const BECOME_PASSWORD = ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'];
const SSH_CONNECTIONS = new Set(['ssh', 'smart', 'ansible.builtin.ssh', 'ansible.legacy.ssh']);
const SUDO_FLAGS = new Set(['-H', '-S', '-n']);

/** The variable Ansible takes among `names`: the last one that is set (null counts as unset). */
function lastSet(vars: Map<string, unknown>, names: string[]): string | undefined {
  let found: string | undefined;
  for (const n of names) if (vars.get(n) !== undefined && vars.get(n) !== null) found = n;
  return found;
}

/** A variable name as shown in a message (quoted when it is not a plain identifier). */
function nameOf(k: string): string {
  return /^[A-Za-z0-9_]+$/.test(k) ? k : JSON.stringify(k);
}

function templated(v: unknown): boolean {
  return typeof v === 'string' && /\{\{|\{%/.test(v);
}

function show(v: unknown): string {
  const t = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}…` : t);
}

/** `vars`: the host's merged variables (builder.ts). */
export function ansibleConnection(vars: Map<string, unknown>): HostConnection {
  const sshArgs: string[] = [];
  const parts: { variable: string; args: string[] }[] = [];
  const add = (variable: string, args: string[]) => {
    if (!args.length) return;
    parts.push({ variable, args });
    sshArgs.push(...args);
  };
  const findings: ConnectionFinding[] = [];
  const refuse = (variable: string, message: string) => findings.push({ severity: 'refused', variable, message });
  const ignore = (variable: string, message: string) => findings.push({ severity: 'ignored', variable, message });

  for (const [k, v] of vars) {
    if (v !== null && v !== undefined && templated(v) && (USED.has(k) || k.startsWith('ansible_become'))) {
      refuse(nameOf(k), `${show(v)} is a Jinja2 template, which dom0up does not evaluate: give the value itself`);
    }
  }
  if (findings.length) return { sshArgs, parts, findings };

  const text = (name: string): string | undefined => {
    const v = vars.get(name);
    if (v === null || v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    refuse(name, `${show(v)} is not a string`);
    return undefined;
  };
  const split = (name: string): void => {
    const t = text(name);
    if (t === undefined) return;
    try {
      add(name, shlexSplit(t, { comments: false }).map((a) => a.trim()).filter((a) => a !== ''));
    } catch (e) {
      if (!(e instanceof ShlexError)) throw e;
      refuse(name, `${show(t)} does not split into words: ${e.message}`);
    }
  };

  // --- ansible_connection
  const conn = text('ansible_connection');
  if (conn !== undefined && !SSH_CONNECTIONS.has(conn.trim())) {
    refuse('ansible_connection', `${show(conn)}: dom0up connects with SSH only (ansible_connection=ssh)`);
  }

  // --- passwords
  const pw = lastSet(vars, PASSWORD);
  if (pw && vars.get(pw) !== '') refuse(pw, 'dom0up does no password logins: give the host a key (ansible_ssh_private_key_file, or an agent) instead');
  if (lastSet(vars, ['ansible_ssh_pkcs11_provider']) && vars.get('ansible_ssh_pkcs11_provider') !== '') {
    refuse('ansible_ssh_pkcs11_provider', 'PKCS#11 keys are not supported by dom0up');
  }

  // --- become (dom0up becomes root with `sudo -n` when it does not log in as root)
  const bpw = lastSet(vars, BECOME_PASSWORD);
  if (bpw && vars.get(bpw) !== '') refuse(bpw, 'dom0up needs passwordless sudo (NOPASSWD) and never sends a sudo password');
  const method = text('ansible_become_method');
  if (method !== undefined && !['sudo', 'ansible.builtin.sudo'].includes(method.trim())) {
    refuse('ansible_become_method', `${show(method)}: dom0up becomes root with sudo only`);
  }
  const buser = lastSet(vars, ['ansible_become_user', 'ansible_sudo_user']);
  if (buser) {
    const u = text(buser);
    if (u !== undefined && u.trim() !== 'root' && u.trim() !== '') refuse(buser, `${show(u)}: dom0up needs root (ansible_become_user=root)`);
  }
  const bexe = lastSet(vars, ['ansible_become_exe', 'ansible_sudo_exe']);
  if (bexe) {
    const x = text(bexe);
    if (x !== undefined && x.trim() !== 'sudo' && x.trim() !== '') refuse(bexe, `${show(x)}: dom0up runs \`sudo\` from the login's PATH`);
  }
  const bflags = lastSet(vars, ['ansible_become_flags', 'ansible_sudo_flags']);
  if (bflags) {
    const f = text(bflags);
    if (f !== undefined) {
      let words: string[] = [];
      try {
        words = shlexSplit(f, { comments: false });
      } catch {
        words = [f];
      }
      const letters = words.flatMap((w) => (/^-[A-Za-z]+$/.test(w) ? [...w.slice(1)].map((c) => `-${c}`) : [w]));
      const other = letters.filter((w) => !SUDO_FLAGS.has(w));
      if (other.length) refuse(bflags, `${show(f)}: dom0up runs \`sudo -n\` and cannot add ${other.join(' ')}`);
    }
  }
  const become = vars.get('ansible_become');
  if (become !== undefined && become !== null && ansibleBoolean(become) === undefined) {
    refuse('ansible_become', `${show(become)} is not a boolean (use true/false, yes/no)`);
  }

  // --- the ssh command line, in Ansible's order
  split('ansible_ssh_args');
  const hkc = lastSet(vars, ['ansible_host_key_checking', 'ansible_ssh_host_key_checking']);
  if (hkc) {
    const b = ansibleBoolean(vars.get(hkc));
    if (b === undefined) refuse(hkc, `${show(vars.get(hkc))} is not a boolean`);
    else if (b === false) add(hkc, ['-o', 'StrictHostKeyChecking=no']);
  }
  const port = lastSet(vars, ['ansible_port', 'ansible_ssh_port']);
  if (port) {
    const p = text(port);
    if (p !== undefined) add(port, ['-o', `Port=${p.trim()}`]);
  }
  const key = lastSet(vars, ['ansible_private_key_file', 'ansible_ssh_private_key_file']);
  if (key) {
    const k = text(key);
    if (k !== undefined && k.includes('"')) refuse(key, `${show(k)}: a key file name with a double quote cannot be passed to ssh`);
    else if (k !== undefined) add(key, ['-o', `IdentityFile="${k.trim()}"`]);
  }
  const user = lastSet(vars, ['ansible_user', 'ansible_ssh_user']);
  if (user) {
    const u = text(user);
    if (u !== undefined && u.includes('"')) refuse(user, `${show(u)}: a user name with a double quote cannot be passed to ssh`);
    else if (u !== undefined) add(user, ['-o', `User="${u.trim()}"`]);
  }
  const timeout = lastSet(vars, ['ansible_timeout', 'ansible_ssh_timeout']);
  if (timeout) {
    const t = text(timeout);
    if (t !== undefined && !/^\s*[0-9]+\s*$/.test(t)) refuse(timeout, `${show(t)} is not a number of seconds`);
    else if (t !== undefined) add(timeout, ['-o', `ConnectTimeout=${t.trim()}`]);
  }
  split('ansible_ssh_common_args');
  split('ansible_ssh_extra_args');

  // --- everything else that looks like a connection setting
  for (const [k, v] of vars) {
    if (!k.startsWith('ansible_') || v === null || v === undefined) continue;
    if (USED.has(k) || NO_EFFECT.has(k) || PASSWORD.includes(k) || BECOME_PASSWORD.includes(k)) continue;
    if (['ansible_become_method', 'ansible_become_user', 'ansible_sudo_user', 'ansible_become_exe', 'ansible_sudo_exe', 'ansible_become_flags', 'ansible_sudo_flags', 'ansible_ssh_pkcs11_provider'].includes(k)) continue;
    ignore(nameOf(k), IGNORED[k] ?? 'not a setting dom0up knows; ignored');
  }
  return { sshArgs, parts, findings };
}
