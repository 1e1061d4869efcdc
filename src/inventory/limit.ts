/**
 * `--limit PATTERN`, after Ansible's InventoryManager (`split_host_pattern`, `order_patterns`,
 * `_match_one_pattern`, `_enumerate_matches`, `_match_list`, subscripts).
 *
 * - Splitting: on ',' when there is one; otherwise a single pattern if it parses as an address
 *   (`host:22`, `a::b` IPv6), else on ':' outside `[...]` (`dom0s:!rack2`).
 * - Each part: `all` and `*` (everything), a group or host name, an fnmatch glob (`web*`,
 *   `web?.example.com`, `[ab]*`), or `~regex` (Python re.match: anchored at the start only, so
 *   `~web\d+` also matches `web01.example.com`). A group matches all hosts of its descendants.
 *   Hosts are also tried when no group matched or the pattern is a regex/glob or contains '.'.
 *   A trailing subscript selects from the part's matches: `dom0s[0]`, `dom0s[-1]`, `dom0s[1:3]`
 *   (inclusive), `dom0s[2:]`.
 * - `!part` excludes, `&part` intersects; plain parts are unions. As in Ansible, unions are applied
 *   first, then intersections, then exclusions, whatever their order in the pattern; a pattern with
 *   only `!`/`&` parts starts from `all`.
 * - The result is in inventory order (Inventory.hosts), not in pattern order.
 * - Differences from Ansible, on purpose: a part that matches no group and no host is an error
 *   (Ansible warns and goes on), so is an empty selection; `@file` limits are refused; group member
 *   order for subscripts is inventory order (Ansible's is a set-based walk); there is no implicit
 *   `localhost`.
 */
import { parseAddress } from './address.js';
import { InventoryError, quote } from './errors.js';
import type { Inventory, InventoryHost } from './types.js';

const SPLIT_RE = /(?:[^\s:[\]]|\[[^\]]*\])+/g;
const SUBSCRIPT_RE = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern)) parts = [pattern];
  else parts = pattern.match(SPLIT_RE) ?? [];
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Python fnmatch.translate, as a full-match JS RegExp. */
export function fnmatchToRegExp(pat: string): RegExp {
  let out = '';
  let i = 0;
  while (i < pat.length) {
    const c = pat[i++] as string;
    if (c === '*') {
      out += '.*';
      while (pat[i] === '*') i++;
    } else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) out += '\\[';
      else {
        let stuff = pat.slice(i, j).replace(/\\/g, '\\\\');
        i = j + 1;
        if (stuff.startsWith('!')) stuff = '^' + stuff.slice(1);
        else if (stuff.startsWith('^')) stuff = '\\' + stuff;
        stuff = stuff.replace(/\[/g, '\\[');
        out += `[${stuff}]`;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^(?:${out})$`, 'su');
  } catch {
    return new RegExp(`^${pat.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'su');
  }
}

/** A Python `re` pattern as a JS RegExp anchored at the start (re.match), or null when invalid. */
export function pythonRegExp(src: string): RegExp | null {
  let flags = '';
  let body = src;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(body);
  if (inline) {
    body = body.slice(inline[0].length);
    for (const f of inline[1] as string) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  body = body
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(`^(?:${body})`, flags);
  } catch {
    return null;
  }
}

interface Index {
  order: Map<string, number>;
  byName: Map<string, InventoryHost>;
  groupHosts: (group: string) => string[];
}

function buildIndex(inv: Inventory): Index {
  const order = new Map<string, number>();
  const byName = new Map<string, InventoryHost>();
  inv.hosts.forEach((h, i) => {
    order.set(h.name, i);
    byName.set(h.name, h);
  });
  const memo = new Map<string, string[]>();
  const groupHosts = (group: string): string[] => {
    const cached = memo.get(group);
    if (cached) return cached;
    const seen = new Set<string>();
    const names = new Set<string>();
    const stack = [group];
    while (stack.length) {
      const g = stack.pop() as string;
      if (seen.has(g)) continue;
      seen.add(g);
      const data = Object.prototype.hasOwnProperty.call(inv.groups, g) ? inv.groups[g] : undefined;
      if (!data) continue;
      for (const h of data.hosts) names.add(h);
      stack.push(...data.children);
    }
    const list = [...names].filter((n) => order.has(n)).sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
    memo.set(group, list);
    return list;
  };
  return { order, byName, groupHosts };
}

/**
 * The hosts selected by an Ansible `--limit` pattern, in inventory order. `undefined` (no
 * --limit) selects every host.
 */
export function selectHosts(inv: Inventory, pattern: string | undefined): InventoryHost[] {
  if (pattern === undefined) return [...inv.hosts];
  const file = inv.source;
  const parts = splitHostPattern(pattern);
  if (parts.length === 0) {
    throw new InventoryError('invalid-pattern', file, `--limit ${quote(pattern)} is empty`, { hint: 'e.g. --limit dom0s, --limit "web*:!web03", --limit "~web0[1-3]"' });
  }
  for (const p of parts) {
    if (p.startsWith('@')) {
      throw new InventoryError('invalid-pattern', file, `--limit ${quote(p)}: limit files are not supported`, { hint: 'pass the host names, comma-separated' });
    }
  }
  const idx = buildIndex(inv);
  const regular = parts.filter((p) => p[0] !== '!' && p[0] !== '&');
  const inter = parts.filter((p) => p[0] === '&');
  const excl = parts.filter((p) => p[0] === '!');
  // each phase is idempotent, so repeated parts need no second evaluation
  const ordered = [...new Set([...(regular.length ? regular : ['all']), ...inter, ...excl])];

  let selected = new Set<string>();
  for (const p of ordered) {
    if (p[0] !== '!' && p[0] !== '&' && idx.byName.has(p)) {
      selected.add(p);
      continue;
    }
    const that = new Set(matchOne(inv, idx, p[0] === '!' || p[0] === '&' ? p.slice(1) : p, p, pattern));
    if (p[0] === '!') selected = new Set([...selected].filter((h) => !that.has(h)));
    else if (p[0] === '&') selected = new Set([...selected].filter((h) => that.has(h)));
    else for (const h of that) selected.add(h);
  }
  const result = inv.hosts.filter((h) => selected.has(h.name));
  if (result.length === 0) {
    throw new InventoryError('no-hosts', file, `--limit ${quote(pattern)} selects no host`, { hint: 'check the intersections (&) and exclusions (!)' });
  }
  return result;
}

function matchOne(inv: Inventory, idx: Index, part: string, shown: string, whole: string): string[] {
  const file = inv.source;
  if (part === '') throw new InventoryError('invalid-pattern', file, `--limit ${quote(whole)} has an empty '!' or '&' part`);
  let expr = part;
  let sub: [number, number | undefined] | undefined;
  if (part[0] !== '~') {
    const m = SUBSCRIPT_RE.exec(part);
    if (m) {
      expr = m[1] as string;
      if (m[2] !== undefined) sub = [Number(m[2]), undefined];
      else sub = [Number(m[3]), m[5] ? Number(m[5]) : -1];
    }
  }
  let re: RegExp;
  if (expr[0] === '~') {
    const r = pythonRegExp(expr.slice(1));
    if (!r) throw new InventoryError('invalid-pattern', file, `--limit ${quote(whole)}: invalid regular expression ${quote(expr.slice(1))}`);
    re = r;
  } else re = fnmatchToRegExp(expr);

  const matchingGroups = Object.keys(inv.groups).filter((g) => re.test(g));
  const names = new Set<string>();
  for (const g of matchingGroups) for (const h of idx.groupHosts(g)) names.add(h);
  let hostMatched = false;
  if (matchingGroups.length === 0 || expr[0] === '~' || /[.?*[]/.test(expr)) {
    for (const h of inv.hosts) {
      if (re.test(h.name)) {
        names.add(h.name);
        hostMatched = true;
      }
    }
  }
  if (matchingGroups.length === 0 && !hostMatched && expr !== 'all') {
    throw new InventoryError('no-match', file, `--limit pattern ${quote(shown)} matches no host and no group`, {
      hint: `groups: ${Object.keys(inv.groups).slice(0, 12).join(', ')}${Object.keys(inv.groups).length > 12 ? ', …' : ''}`,
    });
  }
  let hosts = [...names].sort((a, b) => (idx.order.get(a) as number) - (idx.order.get(b) as number));
  if (sub) {
    const [start, end] = sub;
    if (end !== undefined && end !== 0) {
      // Python: hosts[start:end + 1], end -1 meaning "to the last"
      hosts = hosts.slice(start, (end === -1 ? hosts.length - 1 : end) + 1);
    } else {
      const h = hosts[start < 0 ? hosts.length + start : start];
      if (h === undefined) throw new InventoryError('no-match', file, `--limit ${quote(shown)}: no host at index ${start} (the pattern matches ${hosts.length})`);
      hosts = [h];
    }
  }
  return hosts;
}
