/**
 * ssh_config resolution.
 *
 * Preferred: `ssh -G <host>` (OpenSSH resolves Include, Match, tokens and defaults exactly as
 * `ssh` would). Fallback when no `ssh` binary exists: a small parser for Host/Match blocks with
 * first-value-wins semantics, Include, `~` and `%` token expansion.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { TransportError } from './errors.js';
import { globMatch, matchPatternList } from './known-hosts.js';

export interface SshHostConfig {
  /** The name that was resolved (alias as typed). */
  host: string;
  /** Real host name to connect to (HostName). */
  hostname: string;
  user: string;
  port: number;
  /** Expanded paths, in order. */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** Expanded; empty when `none`. */
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** Raw ProxyJump value (undefined when unset or `none`). */
  proxyJump?: string;
  /** Raw ProxyCommand (unsupported by dom0up; reported as an error by connectSsh). */
  proxyCommand?: string;
  connectTimeoutMs?: number;
  /** Only set when the config sets a positive ServerAliveInterval. */
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  hostKeyAlias?: string;
  hashKnownHosts: boolean;
  /** Raw IdentityAgent value: a socket path, `none`, or `SSH_AUTH_SOCK`. */
  identityAgent?: string;
  strictHostKeyChecking?: string;
  /** Where the values came from. */
  source: 'ssh -G' | 'fallback';
}

export interface ResolveSshConfigOptions {
  /**
   * OpenSSH options that come first on the command line (e.g. an inventory's ssh arguments, checked
   * by parseSshArgs): `-o Key=Value`, `-i`, `-l`, `-p`, `-J`, `-F`. They beat `user`/`port` below and
   * the configuration files (ssh's first-value-wins rule); a `-F` among them replaces `configFile`.
   */
  args?: readonly string[];
  /** `-F file`; default: ~/.ssh/config then /etc/ssh/ssh_config. */
  configFile?: string;
  /** `-l`, `-p`, `-i` given on our command line (passed to `ssh -G` so Match sees them). */
  user?: string;
  port?: number;
  identityFiles?: string[];
  /** Path of the ssh binary; `false` forces the fallback parser; default: /usr/bin/ssh or `ssh` on PATH. */
  sshBinary?: string | false;
  /** Home directory for `~` in the fallback parser (default os.homedir()). */
  homeDir?: string;
  /** Local user name (default os.userInfo().username). */
  localUser?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_IDENTITY_FILES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'];

/** Locate the ssh client: /usr/bin/ssh, else `ssh` on PATH, else undefined. */
export function findSshBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = ['/usr/bin/ssh', ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'ssh'))];
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}

export interface TokenContext {
  home: string;
  /** remote host name (%h) */
  hostname: string;
  /** original host name as typed (%n) */
  host: string;
  port: number;
  /** remote user (%r) */
  user: string;
  /** local user (%u) */
  localUser: string;
}

/** Expand ssh_config(5) TOKENS that make sense for paths: %% %d %h %n %p %r %u %i %l %L. Unknown tokens are kept. */
export function expandTokens(text: string, ctx: TokenContext): string {
  return text.replace(/%(.)/g, (all, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'd':
        return ctx.home;
      case 'h':
        return ctx.hostname;
      case 'n':
        return ctx.host;
      case 'p':
        return String(ctx.port);
      case 'r':
        return ctx.user;
      case 'u':
        return ctx.localUser;
      case 'i':
        return String(process.getuid?.() ?? '');
      case 'l':
        return localHostname();
      case 'L':
        return localHostname().split('.')[0] ?? '';
      default:
        return all;
    }
  });
}

export function expandPath(p: string, ctx: TokenContext): string {
  return expandTilde(expandTokens(p, ctx), ctx.home);
}

function parseBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const l = v.toLowerCase();
  if (l === 'yes' || l === 'true') return true;
  if (l === 'no' || l === 'false') return false;
  return undefined;
}

/** Seconds → ms; `none`/0/garbage → undefined. */
function parseSeconds(v: string | undefined): number | undefined {
  if (v === undefined || v.toLowerCase() === 'none') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.round(n * 1000) : undefined;
}

function noneToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.toLowerCase() === 'none' ? undefined : v;
}

/**
 * Parse `ssh -G` output. Keys are lower case; `identityfile` repeats; `userknownhostsfile` and
 * `globalknownhostsfile` are space-separated lists; `none` means unset. IdentityFile values are
 * printed unexpanded (`~`, `%h`…), so they are expanded here.
 */
export function parseSshG(text: string, opts: { homeDir?: string; localUser?: string } = {}): SshHostConfig {
  const single = new Map<string, string>();
  const identityFiles: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const key = (m[1] as string).toLowerCase();
    const value = (m[2] as string).trim();
    if (key === 'identityfile') identityFiles.push(value);
    else if (!single.has(key)) single.set(key, value);
  }
  const home = opts.homeDir ?? homedir();
  const localUser = opts.localUser ?? safeLocalUser();
  const hostname = single.get('hostname') ?? single.get('host') ?? '';
  const port = Number(single.get('port') ?? '22');
  const user = single.get('user') ?? localUser;
  const ctx: TokenContext = { home, hostname, host: single.get('host') ?? hostname, port, user, localUser };
  const list = (key: string): string[] => {
    const v = single.get(key);
    if (v === undefined || v.toLowerCase() === 'none') return [];
    return v.split(/\s+/).filter(Boolean).map((p) => expandPath(p, ctx));
  };
  const cfg: SshHostConfig = {
    host: ctx.host,
    hostname,
    user,
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 22,
    identityFiles: identityFiles.filter((f) => f.toLowerCase() !== 'none').map((f) => expandPath(f, ctx)),
    identitiesOnly: parseBool(single.get('identitiesonly')) ?? false,
    userKnownHostsFiles: list('userknownhostsfile'),
    globalKnownHostsFiles: list('globalknownhostsfile'),
    hashKnownHosts: parseBool(single.get('hashknownhosts')) ?? false,
    source: 'ssh -G',
  };
  const setIf = <K extends keyof SshHostConfig>(k: K, v: SshHostConfig[K] | undefined): void => {
    if (v !== undefined) cfg[k] = v;
  };
  setIf('proxyJump', noneToUndefined(single.get('proxyjump')));
  setIf('proxyCommand', noneToUndefined(single.get('proxycommand')));
  setIf('connectTimeoutMs', parseSeconds(single.get('connecttimeout')));
  const alive = parseSeconds(single.get('serveraliveinterval'));
  if (alive !== undefined) {
    cfg.serverAliveIntervalMs = alive;
    const count = Number(single.get('serveralivecountmax'));
    if (Number.isInteger(count) && count > 0) cfg.serverAliveCountMax = count;
  }
  setIf('hostKeyAlias', noneToUndefined(single.get('hostkeyalias')));
  setIf('identityAgent', single.get('identityagent'));
  setIf('strictHostKeyChecking', single.get('stricthostkeychecking'));
  return cfg;
}

function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
}

/** A host name we are willing to hand to `ssh -G` and to sockets. */
export function validateHostName(host: string, target: string): void {
  // eslint-disable-next-line no-control-regex
  if (host === '' || host.startsWith('-') || /[\s\u0000-\u001f\u007f'"`$\\;|&<>]/.test(host)) {
    throw new TransportError('config', target, `invalid host name ${JSON.stringify(host)}`);
  }
}

function runSshG(bin: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const detail = (stderr || err.message).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('Pseudo-terminal')).join('; ');
        reject(new Error(detail || String(err)));
      } else resolve(stdout);
    });
    child.stdin?.end();
  });
}

/**
 * Resolve the effective configuration for `host` (an alias or a host name, without user@/:port).
 * Uses `ssh -G` when available; otherwise the fallback parser.
 */
export async function resolveSshConfig(host: string, opts: ResolveSshConfigOptions = {}): Promise<SshHostConfig> {
  validateHostName(host, host);
  const env = opts.env ?? process.env;
  const bin = opts.sshBinary === false ? undefined : (opts.sshBinary ?? findSshBinary(env));
  if (bin) {
    const args = ['-G', ...(opts.args ?? [])];
    if (opts.configFile && !argsConfigFile(opts.args)) args.push('-F', opts.configFile);
    if (opts.user) args.push('-l', opts.user);
    if (opts.port) args.push('-p', String(opts.port));
    for (const i of opts.identityFiles ?? []) args.push('-i', i);
    args.push(host);
    let out: string;
    try {
      out = await runSshG(bin, args, opts.timeoutMs ?? 10_000, env);
    } catch (e) {
      throw new TransportError('config', host, `ssh -G failed: ${(e as Error).message}`, {
        hint: 'check your ssh configuration (ssh -G prints the same error)',
        cause: e,
      });
    }
    const cfg = parseSshG(out, opts);
    cfg.host = host;
    // ssh -G drops -i files that do not exist; keep explicit ones in front so the error is visible later
    return cfg;
  }
  return resolveSshConfigFallback(host, opts);
}

// ---------------------------------------------------------------------------------------------
// Fallback parser

interface ConfigLine {
  key: string; // lower case
  args: string[];
  file: string;
  line: number;
}

/** Split a config line into words: `Key value`, `Key=value`, double quotes group words. */
export function splitConfigLine(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  let s = text.trim();
  // `Key=value` or `Key = value`
  const eq = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(s);
  if (eq) s = `${eq[1]} ${eq[2]}`;
  for (const ch of s) {
    if (quoted) {
      if (ch === '"') quoted = false;
      else cur += ch;
      continue;
    }
    if (ch === '"') {
      quoted = true;
      inWord = true;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if (ch === '#' && !inWord) break;
    cur += ch;
    inWord = true;
  }
  if (inWord) words.push(cur);
  return words;
}

function readConfigLines(file: string, home: string, depth: number, baseDir: string): ConfigLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new TransportError('config', '', `cannot read ssh config ${file}: ${code ?? (e as Error).message}`);
  }
  const out: ConfigLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const words = splitConfigLine((lines[i] ?? '').replace(/\r$/, ''));
    const [k, ...args] = words;
    if (!k || k.startsWith('#')) continue;
    const key = k.toLowerCase();
    if (key === 'include') {
      if (depth >= 16) throw new TransportError('config', '', `${file}:${i + 1}: Include nested too deeply`);
      // Include is conditional on the enclosing Host/Match: keep it as a line; expanded in place
      out.push({ key: 'include-begin', args: [], file, line: i + 1 });
      for (const pattern of args) {
        const p = expandTilde(pattern, home);
        const abs = isAbsolute(p) ? p : join(baseDir, p);
        for (const f of globFiles(abs)) out.push(...readConfigLines(f, home, depth + 1, baseDir).filter((l) => l.key !== 'include-end'));
      }
      out.push({ key: 'include-end', args: [], file, line: i + 1 });
      continue;
    }
    out.push({ key, args, file, line: i + 1 });
  }
  return out;
}

/** Glob with `*`/`?` in the last path component only (what Include needs in practice). */
function globFiles(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  if (!/[*?]/.test(base)) return [pattern];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && matchPatternList(n, base) === 1)
    .sort()
    .map((n) => join(dir, n));
}

/**
 * Evaluate config lines for a host (first value wins; IdentityFile accumulates).
 * Include bodies inherit the enclosing block's condition, and a Host/Match inside an included file
 * only lasts until the end of that file, as in OpenSSH.
 */
function evaluate(lines: ConfigLine[], host: string, ctxUser: () => string, localUser: string): Map<string, string[][]> {
  const values = new Map<string, string[][]>();
  let active = true;
  const stack: boolean[] = [];
  for (const l of lines) {
    if (l.key === 'include-begin') {
      stack.push(active);
      continue;
    }
    if (l.key === 'include-end') {
      active = stack.pop() ?? true;
      continue;
    }
    if (l.key === 'host') {
      const outer = stack.length === 0 ? true : (stack[stack.length - 1] as boolean);
      active = outer && matchHostLine(host, l.args);
      continue;
    }
    if (l.key === 'match') {
      const outer = stack.length === 0 ? true : (stack[stack.length - 1] as boolean);
      active = outer && evalMatch(l.args, host, ctxUser, localUser);
      continue;
    }
    if (!active) continue;
    const list = values.get(l.key) ?? [];
    list.push(l.args);
    values.set(l.key, list);
  }
  return values;
}

/** `Host` patterns are separated by whitespace (a comma is part of the pattern); `!` negates. */
function matchHostLine(host: string, patterns: string[]): boolean {
  let positive = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const pat = negated ? p.slice(1) : p;
    if (globMatch(host.toLowerCase(), pat.toLowerCase())) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

function evalMatch(args: string[], host: string, ctxUser: () => string, localUser: string): boolean {
  let i = 0;
  let result = true;
  while (i < args.length) {
    let crit = (args[i++] ?? '').toLowerCase();
    let negate = false;
    if (crit.startsWith('!')) {
      negate = true;
      crit = crit.slice(1);
    }
    let ok: boolean;
    if (crit === 'all') ok = true;
    else if (crit === 'canonical' || crit === 'final') ok = false;
    else {
      const arg = args[i++] ?? '';
      if (crit === 'host' || crit === 'originalhost') ok = matchPatternList(host, arg) === 1;
      else if (crit === 'user') ok = matchPatternList(ctxUser(), arg) === 1;
      else if (crit === 'localuser') ok = matchPatternList(localUser, arg) === 1;
      else ok = false; // exec, localnetwork, tagged…: not evaluated by the fallback parser
    }
    if (negate) ok = !ok;
    result = result && ok;
  }
  return result;
}

/** The config file named by the last `-F` among command-line options (ssh: a later -F replaces an earlier one). */
export function argsConfigFile(args: readonly string[] | undefined): string | undefined {
  let file: string | undefined;
  for (let i = 0; i < (args?.length ?? 0); i++) {
    const a = args![i] as string;
    if (a === '-F' && i + 1 < args!.length) file = args![++i];
    else if (a.startsWith('-F') && a.length > 2) file = a.slice(2);
    else if (['-o', '-i', '-l', '-p', '-J'].includes(a)) i++;
  }
  return file;
}

/** Command-line options as config lines that apply to every host (for the fallback parser). */
function commandLineLines(args: readonly string[]): ConfigLine[] {
  const out: ConfigLine[] = [];
  const push = (key: string, value: string) => out.push({ key, args: key === 'proxyjump' ? [value] : splitConfigLine(`x ${value}`).slice(1), file: '<command line>', line: 0 });
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const flag = a.slice(0, 2);
    const value = a.length > 2 ? a.slice(2) : args[++i];
    if (value === undefined) break;
    if (flag === '-o') {
      const words = splitConfigLine(value);
      const [k, ...rest] = words;
      if (k) out.push({ key: k.toLowerCase(), args: rest, file: '<command line>', line: 0 });
    } else if (flag === '-i') push('identityfile', value);
    else if (flag === '-l') push('user', value);
    else if (flag === '-p') push('port', value);
    else if (flag === '-J') push('proxyjump', value);
  }
  return out;
}

/** The fallback parser (no `ssh` binary). Exported for tests. */
export function resolveSshConfigFallback(host: string, opts: ResolveSshConfigOptions = {}): SshHostConfig {
  const home = opts.homeDir ?? homedir();
  const localUser = opts.localUser ?? safeLocalUser();
  const configFile = argsConfigFile(opts.args) ?? opts.configFile;
  const files = configFile ? [configFile] : [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'];
  // command-line options come before every file (first value wins), as in ssh; dom0up's own
  // -l/-p/-i (opts.user, opts.port, opts.identityFiles) come after them
  const argLines = commandLineLines(opts.args ?? []);
  const lines: ConfigLine[] = [];
  for (const f of files) {
    const isSystem = f === '/etc/ssh/ssh_config';
    lines.push(...readConfigLines(expandTilde(f, home), home, 0, isSystem ? '/etc/ssh' : join(home, '.ssh')));
    // Host/Match state does not carry over from one file to the next
    lines.push({ key: 'host', args: ['*'], file: f, line: 0 });
  }
  const argValues = evaluate(argLines, host, () => localUser, localUser);
  const argFirst = (k: string): string | undefined => argValues.get(k)?.[0]?.[0];
  let firstUser: string | undefined;
  const fileValues = evaluate(lines, host, () => argFirst('user') ?? opts.user ?? firstUser ?? localUser, localUser);
  const values = new Map<string, string[][]>();
  for (const m of [argValues, fileValues]) for (const [k, v] of m) values.set(k, [...(values.get(k) ?? []), ...v]);
  const first = (k: string): string | undefined => values.get(k)?.[0]?.[0];
  const firstAll = (k: string): string[] | undefined => values.get(k)?.[0];
  firstUser = fileValues.get('user')?.[0]?.[0];

  const rawHostname = first('hostname');
  const user = argFirst('user') ?? opts.user ?? first('user') ?? localUser;
  const portNum = Number(argFirst('port') ?? opts.port ?? first('port') ?? '22');
  const port = Number.isInteger(portNum) && portNum > 0 && portNum < 65536 ? portNum : 22;
  const hostname = rawHostname ? expandTokens(rawHostname, { home, hostname: host, host, port, user, localUser }) : host;
  const ctx: TokenContext = { home, hostname, host, port, user, localUser };

  const ids = (m: Map<string, string[][]>) => (m.get('identityfile') ?? []).map((a) => a[0]).filter((v): v is string => v !== undefined && v.toLowerCase() !== 'none');
  let identityFiles = [...ids(argValues), ...(opts.identityFiles ?? []), ...ids(fileValues)].map((f) => expandPath(f, ctx));
  if (identityFiles.length === 0) identityFiles = DEFAULT_IDENTITY_FILES.map((n) => join(home, '.ssh', n));
  const fileList = (k: string, dflt: string[]): string[] => {
    const v = firstAll(k);
    if (!v) return dflt;
    if (v.length === 1 && v[0]?.toLowerCase() === 'none') return [];
    return v.map((p) => expandPath(p, ctx));
  };
  const cfg: SshHostConfig = {
    host,
    hostname,
    user,
    port,
    identityFiles,
    identitiesOnly: parseBool(first('identitiesonly')) ?? false,
    userKnownHostsFiles: fileList('userknownhostsfile', [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]),
    globalKnownHostsFiles: fileList('globalknownhostsfile', ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    hashKnownHosts: parseBool(first('hashknownhosts')) ?? false,
    source: 'fallback',
  };
  const pj = noneToUndefined(firstAll('proxyjump')?.join(' '));
  if (pj !== undefined) cfg.proxyJump = pj;
  const pc = noneToUndefined(firstAll('proxycommand')?.join(' '));
  if (pc !== undefined) cfg.proxyCommand = pc;
  const ct = parseSeconds(first('connecttimeout'));
  if (ct !== undefined) cfg.connectTimeoutMs = ct;
  const alive = parseSeconds(first('serveraliveinterval'));
  if (alive !== undefined) {
    cfg.serverAliveIntervalMs = alive;
    const count = Number(first('serveralivecountmax'));
    if (Number.isInteger(count) && count > 0) cfg.serverAliveCountMax = count;
  }
  const alias = noneToUndefined(first('hostkeyalias'));
  if (alias !== undefined) cfg.hostKeyAlias = alias;
  const agent = first('identityagent');
  if (agent !== undefined) cfg.identityAgent = agent === 'SSH_AUTH_SOCK' || agent.toLowerCase() === 'none' ? agent : expandPath(agent, ctx);
  const strict = first('stricthostkeychecking');
  if (strict !== undefined) cfg.strictHostKeyChecking = strict;
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// Destinations

export interface Destination {
  user?: string;
  host: string;
  port?: number;
}

/**
 * Parse `[user@]host[:port]`, `[user@][v6addr]:port`, or `ssh://[user@]host[:port]`.
 * A bare IPv6 address without brackets is taken as a host (no port).
 */
export function parseDestination(text: string, target = text): Destination {
  let s = text.trim();
  const uri = /^ssh:\/\//i.test(s);
  if (uri) s = s.slice(6).replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
    if (user === '') throw new TransportError('config', target, `empty user name in ${JSON.stringify(text)}`);
  }
  let host = s;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1] as string;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else {
    const colon = s.split(':');
    if (colon.length === 2) {
      host = colon[0] as string;
      if (!/^\d+$/.test(colon[1] as string)) throw new TransportError('config', target, `invalid port in ${JSON.stringify(text)}`);
      port = Number(colon[1]);
    }
  }
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new TransportError('config', target, `invalid port in ${JSON.stringify(text)}`);
  }
  validateHostName(host, target);
  const d: Destination = { host };
  if (user !== undefined) d.user = user;
  if (port !== undefined) d.port = port;
  return d;
}

/** `a,b` → hops in connection order (first hop is connected to first). `none` → []. */
export function parseProxyJump(value: string, target = value): Destination[] {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'none') return [];
  return v.split(',').map((h) => parseDestination(h, target));
}
