/**
 * known_hosts parsing, matching and recording, following OpenSSH (sshd(8) "SSH_KNOWN_HOSTS FILE
 * FORMAT", hostfile.c, match.c):
 * - host field: comma list of patterns with `*`/`?` wildcards and `!` negation (a matching
 *   negated pattern vetoes the line), `[host]:port` for non-22 ports, or ONE hashed name
 *   `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`;
 * - markers `@revoked` (the key must never be accepted) and `@cert-authority` (ignored: host
 *   certificates are not used);
 * - the name looked up is `host` for port 22 and `[host]:port` otherwise (or HostKeyAlias);
 *   host names compare case-insensitively.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TransportError } from './errors.js';

export interface KnownHostEntry {
  /** File the entry came from ("<inline>" for entries given as text). */
  file: string;
  /** 1-based line number. */
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  /** The raw host field. */
  hosts: string;
  /** Hashed name (salt, hmac) when the host field is `|1|…|…`. */
  hashed: { salt: Buffer; hmac: Buffer } | null;
  keyType: string;
  /** SSH wire-format public key blob. */
  key: Buffer;
}

export interface KnownHostsParseIssue {
  file: string;
  line: number;
  reason: string;
}

/** Key types we recognise in known_hosts (plus anything else that is self-consistent). */
export const HOST_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'ssh-dss',
] as const;

/** The key type string stored at the start of an SSH public key blob (undefined if malformed). */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of SHA-256 over the key blob. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** `ssh-ed25519 AAAA…` (the authorized_keys / known_hosts form, without host field). */
export function formatPublicKey(blob: Buffer): string {
  return `${keyTypeOfBlob(blob) ?? 'unknown'} ${blob.toString('base64')}`;
}

/** Parse `type base64 [comment]` into a key blob; undefined when malformed or inconsistent. */
export function parsePublicKeyLine(text: string): { type: string; key: Buffer } | undefined {
  const [type, b64] = text.trim().split(/\s+/);
  if (!type || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const key = Buffer.from(b64, 'base64');
  if (keyTypeOfBlob(key) !== type) return undefined;
  return { type, key };
}

/** The name OpenSSH records/looks up for a host and port. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Host key algorithms (for negotiation) that produce keys of the given key type. */
export function hostKeyAlgorithmsForType(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

/** OpenSSH match_pattern(): `*` and `?` wildcards over the whole string. */
export function globMatch(text: string, pattern: string): boolean {
  // iterative wildcard matching with backtracking on the last '*'
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * OpenSSH match_pattern_list(): 1 when some positive pattern matches and no negated one does,
 * -1 when a negated pattern matches, 0 otherwise. Comparison is case-insensitive.
 */
export function matchPatternList(name: string, list: string): 1 | 0 | -1 {
  const lname = name.toLowerCase();
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '') continue;
    if (globMatch(lname, pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

export function hashKnownHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hmac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hmac.toString('base64')}`;
}

/** Does this entry's host field match the lookup name? */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const h = createHmac('sha1', entry.hashed.salt).update(name.toLowerCase()).digest();
    return h.length === entry.hashed.hmac.length && h.equals(entry.hashed.hmac);
  }
  return matchPatternList(name, entry.hosts) === 1;
}

export function parseKnownHosts(text: string, file: string): { entries: KnownHostEntry[]; issues: KnownHostsParseIssue[] } {
  const entries: KnownHostEntry[] = [];
  const issues: KnownHostsParseIssue[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        issues.push({ file, line: lineNo, reason: `unknown marker ${m}` });
        continue;
      }
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) {
      issues.push({ file, line: lineNo, reason: 'missing fields' });
      continue;
    }
    if (/^\d+$/.test(keyType)) {
      issues.push({ file, line: lineNo, reason: 'SSH protocol 1 key (ignored)' });
      continue;
    }
    const parsed = parsePublicKeyLine(`${keyType} ${b64}`);
    if (!parsed) {
      issues.push({ file, line: lineNo, reason: `malformed ${keyType} key` });
      continue;
    }
    let hashed: KnownHostEntry['hashed'] = null;
    if (hosts.startsWith('|')) {
      const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(hosts);
      if (!m) {
        issues.push({ file, line: lineNo, reason: 'malformed hashed host name' });
        continue;
      }
      hashed = { salt: Buffer.from(m[1] as string, 'base64'), hmac: Buffer.from(m[2] as string, 'base64') };
      if (hashed.salt.length !== 20 || hashed.hmac.length !== 20) {
        issues.push({ file, line: lineNo, reason: 'malformed hashed host name' });
        continue;
      }
    }
    entries.push({ file, line: lineNo, marker, hosts, hashed, keyType: parsed.type, key: parsed.key });
  }
  return { entries, issues };
}

/**
 * Read known_hosts files. A missing file counts as empty; any other read error (permissions,
 * a directory, …) FAILS CLOSED with a TransportError 'config'.
 */
export async function loadKnownHosts(files: readonly string[], target: string): Promise<{ entries: KnownHostEntry[]; issues: KnownHostsParseIssue[] }> {
  const entries: KnownHostEntry[] = [];
  const issues: KnownHostsParseIssue[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') continue;
      throw new TransportError('config', target, `cannot read known_hosts file ${file}: ${err.code ?? err.message}; refusing to connect without host key verification`, {
        hint: 'fix the file permissions or point UserKnownHostsFile elsewhere',
        cause: err,
      });
    }
    const r = parseKnownHosts(text, file);
    entries.push(...r.entries);
    issues.push(...r.issues);
  }
  return { entries, issues };
}

export type HostKeyCheck =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** Entries of the same key type exist for the host, none with this key. */
  | { status: 'changed'; entries: KnownHostEntry[] }
  /** Only keys of other types are recorded for the host. */
  | { status: 'other-type'; entries: KnownHostEntry[] }
  | { status: 'unknown' };

/** All entries (no @cert-authority) whose host field matches one of the names. */
export function entriesForHost(entries: readonly KnownHostEntry[], names: readonly string[]): KnownHostEntry[] {
  return entries.filter((e) => e.marker !== 'cert-authority' && names.some((n) => entryMatchesHost(e, n)));
}

export function checkHostKey(entries: readonly KnownHostEntry[], names: readonly string[], key: Buffer): HostKeyCheck {
  const type = keyTypeOfBlob(key);
  const mine = entriesForHost(entries, names);
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = mine.filter((e) => e.marker === null);
  const ok = plain.find((e) => e.key.equals(key));
  if (ok) return { status: 'ok', entry: ok };
  const sameType = plain.filter((e) => e.keyType === type);
  if (sameType.length > 0) return { status: 'changed', entries: sameType };
  if (plain.length > 0) return { status: 'other-type', entries: plain };
  return { status: 'unknown' };
}

/** Key types recorded for a host, in file order (used to prefer those in negotiation, like OpenSSH). */
export function knownKeyTypesForHost(entries: readonly KnownHostEntry[], names: readonly string[]): string[] {
  const types: string[] = [];
  for (const e of entriesForHost(entries, names)) {
    if (e.marker === null && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/**
 * Append `name keytype base64` (hashed when asked) to a known_hosts file, creating it 0600 (and
 * its directory 0700) when needed. Returns the line number written.
 */
export async function appendKnownHost(file: string, name: string, key: Buffer, opts: { hash?: boolean } = {}): Promise<number> {
  const type = keyTypeOfBlob(key);
  if (!type) throw new Error('appendKnownHost: malformed key blob');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const fh = await open(file, 'a+', 0o600);
  let prefix = '';
  let lines = 0;
  try {
    const existing = await fh.readFile({ encoding: 'utf8' });
    if (existing.length > 0 && !existing.endsWith('\n')) prefix = '\n';
    lines = existing.length === 0 ? 0 : existing.split('\n').length - (existing.endsWith('\n') ? 1 : 0);
  } finally {
    await fh.close();
  }
  const host = opts.hash ? hashKnownHostName(name) : name;
  await appendFile(file, `${prefix}${host} ${type} ${key.toString('base64')}\n`, { mode: 0o600 });
  return lines + 1;
}

/** `file:line` for messages. */
export function entryLocation(e: KnownHostEntry): string {
  return `${e.file}:${e.line}`;
}
