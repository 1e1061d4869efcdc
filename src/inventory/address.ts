/**
 * Host fields: Ansible's `parse_address` / `expand_hostname_range` and our own sanity checks.
 */
import { InventoryError, quote } from './errors.js';

// --- ansible/parsing/utils/addresses.py -------------------------------------------------------

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const IPV6_C = String.raw`(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const IPV4_C = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const LABEL = String.raw`(?:[\p{L}\p{N}_]|${ALNUM_RANGE})(?:[\p{L}\p{N}_\-]|${ALNUM_RANGE})*(?<![_\-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/s;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/s;
const IPV4 = new RegExp(String.raw`^(?:${IPV4_C}\.){3}${IPV4_C}$`, 'i');
// Faithful to Ansible, whose pattern anchors only its first alternative with ^ and its last with $
// (re.match anchors the start anyway): every alternative must match at the start, only the last
// must reach the end.
const IPV6 = new RegExp(
  '^(?:' +
    [
      String.raw`(?:${IPV6_C}:){7}${IPV6_C}`,
      String.raw`(?:${IPV6_C}:){1,6}:`,
      String.raw`(?:${IPV6_C}:)(?::${IPV6_C}){1,6}`,
      String.raw`(?:${IPV6_C}:){2}(?::${IPV6_C}){1,5}`,
      String.raw`(?:${IPV6_C}:){3}(?::${IPV6_C}){1,4}`,
      String.raw`(?:${IPV6_C}:){4}(?::${IPV6_C}){1,3}`,
      String.raw`(?:${IPV6_C}:){5}(?::${IPV6_C}){1,2}`,
      String.raw`(?:${IPV6_C}:){6}(?::${IPV6_C})`,
      String.raw`:(?::${IPV6_C}){1,6}`,
      String.raw`${IPV6_C}?::`,
      String.raw`(?:0:){6}(?:${IPV6_C}\.){3}${IPV6_C}`,
      String.raw`::(?:ffff:)?(?:${IPV6_C}\.){3}${IPV6_C}`,
      String.raw`(?:0:){5}ffff:(?:${IPV6_C}\.){3}${IPV6_C}$`,
    ].join('|') +
    ')',
  'iu',
);
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu');

/**
 * Ansible's `parse_address(text, allow_ranges=True)`: split an optional `:port` and check that
 * what remains is an IPv4/IPv6 address or a host name (ranges allowed). `null` where Ansible
 * raises — its callers then take the whole text as the host, without a port.
 */
export function parseAddress(text: string): { host: string; port?: number } | null {
  let address = text;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1] as string;
      port = Number(m[2]);
    }
  }
  if (!(IPV4.test(address) || IPV6.test(address) || HOSTNAME.test(address))) return null;
  return port === undefined ? { host: address } : { host: address, port };
}

// --- expand_hostname_range ---------------------------------------------------------------------

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MAX_EXPANSION = 100_000;

/**
 * `web[01:03].example.com` → web01…web03; `db-[a:c]` → db-a…db-c; `[start:end:step]`; several
 * ranges multiply. Errors as Ansible's (begin/end formats), plus: an empty range (`[3:1]`) and
 * more than 100 000 names are refused instead of silently yielding nothing / everything.
 */
export function expandHostRange(pattern: string, file: string, line?: number): string[] {
  const err = (msg: string): InventoryError =>
    new InventoryError('bad-range', file, `host range in ${quote(pattern)}: ${msg}`, { line, hint: 'ranges look like web[01:10].example.com, db-[a:f] or [1:10:2]' });
  if ((pattern.match(/\[/g) ?? []).length > 16) throw err('more than 16 ranges in one name');
  const out: string[] = [];
  const expand = (text: string): void => {
    const open = text.indexOf('[');
    if (open < 0) {
      out.push(text);
      if (out.length > MAX_EXPANSION) throw err(`expands to more than ${MAX_EXPANSION} hosts`);
      return;
    }
    const close = text.indexOf(']', open);
    if (close < 0) throw err("missing ']'");
    const head = text.slice(0, open);
    const tail = text.slice(close + 1);
    const bounds = text.slice(open + 1, close).split(':');
    if (bounds.length !== 2 && bounds.length !== 3) throw err('must be begin:end or begin:end:step');
    let beg = bounds[0] as string;
    const end = bounds[1] as string;
    const stepText = bounds[2] ?? '1';
    if (beg === '') beg = '0';
    if (end === '') throw err('must specify the end value');
    if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) throw err(`invalid step ${quote(stepText)}`);
    const step = Number(stepText);
    let seq: string[];
    const ib = beg.length === 1 ? ASCII_LETTERS.indexOf(beg) : -1;
    const ie = end.length === 1 ? ASCII_LETTERS.indexOf(end) : -1;
    if (ib >= 0 && ie >= 0) {
      if (ib > ie) throw err('begin must be <= end');
      seq = [];
      for (let k = ib; k <= ie; k += step) seq.push(ASCII_LETTERS[k] as string);
    } else {
      if (!/^[0-9]+$/.test(beg) || !/^[0-9]+$/.test(end)) throw err(`${quote(beg)}:${quote(end)} is neither numeric nor a single letter`);
      const padded = beg.length > 1 && beg.startsWith('0');
      if (padded && beg.length !== end.length) throw err('begin and end must have the same width (e.g. [01:10])');
      const b = Number(beg);
      const e = Number(end);
      if (b > e) throw err('begin must be <= end');
      if ((e - b) / step > MAX_EXPANSION) throw err(`expands to more than ${MAX_EXPANSION} hosts`);
      seq = [];
      for (let k = b; k <= e; k += step) seq.push(padded ? String(k).padStart(beg.length, '0') : String(k));
    }
    for (const part of seq) expand(head + part + tail);
  };
  expand(pattern);
  return out;
}

// --- sanity ------------------------------------------------------------------------------------

// Whitespace, controls, quotes and every shell metacharacter; '[' ']' (ranges must be expanded by
// now), ',' (a separator everywhere), '=' (a missed key=value), '@' (user@ belongs in ansible_user),
// '/' (never part of a host).
// eslint-disable-next-line no-control-regex
const BAD_HOST = /[\s\u0000-\u001f\u007f-\u009f\u2028\u2029'"`$\\;|&<>(){}*?!#,=@[\]~^/]/u;

/** Why `name` is not a usable host name/address, or null when it is. */
export function hostNameProblem(name: string): string | null {
  if (name === '') return 'is empty';
  if (name.length > 255) return 'is longer than 255 characters';
  if (name.startsWith('-')) return "starts with '-'";
  const m = BAD_HOST.exec(name);
  if (m) return `contains ${quote(m[0])}`;
  return null;
}

export function checkHostName(name: string, what: string, file: string, line?: number): void {
  const problem = hostNameProblem(name);
  if (problem) {
    throw new InventoryError('invalid-host', file, `${what} ${quote(name)} ${problem}`, {
      line,
      hint: problem.includes("'@'") ? 'put the login name in ansible_user (or use user@host on the command line)' : 'host names and addresses may not contain whitespace, quotes or shell metacharacters',
    });
  }
}

// eslint-disable-next-line no-control-regex
const BAD_USER = /[\s\u0000-\u001f\u007f-\u009f'"`$\\;|&<>(){}*?!#,=/:]/u;

export function userProblem(user: string): string | null {
  if (user === '') return 'is empty';
  if (user.length > 255) return 'is longer than 255 characters';
  if (user.startsWith('-')) return "starts with '-'";
  const m = BAD_USER.exec(user);
  return m ? `contains ${quote(m[0])}` : null;
}

export function portProblem(port: number): string | null {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? null : 'is not a port number (1-65535)';
}

// --- destinations: command line and plain lists ------------------------------------------------

export interface Destination {
  user?: string;
  host: string;
  port?: number;
}

/**
 * `[user@]host[:port]`, `[user@][v6addr][:port]`, `ssh://[user@]host[:port]`, or a bare IPv6
 * address (no port). The host is NOT range-expanded or validated here.
 */
export function splitDestination(text: string, file: string, line?: number): Destination {
  let s = text.trim();
  if (/^ssh:\/\//i.test(s)) s = s.slice(6).replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
    const problem = userProblem(user);
    if (problem) throw new InventoryError('invalid-value', file, `user name ${quote(user)} in ${quote(text)} ${problem}`, { line });
  }
  let host = s;
  let port: number | undefined;
  const bracket = /^\[([^\]]*)\](?::([^:]*))?$/.exec(s);
  const outside = s.replace(/\[[^\]]*\]/g, ''); // colons inside ranges like web[01:03] do not count
  if (bracket) {
    host = bracket[1] as string;
    if (bracket[2] !== undefined) port = parsePort(bracket[2], text, file, line);
  } else if ((outside.match(/:/g) ?? []).length === 1) {
    const m = /^((?:[^:[\]]|\[[^\]]*\])*):(.*)$/s.exec(s);
    if (m) {
      host = m[1] as string;
      port = parsePort(m[2] as string, text, file, line);
    }
  }
  const d: Destination = { host };
  if (user !== undefined) d.user = user;
  if (port !== undefined) d.port = port;
  return d;
}

function parsePort(text: string, whole: string, file: string, line?: number): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (portProblem(port)) throw new InventoryError('invalid-port', file, `invalid port ${quote(text)} in ${quote(whole)}`, { line, hint: 'ports are 1-65535' });
  return port;
}
