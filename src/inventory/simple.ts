/**
 * The two non-Ansible sources: plain host lists (and command-line hosts) and ~/.ssh/config aliases.
 */
import { expandHostRange, splitDestination, type Destination } from './address.js';
import type { InventoryBuilder, Origin } from './builder.js';
import { InventoryError, quote } from './errors.js';
import { LINE_BREAK } from './ini.js';

/** Range-expand the host part of a destination (a bracketed IPv6 literal is not a range). */
function expandDestination(d: Destination, file: string, line?: number): string[] {
  return d.host.includes('[') ? expandHostRange(d.host, file, line) : [d.host];
}

/**
 * Add `[user@]host[:port]` entries (ranges allowed) as ungrouped hosts. The same host twice is
 * fine when it means the same thing; with a different user or port it is an error.
 */
export function addDestination(b: InventoryBuilder, text: string, origin: Origin): void {
  const d = splitDestination(text, origin.file, origin.line);
  for (const name of expandDestination(d, origin.file, origin.line)) {
    const existing = b.hosts.get(name);
    if (existing) {
      const user = existing.vars.get('ansible_user');
      const port = existing.vars.get('ansible_port');
      if (user !== d.user || port !== d.port) {
        throw new InventoryError('duplicate-host', origin.file, `host ${quote(name)} is given twice with different user/port (${quote(text)})`, {
          line: origin.line,
          hint: existing.origin.line !== undefined ? `first given at line ${existing.origin.line}` : undefined,
        });
      }
      continue;
    }
    b.addHost(name, origin, 'ungrouped');
    if (d.user !== undefined) b.setHostVar(name, 'ansible_user', d.user, origin);
    if (d.port !== undefined) b.setHostVar(name, 'ansible_port', d.port, origin);
  }
}

/** One host per line (`user@host:port`, `[v6]:port`, ranges), `#` comments, blank lines. */
export function parseListInto(b: InventoryBuilder, text: string, file: string): void {
  text
    .replace(/^\uFEFF/, '')
    .split(LINE_BREAK)
    .forEach((raw, idx) => {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (line === '') return;
      if (/\s/.test(line)) {
        throw new InventoryError('syntax', file, `expected one host per line, got ${quote(line)}`, {
          line: idx + 1,
          hint: 'for per-host settings use an Ansible INI inventory: "host key=value …"',
        });
      }
      addDestination(b, line, { file, line: idx + 1 });
    });
}

// --- ~/.ssh/config -------------------------------------------------------------------------------

/** ssh_config(5) argument splitting: whitespace-separated, double quotes group. */
function splitArgs(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (i >= text.length) break;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return null;
      out.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j] as string)) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const src = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${src}$`, 'i');
}

interface Block {
  /** null: options before any Host/Match (they apply to every host). */
  patterns: string[] | null;
  /** Match blocks cannot be evaluated here (only `Match all` is honoured). */
  match?: boolean;
  matchAll?: boolean;
  options: { key: string; value: string; line: number }[];
}

function blockMatches(block: Block, alias: string): boolean {
  if (block.match) return block.matchAll === true;
  if (block.patterns === null) return true;
  let positive = false;
  for (const p of block.patterns) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(alias)) return false;
    } else if (globToRegExp(p).test(alias)) positive = true;
  }
  return positive;
}

/**
 * `Host` aliases without wildcards or negation become ungrouped hosts, in file order. HostName, User,
 * Port and IdentityFile are taken with ssh's first-value-wins rule over every block that matches the
 * alias (earlier `Host *` blocks included, so the result agrees with `ssh -G`); `%h` and `%%` in
 * HostName are expanded. Not done here (the transport resolves each host with `ssh -G` at connect
 * time): Include, Match conditions other than `Match all`, `~` in IdentityFile. Aliases that are not
 * usable host names are skipped with a warning.
 */
export function parseSshConfigInto(b: InventoryBuilder, text: string, file: string): void {
  const blocks: Block[] = [{ patterns: null, options: [] }];
  const aliases: { name: string; line: number }[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .forEach((raw, idx) => {
      const lineNo = idx + 1;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(line);
      if (!m) {
        if (/^[A-Za-z][A-Za-z0-9]*$/.test(line)) return; // keyword without argument: ssh would complain; not our business
        throw new InventoryError('syntax', file, `cannot parse ssh config line ${quote(line)}`, { line: lineNo });
      }
      const key = (m[1] as string).toLowerCase();
      const args = splitArgs(m[2] as string);
      if (args === null) throw new InventoryError('syntax', file, `unbalanced quotes in ${quote(line)}`, { line: lineNo });
      if (key === 'host') {
        blocks.push({ patterns: args, options: [] });
        for (const p of args) {
          if (/[*?!]/.test(p) || p === '') continue;
          if (!aliases.some((a) => a.name === p)) aliases.push({ name: p, line: lineNo });
        }
      } else if (key === 'match') {
        const all = args.length === 1 && (args[0] ?? '').toLowerCase() === 'all';
        blocks.push({ patterns: [], match: true, matchAll: all, options: [] });
      } else if (key === 'include') {
        b.warn({ file, line: lineNo }, 'Include is not followed when listing ssh config aliases');
      } else {
        (blocks[blocks.length - 1] as Block).options.push({ key, value: args.join(' '), line: lineNo });
      }
    });

  for (const { name, line } of aliases) {
    const origin = { file, line };
    try {
      b.addHost(name, origin, 'ungrouped');
    } catch (e) {
      if (e instanceof InventoryError) {
        b.warn(origin, `skipping ssh config alias ${quote(name)}: ${e.message.replace(/^[^:]*:\d+: /, '')}`);
        continue;
      }
      throw e;
    }
    const got = new Map<string, { value: string; line: number }>();
    for (const block of blocks) {
      if (!blockMatches(block, name)) continue;
      for (const o of block.options) if (!got.has(o.key)) got.set(o.key, o);
    }
    const set = (key: string, varName: string, value: unknown): void => {
      const o = got.get(key);
      if (o) b.setHostVar(name, varName, value, { file, line: o.line });
    };
    const hostName = got.get('hostname');
    if (hostName) set('hostname', 'ansible_host', hostName.value.replace(/%(.)/g, (all, c: string) => (c === 'h' ? name : c === '%' ? '%' : all)));
    const user = got.get('user');
    if (user) set('user', 'ansible_user', user.value);
    const port = got.get('port');
    if (port) set('port', 'ansible_port', port.value);
    const id = got.get('identityfile');
    if (id) set('identityfile', 'ansible_ssh_private_key_file', id.value);
  }
}
