/**
 * Which hosts a command acts on: hosts given on the command line, inventories (-i/--inventory),
 * narrowed by --limit. Per-host and per-group Dom0 settings from the inventory override the
 * command line's, which override the tool's defaults.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { hostsFromArgs, loadInventory, selectHosts, type InventoryHost } from '../inventory/index.js';
import type { SshCliOptions } from '../remote/connect.js';
import type { ProvisionRequest } from '../plan/plan.js';
import { UserError } from '../errors.js';

export interface Target {
  /** Inventory name or the host as given. */
  name: string;
  /** What the SSH layer connects to: `user@host`, `host` or an ssh_config alias. */
  destination: string;
  ssh: SshCliOptions;
  req: ProvisionRequest;
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

function destinationOf(h: InventoryHost): string {
  const host = h.host ?? h.name;
  const addr = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return h.user ? `${h.user}@${addr}` : addr;
}

export function targetFor(h: InventoryHost, ssh: SshCliOptions, req: ProvisionRequest): Target {
  const s: SshCliOptions = { ...ssh };
  if (h.port !== undefined) s.port = h.port;
  if (h.identityFile) s.identity = [h.identityFile, ...(ssh.identity ?? [])];
  const r: ProvisionRequest = { ...req };
  if (h.dom0?.dom0Mem !== undefined) r.dom0Mem = h.dom0.dom0Mem;
  if (h.dom0?.dom0Vcpus !== undefined) r.dom0Vcpus = h.dom0.dom0Vcpus;
  if (h.dom0?.pin !== undefined) r.pin = h.dom0.pin;
  if (h.dom0?.xenArg !== undefined) r.xenArg = [...(req.xenArg ?? []).filter((a) => !h.dom0!.xenArg!.some((b) => b.split('=')[0] === a.split('=')[0])), ...h.dom0.xenArg];
  return { name: h.name, destination: destinationOf(h), ssh: s, req: r };
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
    const key = `${t.destination}:${t.ssh.port ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}
