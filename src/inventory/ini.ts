/**
 * Ansible INI inventories, after `lib/ansible/plugins/inventory/ini.py`.
 *
 * - Lines are stripped; empty lines and lines starting with `#` or `;` are skipped.
 * - Before the first section, hosts go to 'ungrouped'.
 * - `[group]` (hosts), `[group:vars]` (key=value, one per line), `[group:children]` (group names);
 *   any other `:type` is an error, as is a `[...]` line with spaces.
 * - Host lines are split like `shlex.split(line, comments=True)`; the first token is a host pattern
 *   (`host`, `host:port`, `[v6]:port`, ranges `web[01:03]`, `db-[a:c]`, `[1:9:2]`), the others
 *   must be `key=value`.
 * - Values go through Python's `ast.literal_eval` (see pylit.ts). NOTE: this applies to
 *   `[group:vars]` values too. Ansible's documentation says `:vars` values are strings, but its code
 *   (`_parse_variable_definition` → `_parse_value`) and its own integration test
 *   (test/integration/targets/inventory_ini: `value_int=1` under `[all:vars]` asserts `== 1`) evaluate
 *   them, so `[g:vars] x=5` is the number 5, exactly what `ansible-inventory --list` prints. Only
 *   Python literals change type: `2048M`, `yes`, `true`, `1-4` stay text; `True`/`False` are booleans.
 *   The typed fields (become, pin) accept Ansible's boolean words either way. Note that in a `:vars`
 *   line everything after `=` is the value, comments included (`x=a # c` → `a # c`), as in Ansible.
 * - `[g:vars]` for a group never declared and `[p:children]` naming a group never declared are
 *   errors, reported at the line of the first such reference; declarations may come later.
 */
import { expandHostRange, parseAddress } from './address.js';
import type { InventoryBuilder, Origin } from './builder.js';
import { InventoryError, quote } from './errors.js';
import { iniValue } from './pylit.js';
import { ShlexError, shlexSplit } from './shlex.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

/** Python's str.splitlines() separators. */
export const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

export function parseIniInto(b: InventoryBuilder, text: string, file: string): void {
  const lines = text.replace(/^\uFEFF/, '').split(LINE_BREAK);
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state = 'hosts';
  const at = (line: number): Origin => ({ file, line });

  const addPendingChildren = (g: string, line: number): void => {
    const p = pending.get(g);
    if (!p) return;
    pending.delete(g);
    for (const parent of p.parents) {
      b.addChild(parent, g, at(line));
      const pp = pending.get(parent);
      if (pp && pp.state === 'children') addPendingChildren(parent, line);
    }
  };

  lines.forEach((rawLine, idx) => {
    const lineNo = idx + 1;
    const line = rawLine.trim();
    if (line === '' || line[0] === '#' || line[0] === ';') return;
    const err = (msg: string, hint?: string): InventoryError => new InventoryError('syntax', file, msg, { line: lineNo, hint });

    const m = SECTION.exec(line);
    if (m) {
      group = m[1] as string;
      state = m[2] ?? 'hosts';
      if (state !== 'hosts' && state !== 'children' && state !== 'vars') {
        throw err(`section [${group}:${state}] has unknown type ${quote(state)}`, 'sections are [group], [group:vars] or [group:children]');
      }
      if (!b.groups.has(group)) {
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: lineNo, state: 'vars', name: group, parents: [] });
        b.addGroup(group, at(lineNo));
      }
      const p = pending.get(group);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(group, lineNo);
        else pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw err(`invalid section ${quote(line)}`, 'section names may not contain spaces or other invalid characters');
    }

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        throw err(`cannot parse host line: ${e instanceof ShlexError ? e.message : String(e)}`);
      }
      const first = tokens[0];
      if (first === undefined || first === '') throw err(`expected a host name, got ${quote(line)}`);
      const vars: [string, unknown][] = [];
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0) throw err(`expected key=value host variable, got ${quote(t)}`, 'quote values that contain spaces: key="a b"');
        vars.push([t.slice(0, eq), iniValue(t.slice(eq + 1))]);
      }
      const { names, port } = expandHostPattern(first, file, lineNo);
      for (const name of names) {
        b.addHost(name, at(lineNo), group, port);
        for (const [k, v] of vars) b.setHostVar(name, k, v, at(lineNo));
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) throw err(`expected key=value, got ${quote(line)}`);
      b.setGroupVar(group, line.slice(0, eq).trim(), iniValue(line.slice(eq + 1).trim()), at(lineNo));
    } else {
      const gm = GROUP_NAME.exec(line);
      if (!gm) throw err(`expected a group name, got ${quote(line)}`);
      const child = gm[1] as string;
      if (!b.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineNo, state: 'children', name: child, parents: [group] });
        else p.parents.push(group);
      } else {
        b.addChild(group, child, at(lineNo));
      }
    }
  });

  for (const p of pending.values()) {
    if (p.state === 'vars') {
      throw new InventoryError('undefined-group', file, `section [${p.name}:vars] is for group ${quote(p.name)}, which is never declared`, {
        line: p.line,
        hint: `declare it with [${p.name}] or list it under some [parent:children]`,
      });
    }
    throw new InventoryError('undefined-group', file, `section [${p.parents[p.parents.length - 1] ?? '?'}:children] includes undefined group ${quote(p.name)}`, {
      line: p.line,
      hint: `declare it with [${p.name}] (it may be empty)`,
    });
  }
}

/**
 * Ansible's `_expand_hostpattern` (+ the INI checks): split `:port` when the text is a valid
 * address, expand ranges. Used by the INI and YAML readers.
 */
export function expandHostPattern(pattern: string, file: string, line?: number): { names: string[]; port?: number } {
  const parsed = parseAddress(pattern);
  const base = parsed ? parsed.host : pattern;
  const port = parsed?.port;
  if (pattern.trim().endsWith(':') && port === undefined) {
    throw new InventoryError('syntax', file, `invalid host pattern ${quote(pattern)}: a trailing ':' must be followed by a port`, { line });
  }
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new InventoryError('invalid-port', file, `invalid port ${port} in ${quote(pattern)}`, { line, hint: 'ports are 1-65535' });
  }
  const names = base.includes('[') ? expandHostRange(base, file, line) : [base];
  if (names.some((n) => n.trim() === '---')) {
    throw new InventoryError('syntax', file, `invalid host pattern ${quote(pattern)}: '---' is normally a sign this is a YAML file`, { line });
  }
  return port === undefined ? { names } : { names, port };
}
