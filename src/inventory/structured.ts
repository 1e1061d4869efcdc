/**
 * Structured inventories: Ansible YAML (`lib/ansible/plugins/inventory/yaml.py`) and the JSON of
 * `ansible-inventory --list` (the script/JSON format, `lib/ansible/plugins/inventory/script.py`).
 *
 * YAML is read the way Ansible's PyYAML-based loader reads it (YAML 1.1 resolvers): `yes/no/on/off/
 * true/false` are booleans but `y`/`n` are strings, `0755` is octal, `1:30` is sexagesimal, `1e3`
 * (no dot) is a string, dates stay strings (as `ansible-inventory` prints them), `<<` merge keys
 * work, duplicate keys keep the last value, `!unsafe` is a plain string and `!vault` becomes
 * `{__ansible_vault: "<ciphertext>"}` as in `ansible-inventory --list`. Mappings keep their order.
 */
import { LineCounter, parseDocument, type ScalarTag, type Tags } from 'yaml';
import type { InventoryBuilder, Origin } from './builder.js';
import { InventoryError, quote } from './errors.js';
import { expandHostPattern } from './ini.js';

// --- reading ------------------------------------------------------------------------------------

const pyTrue: ScalarTag = {
  identify: (v) => v === true,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  resolve: () => true,
};
const pyFalse: ScalarTag = {
  identify: (v) => v === false,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  resolve: () => false,
};
const pyFloatExp: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:float',
  format: 'EXP',
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|[-+]?\.[0-9][0-9_]*[eE][-+][0-9]+)$/,
  resolve: (s) => parseFloat(s.replace(/_/g, '')),
};
const unsafeTag: ScalarTag = { tag: '!unsafe', resolve: (s) => s };
const vaultTag: ScalarTag = { tag: '!vault', resolve: (s) => new Map([['__ansible_vault', s]]) };
const vaultEncryptedTag: ScalarTag = { tag: '!vault-encrypted', resolve: (s) => new Map([['__ansible_vault', s]]) };

function pyyamlTags(tags: Tags): Tags {
  const kept = tags.filter((t) => {
    const tag = typeof t === 'string' ? t : t.tag;
    if (tag === 'tag:yaml.org,2002:bool' || tag === 'tag:yaml.org,2002:timestamp') return false;
    if (typeof t !== 'string' && tag === 'tag:yaml.org,2002:float' && (t as ScalarTag).format === 'EXP') return false;
    return true;
  });
  return [...kept, pyTrue, pyFalse, pyFloatExp, unsafeTag, vaultTag, vaultEncryptedTag];
}

/** Line numbers of mapping keys, by path (JSON-encoded array of keys). */
type LineIndex = Map<string, number>;

interface Loaded {
  data: unknown;
  lines: LineIndex;
}

function indexLines(node: unknown, path: string[], lc: LineCounter, out: LineIndex, depth = 0): void {
  if (depth > 200 || !node || typeof node !== 'object') return;
  const n = node as { items?: unknown[] };
  if (!Array.isArray(n.items)) return;
  n.items.forEach((item, idx) => {
    const pair = item as { key?: { value?: unknown; range?: [number, number, number] }; value?: unknown };
    if (pair && typeof pair === 'object' && 'key' in pair && 'value' in pair) {
      const key = pair.key && typeof pair.key === 'object' ? String(pair.key.value) : String(pair.key);
      const p = [...path, key];
      const offset = pair.key && typeof pair.key === 'object' ? pair.key.range?.[0] : undefined;
      if (offset !== undefined) out.set(JSON.stringify(p), lc.linePos(offset).line);
      indexLines(pair.value, p, lc, out, depth + 1);
    } else {
      const p = [...path, String(idx)];
      const offset = item && typeof item === 'object' ? (item as { range?: [number, number, number] }).range?.[0] : undefined;
      if (offset !== undefined) out.set(JSON.stringify(p), lc.linePos(offset).line);
      indexLines(item, p, lc, out, depth + 1);
    }
  });
}

const MAX_NESTING = 128;

/**
 * Refuse absurdly nested documents before the YAML parser sees them: it recurses per level, and
 * V8 may abort the whole process (not throw) when a regular expression is first compiled on an
 * exhausted stack. JSON is scanned exactly; for YAML, flow brackets count only where a flow
 * collection can start, quotes only where a quoted scalar can start, and compact `- - -` runs count.
 */
function nestingProblem(text: string, json: boolean): number | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = true;
  let prev = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      lineStart = true;
      prev = '';
      continue;
    }
    if (lineStart && !json) {
      const m = /^[ \t]*(?:-[ \t]+)+/.exec(text.slice(i, i + 4 * MAX_NESTING + 8));
      if (m && (m[0].match(/-/g) ?? []).length > MAX_NESTING) return line;
    }
    lineStart = false;
    if (c === ' ' || c === '\t' || c === '\r') continue;
    const tokenStart = json || prev === '' || '[{,:-?'.includes(prev);
    if ((c === '"' || (c === "'" && !json)) && tokenStart) {
      let j = i + 1;
      while (j < text.length) {
        const d = text[j] as string;
        if (d === '\n') line++;
        if (c === '"' && d === '\\') j += 2;
        else if (d === c && c === "'" && text[j + 1] === "'") j += 2;
        else if (d === c) break;
        else j++;
      }
      i = j;
      prev = c;
      continue;
    }
    if (c === '#' && !json && (i === 0 || /\s/.test(text[i - 1] as string))) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl - 1;
      continue;
    }
    if ((c === '[' || c === '{') && tokenStart) {
      if (++depth > MAX_NESTING) return line;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
    prev = c;
  }
  return undefined;
}

let warmedUp = false;
/** Compile the parser's regular expressions on a shallow stack (see nestingProblem). */
function warmUp(): void {
  if (warmedUp) return;
  warmedUp = true;
  const sample = 'a: &x {b: [1, -2.5e+3, 0x1f, 0o7, 017, 1:30, .inf, .nan, ~, null, yes, no, true, "s\\u00e9", \'q\', 2001-01-01]}\nc:\n  - *x\n  - <<: *x\n    d: |\n      t\n  - !unsafe u\n  - !vault v\n';
  for (const opts of [{ version: '1.2' as const, schema: 'core' }, { version: '1.1' as const, merge: true, customTags: pyyamlTags }]) {
    try {
      parseDocument(sample, { ...opts, lineCounter: new LineCounter(), uniqueKeys: false }).toJS({ mapAsMap: true });
      parseDocument('{"a": [1, 2.5, -3e4, true, false, null, "x\\n"]}', { ...opts, uniqueKeys: false }).toJS({ mapAsMap: true });
    } catch {
      // only a warm-up
    }
  }
}

function load(text: string, file: string, json: boolean): Loaded {
  warmUp();
  const deep = nestingProblem(text, json);
  if (deep !== undefined) {
    throw new InventoryError('syntax', file, `${json ? 'JSON' : 'YAML'} nested more than ${MAX_NESTING} levels deep`, { line: deep });
  }
  const lc = new LineCounter();
  let doc;
  try {
    doc = parseDocument(text, json
      ? { lineCounter: lc, uniqueKeys: false, version: '1.2', schema: 'core' }
      : { lineCounter: lc, uniqueKeys: false, version: '1.1', merge: true, customTags: pyyamlTags });
  } catch (e) {
    throw new InventoryError('syntax', file, `cannot parse ${json ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    throw new InventoryError('syntax', file, `invalid ${json ? 'JSON' : 'YAML'}: ${first.message.split('\n')[0] ?? ''}`, { line });
  }
  let data: unknown;
  try {
    data = doc.toJS({ mapAsMap: true, maxAliasCount: 1000 });
  } catch (e) {
    throw new InventoryError('syntax', file, `cannot load ${json ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lines: LineIndex = new Map();
  indexLines(doc.contents, [], lc, lines);
  return { data, lines };
}

/** Map → plain object, Set → array, recursively (vars values as the rest of dom0up sees them). */
export function plain(value: unknown, seen = new Map<unknown, unknown>()): unknown {
  if (value instanceof Map) {
    if (seen.has(value)) return seen.get(value);
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [k, v] of value) Object.defineProperty(out, k === null ? 'null' : String(k), { value: plain(v, seen), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (value instanceof Set) return [...value].map((v) => plain(v, seen));
  if (Array.isArray(value)) {
    if (seen.has(value)) return seen.get(value);
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(plain(v, seen));
    return out;
  }
  return value;
}

const isMap = (v: unknown): v is Map<unknown, unknown> => v instanceof Map;
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'list' : isMap(v) ? 'mapping' : typeof v);

// --- YAML inventory -----------------------------------------------------------------------------

export function parseYamlInto(b: InventoryBuilder, text: string, file: string): void {
  const { data, lines } = load(text, file, false);
  const lineOf = (path: string[]): number | undefined => {
    for (let n = path.length; n > 0; n--) {
      const l = lines.get(JSON.stringify(path.slice(0, n)));
      if (l !== undefined) return l;
    }
    return undefined;
  };
  const at = (path: string[]): Origin => ({ file, line: lineOf(path) });
  const bad = (path: string[], msg: string, hint?: string): InventoryError => new InventoryError('invalid-structure', file, msg, { line: lineOf(path), hint });

  if (data === null || data === undefined || data === '' || (isMap(data) && data.size === 0)) {
    throw new InventoryError('invalid-structure', file, 'empty YAML inventory');
  }
  if (!isMap(data)) throw bad([], `YAML inventory must be a mapping of groups, got a ${typeName(data)}`);
  if (data.get('plugin')) {
    throw bad(['plugin'], `this is the configuration of the ${quote(String(data.get('plugin')))} inventory plugin, not an inventory`, 'run `ansible-inventory -i FILE --list > inventory.json` and pass that file');
  }

  const parseGroup = (nameKey: unknown, gd: unknown, path: string[]): string | undefined => {
    if (path.length > 100) throw bad(path, 'groups nested more than 100 levels deep (a recursive YAML alias?)');
    if (typeof nameKey !== 'string' && typeof nameKey !== 'number') throw bad(path, `group name must be a string, got ${quote(nameKey)}`);
    const group = String(nameKey);
    if (!(isMap(gd) || gd === null || gd === undefined)) {
      b.warn(at(path), `skipping ${quote(group)}: not a valid group definition (a ${typeName(gd)})`);
      return undefined;
    }
    b.addGroup(group, at(path));
    if (!isMap(gd)) return group;
    for (const section of ['vars', 'children', 'hosts']) {
      if (!gd.has(section)) continue;
      const v = gd.get(section);
      if (typeof v === 'string') gd.set(section, new Map([[v, null]]));
      else if (!(isMap(v) || v === null || v === undefined)) {
        throw bad([...path, section], `"${section}" of group ${quote(group)} must be a mapping, got a ${typeName(v)}`, section === 'children' || section === 'hosts' ? `write "${section}:" entries as "name:" keys, not as a list` : undefined);
      }
    }
    for (const [rawKey, value] of gd) {
      const key = String(rawKey);
      const kpath = [...path, key];
      if (value === null || value === undefined) continue;
      if (!isMap(value)) {
        b.warn(at(kpath), `skipping key ${quote(key)} in group ${quote(group)}: not a mapping`);
        continue;
      }
      if (key === 'vars') {
        for (const [k, v] of value) b.setGroupVar(group, String(k), plain(v), at([...kpath, String(k)]));
      } else if (key === 'children') {
        for (const [sub, subData] of value) {
          const child = parseGroup(sub, subData, [...kpath, String(sub)]);
          if (child !== undefined) b.addChild(group, child, at([...kpath, String(sub)]));
        }
      } else if (key === 'hosts') {
        for (const [pattern, hv] of value) {
          const hpath = [...kpath, String(pattern)];
          if (typeof pattern !== 'string' && typeof pattern !== 'number') throw bad(hpath, `host name must be a string, got ${quote(pattern)}`);
          const { names, port } = expandHostPattern(String(pattern), file, lineOf(hpath));
          const falsy = hv === null || hv === undefined || hv === '' || hv === false || hv === 0 || (Array.isArray(hv) && hv.length === 0);
          const vars = falsy ? new Map() : hv; // Python: `host_data or {}`
          if (!isMap(vars)) throw bad(hpath, `variables of host ${quote(String(pattern))} must be a mapping, got a ${typeName(hv)}`);
          for (const name of names) {
            b.addHost(name, at(hpath), group, port);
            for (const [k, v] of vars) b.setHostVar(name, String(k), plain(v), at([...hpath, String(k)]));
          }
        }
      } else {
        b.warn(at(kpath), `skipping unexpected key ${quote(key)} in group ${quote(group)}; only vars, children and hosts are valid`);
      }
    }
    return group;
  };

  for (const [name, gd] of data) parseGroup(name, gd, [String(name)]);
}

// --- ansible-inventory --list JSON ----------------------------------------------------------------

export function parseAnsibleJsonInto(b: InventoryBuilder, text: string, file: string): void {
  const { data, lines } = load(text, file, true);
  const at = (path: string[]): Origin => {
    for (let n = path.length; n > 0; n--) {
      const l = lines.get(JSON.stringify(path.slice(0, n)));
      if (l !== undefined) return { file, line: l };
    }
    return { file };
  };
  const bad = (path: string[], msg: string): InventoryError => new InventoryError('invalid-structure', file, msg, { line: at(path).line });
  if (!isMap(data)) throw bad([], `inventory JSON must be an object, got a ${typeName(data)}`);

  const seenHosts: string[] = [];
  const hostSet = new Set<string>();
  let hostvars: Map<unknown, unknown> | undefined;

  for (const [rawName, raw] of data) {
    const group = String(rawName);
    const path = [group];
    if (group === '_meta') {
      if (isMap(raw) && raw.has('hostvars')) {
        const hv = raw.get('hostvars');
        if (hv !== null && !isMap(hv)) throw bad([group, 'hostvars'], `_meta.hostvars must be an object, got a ${typeName(hv)}`);
        hostvars = hv ?? undefined;
      }
      continue;
    }
    b.addGroup(group, at(path));
    let gd: Map<unknown, unknown>;
    if (!isMap(raw)) gd = new Map([['hosts', raw]]);
    else if (!raw.has('hosts') && !raw.has('vars') && !raw.has('children')) gd = new Map<unknown, unknown>([['hosts', [group]], ['vars', raw]]);
    else gd = raw;

    if (gd.has('hosts')) {
      const hosts = gd.get('hosts');
      if (!Array.isArray(hosts)) throw bad([group, 'hosts'], `"hosts" of group ${quote(group)} must be a list, got a ${typeName(hosts)}`);
      hosts.forEach((h, idx) => {
        if (typeof h !== 'string') throw bad([group, 'hosts', String(idx)], `host names must be strings, got ${quote(h)} in group ${quote(group)}`);
        b.addHost(h, at([group, 'hosts', String(idx)]), group);
        if (!hostSet.has(h)) {
          hostSet.add(h);
          seenHosts.push(h);
        }
      });
    }
    if (gd.has('vars')) {
      const vars = gd.get('vars');
      if (!isMap(vars)) throw bad([group, 'vars'], `"vars" of group ${quote(group)} must be an object, got a ${typeName(vars)}`);
      for (const [k, v] of vars) b.setGroupVar(group, String(k), plain(v), at([group, 'vars', String(k)]));
    }
    if (gd.has('children')) {
      const children = gd.get('children');
      const list = Array.isArray(children) ? children : isMap(children) ? [...children.keys()] : null;
      if (!list) throw bad([group, 'children'], `"children" of group ${quote(group)} must be a list, got a ${typeName(children)}`);
      for (const c of list) {
        if (typeof c !== 'string') throw bad([group, 'children'], `child group names must be strings, got ${quote(c)}`);
        b.addGroup(c, at([group, 'children']));
        b.addChild(group, c, at([group, 'children']));
      }
    }
  }

  for (const h of seenHosts) {
    const got = hostvars?.get(h);
    if (got === undefined || got === null) continue;
    if (!isMap(got)) throw bad(['_meta', 'hostvars', h], `_meta.hostvars of ${quote(h)} must be an object, got a ${typeName(got)}`);
    for (const [k, v] of got) b.setHostVar(h, String(k), plain(v), at(['_meta', 'hostvars', h, String(k)]));
  }
  if (hostvars) {
    for (const k of hostvars.keys()) {
      if (!hostSet.has(String(k))) b.warn(at(['_meta', 'hostvars', String(k)]), `_meta.hostvars has ${quote(String(k))}, which is in no group; ignored (as Ansible does)`);
    }
  }
}

/** Parse JSON or YAML text into a JS value (Maps for mappings), for format detection. */
export function loadStructured(text: string, file: string, json: boolean): unknown {
  return load(text, file, json).data;
}

// --- group_vars/ and host_vars/ files ------------------------------------------------------------

/** A vars file (YAML or JSON): its top-level keys with their line numbers. Empty file → no vars. */
export function parseVarsFile(text: string, file: string): { key: string; value: unknown; line?: number }[] {
  const { data, lines } = load(text, file, false);
  if (data === null || data === undefined) return [];
  if (!isMap(data)) throw new InventoryError('invalid-structure', file, `a vars file must be a mapping of variables, got a ${typeName(data)}`);
  return [...data].map(([k, v]) => ({ key: String(k), value: plain(v), line: lines.get(JSON.stringify([String(k)])) }));
}
