/**
 * Which hosts a command acts on: hosts given on the command line, inventories (-i/--inventory),
 * narrowed by --limit. Per-host and per-group Dom0 settings from the inventory override the
 * command line's, which override the tool's defaults.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { hostsFromArgs, loadInventory, selectHosts, type ConnectionFinding, type InventoryHost } from '../inventory/index.js';
import type { SshCliOptions } from '../remote/connect.js';
import { parseSshArgs } from '../transport/ssh-args.js';
import type { ProvisionRequest } from '../plan/plan.js';
import { UserError } from '../errors.js';

export interface Target {
  /** Inventory name or the host as given. */
  name: string;
  /** What the SSH layer connects to: `user@host`, `host` or an ssh_config alias. */
  destination: string;
  ssh: SshCliOptions;
  req: ProvisionRequest;
  /** Why dom0up will not connect to this host (its Ansible connection settings), one line. */
  refusal?: string;
  /** Connection settings of the host that dom0up ignores, one line each (`variable: why`). */
  notes: string[];
}

/** `-i PATH` is an identity when the file is a private key, else an inventory (ssh's and Ansible's -i). */
export function isPrivateKeyFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(128);
    const n = readSync(fd, buf, 0, 128, 0);
    const head = buf.subarray(0, n).toString('latin1');
    return /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(head) || head.startsWith('PuTTY-User-Key-File-');
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function splitIdentities(paths: readonly string[]): { identities: string[]; inventories: string[] } {
  const identities: string[] = [];
  const inventories: string[] = [];
  for (const p of paths) (isPrivateKeyFile(p) ? identities : inventories).push(p);
  return { identities, inventories };
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function destinationOf(h: InventoryHost): string {
  const addr = bracketed(h.host ?? h.name);
  return h.user ? `${h.user}@${addr}` : addr;
}

/**
 * How to reach one host and with which Dom0 settings. Precedence, highest first:
 * - Ansible inventories (INI, YAML, ansible-inventory JSON): the host's connection variables, as
 *   Ansible's ssh connection plugin turns them into ssh options (src/inventory/connection.ts), then
 *   dom0up's command-line options (--user, --port, --known-hosts, --accept-new-host-key,
 *   --connect-timeout, --ssh-config: each only where the inventory does not set the same thing;
 *   -i keys are tried after the inventory's), then ssh_config. Ansible's own rule too: variables
 *   beat command-line options.
 * - Hosts named on the command line, plain host lists and ssh_config aliases (`user@host:port`):
 *   --user and --port beat a user and port written with the host, as ssh's -l and -p do (and as
 *   the single-host commands do).
 * - Dom0 settings: the inventory's beat the command line's.
 */
export function targetFor(h: InventoryHost, ssh: SshCliOptions, req: ProvisionRequest): Target {
  const s: SshCliOptions = { ...ssh };
  const notes: string[] = [];
  let refusal: string | undefined;
  let destination = destinationOf(h);
  if (h.connection) {
    const refused: string[] = [];
    const note = (f: ConnectionFinding) => (f.severity === 'refused' ? refused : notes).push(`${f.variable}: ${f.message}`);
    for (const f of h.connection.findings) note(f);
    for (const part of h.connection.parts) {
      for (const f of parseSshArgs(part.args).findings) note({ ...f, variable: `${part.variable} ${f.option}` });
    }
    const parsed = parseSshArgs(h.connection.sshArgs);
    if (refused.length) refusal = refused.join('; ');
    // the host's own settings win; dom0up's command line fills in the rest
    const sets = parsed.sets;
    destination = bracketed(h.host ?? h.name);
    if (sets.has('user')) delete s.user;
    if (sets.has('port')) delete s.port;
    if (sets.has('userknownhostsfile')) delete s.knownHosts;
    if (sets.has('stricthostkeychecking')) delete s.acceptNewHostKey;
    if (sets.has('connecttimeout')) delete s.connectTimeoutS;
    if (parsed.configFile !== undefined) delete s.sshConfig;
    if (['yes', 'true'].includes((sets.get('batchmode') ?? '').toLowerCase())) delete s.askPassphrase;
    if (parsed.args.length) s.args = parsed.args;
  } else {
    // user@host:port is the destination: --user/--port beat it, as ssh's -l/-p and the single-host commands do
    if (h.port !== undefined) destination += `:${h.port}`;
    if (h.identityFile) s.identity = [h.identityFile, ...(ssh.identity ?? [])];
  }
  const r: ProvisionRequest = { ...req };
  if (h.dom0?.dom0Mem !== undefined) r.dom0Mem = h.dom0.dom0Mem;
  if (h.dom0?.dom0Vcpus !== undefined) r.dom0Vcpus = h.dom0.dom0Vcpus;
  if (h.dom0?.pin !== undefined) r.pin = h.dom0.pin;
  if (h.dom0?.xenArg !== undefined) r.xenArg = [...(req.xenArg ?? []).filter((a) => !h.dom0!.xenArg!.some((b) => b.split('=')[0] === a.split('=')[0])), ...h.dom0.xenArg];
  return { name: h.name, destination, ssh: s, req: r, notes, ...(refusal !== undefined ? { refusal } : {}) };
}

export async function resolveTargets(o: { hosts: string[]; inventories: string[]; limit?: string; ssh: SshCliOptions; req: ProvisionRequest }): Promise<Target[]> {
  const fromArgs = o.hosts.length ? hostsFromArgs(o.hosts) : [];
  const fromInv: InventoryHost[] = [];
  for (const path of o.inventories) {
    const inv = await loadInventory(path);
    fromInv.push(...selectHosts(inv, o.limit));
  }
  if (o.limit && o.inventories.length === 0) {
    throw new UserError('--limit needs an inventory (-i INVENTORY)', 'give an inventory, or name the hosts directly');
  }
  const all = [...fromArgs, ...fromInv];
  if (all.length === 0) throw new UserError('no hosts: name one or more hosts, or give an inventory with -i', 'e.g. dom0up plan root@dom0-01, or dom0up plan -i hosts.ini --limit rack1');
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const h of all) {
    const t = targetFor(h, o.ssh, o.req);
    const key = JSON.stringify([t.destination, t.ssh.args ?? []]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}
