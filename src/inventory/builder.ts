/**
 * The in-memory inventory every parser fills (Ansible's `InventoryData`), and its finalisation:
 * reconciliation ('all'/'ungrouped'), variable merging and the typed connection/Dom0 fields.
 *
 * Variable precedence implemented (Ansible's defaults, `VARIABLE_PRECEDENCE` and
 * `helpers.sort_groups`), lowest first; later layers replace earlier values key by key (shallow,
 * like `hash_behaviour=replace`):
 *   1. vars of group 'all' from the inventory file(s)
 *   2. vars of every other group of the host from the inventory file(s), groups ordered by
 *      (depth, ansible_group_priority, name): a child (deeper) group beats its parents, and groups at
 *      the same depth with the same priority are applied alphabetically, so the LAST name wins
 *   3. group_vars/all files                        (3, 4 and 6 only via loadInventory, which reads
 *   4. group_vars/<group> files, ordered as in 2    them next to the inventory like Ansible's
 *   5. the host's own vars from the inventory file(s)                       host_group_vars plugin)
 *   6. host_vars/<host> files
 * Depth is the longest path from 'all' ('all' = 0, top-level groups and 'ungrouped' = 1).
 * Note the Ansible quirk this implies: group_vars/all.yml outranks `[rack1:vars]` in the INI file.
 *
 * Typed fields, from the merged variables:
 *   host  ← ansible_host / ansible_ssh_host          user ← ansible_user / ansible_ssh_user
 *   port  ← ansible_port / ansible_ssh_port          identityFile ← ansible_private_key_file /
 *   become ← ansible_become (Ansible boolean words)                  ansible_ssh_private_key_file
 *   As in Ansible's ssh connection plugin, when both spellings are set the ansible_ssh_* one wins;
 *   null counts as unset.
 *   dom0.dom0Mem ← dom0up_dom0_mem / dom0_mem        dom0.pin ← dom0up_pin / pin / dom0_vcpus_pin
 *   dom0.dom0Vcpus ← dom0up_dom0_vcpus / dom0_vcpus  dom0.xenArg ← dom0up_xen_args / xen_args
 *   For the Dom0 settings the name set at the higher-precedence layer wins (a host's dom0_mem beats
 *   a group's dom0up_dom0_mem); at the same layer the dom0up_ name wins. Numbers become strings
 *   (dom0_vcpus=4 → "4"); xen_args is a list or a space-separated string. Values are not
 *   validated beyond their type here.
 */
import { checkHostName, portProblem, userProblem } from './address.js';
import { InventoryError, quote } from './errors.js';
import type { Dom0Settings, Inventory, InventoryFormat, InventoryGroup, InventoryHost } from './types.js';
import { ansibleConnection } from './connection.js';

export interface Origin {
  file: string;
  line?: number;
}

interface RawGroup {
  name: string;
  hosts: string[];
  children: string[];
  parents: string[];
  vars: Map<string, unknown>;
  origins: Map<string, Origin>;
  priority: number;
}

interface RawHost {
  name: string;
  vars: Map<string, unknown>;
  origins: Map<string, Origin>;
  origin: Origin;
  /** Groups the host was added to directly. */
  direct: Set<string>;
}

/** Variables read from group_vars/ and host_vars/ files. */
export interface VarsLayer {
  vars: Map<string, unknown>;
  origins: Map<string, Origin>;
}
export interface FileVars {
  groups: Map<string, VarsLayer>;
  hosts: Map<string, VarsLayer>;
}

/** Assign without ever touching a prototype (`__proto__` is an ordinary key here). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function mapToObject(map: Map<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of map) setKey(out, k, v);
  return out;
}

export class InventoryBuilder {
  readonly groups = new Map<string, RawGroup>();
  readonly hosts = new Map<string, RawHost>();
  readonly warnings: string[] = [];

  constructor() {
    const nowhere = { file: '<inventory>' };
    this.addGroup('all', nowhere);
    this.addGroup('ungrouped', nowhere);
    this.addChild('all', 'ungrouped', nowhere);
  }

  warn(origin: Origin, message: string): void {
    this.warnings.push(`${origin.line !== undefined ? `${origin.file}:${origin.line}` : origin.file}: ${message}`);
  }

  addGroup(name: string, origin: Origin): void {
    if (name === '' || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new InventoryError('invalid-structure', origin.file, `invalid group name ${quote(name)}`, { line: origin.line });
    }
    if (!this.groups.has(name)) {
      this.groups.set(name, { name, hosts: [], children: [], parents: [], vars: new Map(), origins: new Map(), priority: 1 });
    }
  }

  group(name: string): RawGroup {
    const g = this.groups.get(name);
    if (!g) throw new Error(`internal: unknown group ${name}`);
    return g;
  }

  host(name: string): RawHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`internal: unknown host ${name}`);
    return h;
  }

  /** Ansible's `add_host`: a port only counts when the host is first created. */
  addHost(name: string, origin: Origin, group?: string, port?: number): void {
    checkHostName(name, 'host', origin.file, origin.line);
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: new Map(), origins: new Map(), origin, direct: new Set() };
      this.hosts.set(name, h);
      if (port !== undefined) this.setHostVar(name, 'ansible_port', port, origin);
    }
    if (group !== undefined) {
      const g = this.group(group);
      if (!h.direct.has(group)) {
        h.direct.add(group);
        g.hosts.push(name);
      }
    }
  }

  private isAncestor(candidate: string, of: string): boolean {
    const seen = new Set<string>();
    const stack = [of];
    while (stack.length) {
      const cur = stack.pop() as string;
      if (cur === candidate) return true;
      if (seen.has(cur)) continue;
      seen.add(cur);
      stack.push(...this.group(cur).parents);
    }
    return false;
  }

  addChild(parent: string, child: string, origin: Origin): void {
    const p = this.group(parent);
    const c = this.group(child);
    if (p.children.includes(child)) return;
    if (parent === child || this.isAncestor(child, parent)) {
      throw new InventoryError('group-cycle', origin.file, `adding group ${quote(child)} as a child of ${quote(parent)} creates a loop`, { line: origin.line });
    }
    p.children.push(child);
    c.parents.push(parent);
  }

  setGroupVar(group: string, key: string, value: unknown, origin: Origin): void {
    const g = this.group(group);
    if (key === 'ansible_group_priority') {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) {
        throw new InventoryError('invalid-value', origin.file, `ansible_group_priority of group ${quote(group)} is not an integer: ${quote(value)}`, { line: origin.line });
      }
      g.priority = n;
      return;
    }
    g.vars.set(key, value);
    g.origins.set(key, origin);
  }

  setHostVar(host: string, key: string, value: unknown, origin: Origin): void {
    const h = this.host(host);
    h.vars.set(key, value);
    h.origins.set(key, origin);
  }

  // --- finalisation ----------------------------------------------------------------------------

  /** Ansible's `reconcile_inventory`. */
  private reconcile(): void {
    const nowhere = { file: '<inventory>' };
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name, nowhere);
    }
    const ungrouped = this.group('ungrouped');
    for (const h of this.hosts.values()) {
      const mine = this.ancestorsOf(h);
      if (mine.has('ungrouped')) {
        if ([...mine].some((g) => g !== 'all' && g !== 'ungrouped')) {
          h.direct.delete('ungrouped');
          ungrouped.hosts = ungrouped.hosts.filter((n) => n !== h.name);
        }
      } else if (mine.size === 0 || (mine.size === 1 && mine.has('all'))) {
        h.direct.add('ungrouped');
        ungrouped.hosts.push(h.name);
      }
    }
  }

  private ancestorsOf(h: RawHost): Set<string> {
    const out = new Set<string>();
    const stack = [...h.direct];
    while (stack.length) {
      const g = stack.pop() as string;
      if (out.has(g)) continue;
      out.add(g);
      stack.push(...this.group(g).parents);
    }
    return out;
  }

  private depths(): Map<string, number> {
    const memo = new Map<string, number>();
    const depth = (name: string): number => {
      const known = memo.get(name);
      if (known !== undefined) return known;
      const g = this.group(name);
      const d = g.parents.length === 0 ? 0 : Math.max(...g.parents.map((p) => depth(p) + 1));
      memo.set(name, d);
      return d;
    };
    for (const name of this.groups.keys()) depth(name);
    return memo;
  }

  finalize(source: string, format: InventoryFormat, fileVars?: FileVars): Inventory {
    this.reconcile();
    const depth = this.depths();
    const sortKey = (a: string, b: string): number => {
      const da = depth.get(a) ?? 0;
      const db = depth.get(b) ?? 0;
      if (da !== db) return da - db;
      const pa = this.group(a).priority;
      const pb = this.group(b).priority;
      if (pa !== pb) return pa - pb;
      return a < b ? -1 : a > b ? 1 : 0;
    };

    const hosts: InventoryHost[] = [];
    for (const h of this.hosts.values()) {
      const groups = [...this.ancestorsOf(h)].sort(sortKey);
      const nonAll = groups.filter((g) => g !== 'all');
      const layers: VarsLayer[] = [];
      const all = this.group('all');
      layers.push(all);
      for (const g of nonAll) layers.push(this.group(g));
      const fileAll = fileVars?.groups.get('all');
      if (fileAll) layers.push(fileAll);
      for (const g of nonAll) {
        const l = fileVars?.groups.get(g);
        if (l) layers.push(l);
      }
      layers.push(h);
      const fileHost = fileVars?.hosts.get(h.name);
      if (fileHost) layers.push(fileHost);

      const merged = new Map<string, unknown>();
      const rank = new Map<string, number>();
      const origin = new Map<string, Origin>();
      layers.forEach((layer, idx) => {
        for (const [k, v] of layer.vars) {
          merged.set(k, v);
          rank.set(k, idx);
          origin.set(k, layer.origins.get(k) ?? h.origin);
        }
      });
      const host = typedHost(h.name, groups, merged, rank, origin, h.origin);
      // Ansible's connection variables mean what Ansible's ssh connection plugin makes of them;
      // in dom0up's own formats (plain lists, ssh_config aliases) user/port are just the destination's
      if (format === 'ini' || format === 'yaml' || format === 'ansible-json') host.connection = ansibleConnection(merged);
      hosts.push(host);
    }

    const groups: Record<string, InventoryGroup> = {};
    for (const g of this.groups.values()) {
      const vars = new Map(g.vars);
      const fv = fileVars?.groups.get(g.name);
      if (fv) for (const [k, v] of fv.vars) vars.set(k, v);
      setKey(groups, g.name, { hosts: [...g.hosts], children: [...g.children], vars: mapToObject(vars) });
    }
    const inv: Inventory = { hosts, groups, source, format };
    if (this.warnings.length) inv.warnings = [...this.warnings];
    return inv;
  }
}

// --- typed fields --------------------------------------------------------------------------------

const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE_WORDS = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** Ansible's `boolean()` (strict): yes/no, on/off, true/false, y/n, t/f, 1/0, any case. */
export function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE_WORDS.has(v)) return true;
    if (FALSE_WORDS.has(v)) return false;
  }
  return undefined;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function typedHost(
  name: string,
  groups: string[],
  merged: Map<string, unknown>,
  rank: Map<string, number>,
  origin: Map<string, Origin>,
  hostOrigin: Origin,
): InventoryHost {
  const bad = (key: string, why: string, code: 'invalid-value' | 'invalid-host' | 'invalid-port' = 'invalid-value', hint?: string): InventoryError => {
    const o = origin.get(key) ?? hostOrigin;
    return new InventoryError(code, o.file, `host ${quote(name)}: ${key}=${quote(merged.get(key))} ${why}`, { line: o.line, hint });
  };
  /** Like Ansible's connection options: the LAST listed variable that is set (and not null) wins. */
  const lastSet = (keys: string[]): string | undefined => {
    let found: string | undefined;
    for (const k of keys) if (merged.has(k) && merged.get(k) !== null && merged.get(k) !== undefined) found = k;
    return found;
  };
  /** Dom0 aliases: the one set at the highest-precedence layer wins; on a tie, the earlier name. */
  const bestOf = (keys: string[]): string | undefined => {
    let found: string | undefined;
    let best = -1;
    for (const k of keys) {
      const v = merged.get(k);
      if (v === null || v === undefined) continue;
      const r = rank.get(k) ?? -1;
      if (r > best) {
        best = r;
        found = k;
      }
    }
    return found;
  };

  const out: Omit<InventoryHost, 'groups' | 'vars'> = { name };

  const hostKey = lastSet(['ansible_host', 'ansible_ssh_host']);
  if (hostKey) {
    const v = scalarText(merged.get(hostKey));
    if (v === undefined) throw bad(hostKey, 'is not a host name or address', 'invalid-host');
    const o = origin.get(hostKey) ?? hostOrigin;
    checkHostName(v, `host ${quote(name)}: ${hostKey}`, o.file, o.line);
    out.host = v;
  }
  const portKey = lastSet(['ansible_port', 'ansible_ssh_port']);
  if (portKey) {
    const raw = merged.get(portKey);
    const text = scalarText(raw);
    const port = text !== undefined && /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
    if (portProblem(port)) throw bad(portKey, 'is not a port number (1-65535)', 'invalid-port');
    out.port = port;
  }
  const userKey = lastSet(['ansible_user', 'ansible_ssh_user']);
  if (userKey) {
    const v = scalarText(merged.get(userKey));
    const problem = v === undefined ? 'is not a string' : userProblem(v);
    if (problem || v === undefined) throw bad(userKey, problem ?? 'is not a string');
    out.user = v;
  }
  const keyKey = lastSet(['ansible_private_key_file', 'ansible_ssh_private_key_file']);
  if (keyKey) {
    const v = merged.get(keyKey);
    // eslint-disable-next-line no-control-regex
    if (typeof v !== 'string' || v.trim() === '' || /[\u0000-\u001f\u007f]/.test(v) || v.trim().startsWith('-')) {
      throw bad(keyKey, 'is not a usable file name');
    }
    out.identityFile = v.trim();
  }
  const becomeKey = lastSet(['ansible_become']);
  if (becomeKey) {
    const b = ansibleBoolean(merged.get(becomeKey));
    if (b === undefined) throw bad(becomeKey, 'is not a boolean', 'invalid-value', 'use true/false, yes/no, on/off or 1/0');
    out.become = b;
  }

  const dom0: Dom0Settings = {};
  const memKey = bestOf(['dom0up_dom0_mem', 'dom0_mem']);
  if (memKey) {
    const v = scalarText(merged.get(memKey));
    if (v === undefined || v === '') throw bad(memKey, 'is not a memory size', 'invalid-value', 'e.g. dom0_mem=2048M or dom0_mem=2048M,max:2048M');
    dom0.dom0Mem = v;
  }
  const vcpuKey = bestOf(['dom0up_dom0_vcpus', 'dom0_vcpus']);
  if (vcpuKey) {
    const v = scalarText(merged.get(vcpuKey));
    if (v === undefined || v === '') throw bad(vcpuKey, 'is not a vCPU count', 'invalid-value', 'e.g. dom0_vcpus=2 or dom0_vcpus=1-4');
    dom0.dom0Vcpus = v;
  }
  const pinKey = bestOf(['dom0up_pin', 'pin', 'dom0_vcpus_pin']);
  if (pinKey) {
    const b = ansibleBoolean(merged.get(pinKey));
    if (b === undefined) throw bad(pinKey, 'is not a boolean', 'invalid-value', 'use true/false, yes/no, on/off or 1/0');
    dom0.pin = b;
  }
  const argsKey = bestOf(['dom0up_xen_args', 'xen_args']);
  if (argsKey) {
    const v = merged.get(argsKey);
    let list: string[] | undefined;
    if (typeof v === 'string') list = v.split(/\s+/).filter(Boolean);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) {
      list = v.map((x) => String(x).trim()).filter(Boolean);
    }
    if (list === undefined) throw bad(argsKey, 'is not a list of Xen options', 'invalid-value', 'a YAML list, or a space-separated string like "loglvl=all noreboot"');
    dom0.xenArg = list;
  }
  if (Object.keys(dom0).length) out.dom0 = dom0;
  return { ...out, groups, vars: mapToObject(merged) };
}
