/**
 * SSH transport on ssh2's Client: ssh_config (via `ssh -G`), known_hosts verification with
 * accept-new and pinning, agent/key auth with a custom authHandler, ProxyJump, algorithms that
 * also reach CentOS 6 (OpenSSH 5.3), keepalive, lost-connection detection, timeouts, and sudo
 * (incl. `Defaults requiretty`).
 */
import { getCiphers } from 'node:crypto';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Algorithms, Client as SshClient, ClientChannel, ConnectConfig, NegotiatedAlgorithms, CipherAlgorithm, KexAlgorithm, ServerHostKeyAlgorithm } from 'ssh2';
import { createAuth, type AuthState } from './auth.js';
import { abortError, TransportError, withTarget } from './errors.js';
import {
  appendKnownHost,
  checkHostKey,
  entryLocation,
  fingerprintSha256,
  formatPublicKey,
  hostKeyAlgorithmsForType,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypesForHost,
  loadKnownHosts,
  parseKnownHosts,
  parsePublicKeyLine,
  type KnownHostEntry,
} from './known-hosts.js';
import { argsConfigFile, parseDestination, parseProxyJump, resolveSshConfig, type Destination, type SshHostConfig } from './ssh-config.js';
import { checkPlainSudoResult, detectSudo, execSudoPty, shCommand, sudoCommand, SudoDetectionLost, withRemoteTimeout, type RawExecOptions, type SudoMode } from './sudo.js';
import type { CloseReason, ExecOptions, ExecResult, Transport } from './transport.js';

const { Client } = ssh2;

export interface SshConnectOptions {
  /** `alias`, `host`, `user@host`, `user@host:port`, `[v6addr]:port` or `ssh://user@host:port`. */
  host: string;
  /** Overrides User (like `-l`). */
  user?: string;
  /** Overrides Port (like `-p`). */
  port?: number;
  /** Like `-i`: tried before the IdentityFile entries of ssh_config. */
  identityFiles?: string[];
  identitiesOnly?: boolean;
  /** Like `-F`. */
  configFile?: string;
  /**
   * OpenSSH options placed before dom0up's own on the `ssh -G` command line (e.g. an Ansible
   * inventory's ssh arguments, checked with parseSshArgs): `-o Key=Value`, `-i`, `-l`, `-p`, `-J`,
   * `-F`. ssh's first-value-wins rule makes them beat `user`, `port`, `identityFiles` (tried after
   * theirs) and ssh_config; a `-F` among them replaces `configFile`. As with ssh, they apply to the
   * destination only: jump hosts get just the `-F`. Options set here explicitly (knownHostsFiles,
   * acceptNewHostKey, readyTimeoutMs, …) still override what ssh_config resolves.
   */
  sshArgs?: string[];
  /** Read ssh_config at all (default true). */
  useSshConfig?: boolean;
  /** ssh binary for `ssh -G`; false = built-in fallback parser; default /usr/bin/ssh or PATH. */
  sshBinary?: string | false;
  /** Home directory for `~` (default os.homedir()). */
  homeDir?: string;
  /** Replaces UserKnownHostsFile; the first file receives accepted new keys. */
  knownHostsFiles?: string[];
  /** Replaces GlobalKnownHostsFile (read-only). */
  globalKnownHostsFiles?: string[];
  /** Extra known_hosts lines (e.g. from an inventory), read-only. */
  knownHosts?: string[];
  /** Record unknown host keys (TOFU). A changed key is refused regardless. */
  acceptNewHostKey?: boolean;
  /** Hash names of recorded keys (default: HashKnownHosts from ssh_config). */
  hashKnownHosts?: boolean;
  /** The host key must be exactly this one: "SHA256:…" fingerprint or "type base64". */
  pinnedHostKey?: string;
  /** Overrides ProxyJump ("none" disables). */
  proxyJump?: string;
  /** ssh-agent socket; false = no agent; default IdentityAgent / SSH_AUTH_SOCK. */
  agent?: string | false;
  /** Asked for the passphrase of an encrypted key (the UI provides it on a TTY). */
  askPassphrase?(keyPath: string, attempt?: number): Promise<string | undefined>;
  /** Deadline for TCP connect + handshake + auth, per hop (default ConnectTimeout or 20 s). Paused while asking a passphrase. */
  readyTimeoutMs?: number;
  /** Keepalive interval (default ServerAliveInterval or 5000 ms; 0 disables). */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost (default 3). */
  keepaliveCountMax?: number;
  /** Commands running at once on this connection (default 8; OpenSSH MaxSessions is 10). */
  maxConcurrentExecs?: number;
  /** Replace the algorithm lists entirely (tests); default: ssh2 defaults + legacy extras. */
  algorithms?: Algorithms;
  env?: NodeJS.ProcessEnv;
  debug?(msg: string): void;
}

/** Algorithms OpenSSH 5.3 (CentOS 6) may need, appended after ssh2's modern defaults. */
export const LEGACY_KEX: KexAlgorithm[] = ['diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'];
export const LEGACY_CIPHERS: CipherAlgorithm[] = ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc'];

/** ssh2 algorithm settings: defaults + legacy extras, with `preferHostKeyTypes` first (like OpenSSH). */
export function buildAlgorithms(preferHostKeyTypes: readonly string[] = []): Algorithms {
  const available = new Set(getCiphers());
  const sslName: Record<string, string> = {
    'aes128-ctr': 'aes-128-ctr', 'aes192-ctr': 'aes-192-ctr', 'aes256-ctr': 'aes-256-ctr',
    'aes128-cbc': 'aes-128-cbc', 'aes192-cbc': 'aes-192-cbc', 'aes256-cbc': 'aes-256-cbc',
  };
  const ciphers = LEGACY_CIPHERS.filter((c) => available.has(sslName[c] ?? c));
  const prefer = preferHostKeyTypes.flatMap((t) => hostKeyAlgorithmsForType(t)).filter((a) => SUPPORTED_HOST_KEY_ALGOS.has(a)) as ServerHostKeyAlgorithm[];
  const algos: Algorithms = {
    kex: { append: LEGACY_KEX } as Algorithms['kex'],
    cipher: { append: ciphers } as Algorithms['cipher'],
    hmac: { append: ['hmac-sha1'] } as Algorithms['hmac'],
  };
  algos.serverHostKey = (prefer.length > 0 ? { remove: prefer, prepend: prefer } : { append: ['ssh-rsa'] }) as unknown as Algorithms['serverHostKey'];
  return algos;
}

const SUPPORTED_HOST_KEY_ALGOS = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss']);

/** @internal */
export interface HopSpec {
  /** Display name for messages. */
  display: string;
  hostname: string;
  port: number;
  user: string;
  identityFiles: string[];
  explicitIdentityFiles: string[];
  identitiesOnly: boolean;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  hostKeyAlias?: string;
  hashKnownHosts: boolean;
  acceptNew: boolean;
  agentSocket?: string;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

function displayName(user: string, host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${user}@${h}${port === 22 ? '' : `:${port}`}`;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

function pickAgent(opts: SshConnectOptions, cfg: SshHostConfig | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (opts.agent === false) return undefined;
  if (typeof opts.agent === 'string') return opts.agent;
  const ia = cfg?.identityAgent;
  if (ia !== undefined) {
    if (ia.toLowerCase() === 'none') return undefined;
    if (ia === 'SSH_AUTH_SOCK') return env.SSH_AUTH_SOCK || undefined;
    if (ia.startsWith('$')) return env[ia.slice(1)] || undefined;
    return ia;
  }
  return env.SSH_AUTH_SOCK || undefined;
}

const configCache = new Map<string, Promise<SshHostConfig>>();

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** What of the destination's ssh options a jump host gets: the -F (ssh passes only -F and -v to the ssh it runs for ProxyJump). */
function jumpArgs(args: readonly string[] | undefined): string[] {
  const file = argsConfigFile(args);
  return file === undefined ? [] : ['-F', file];
}

async function resolveHop(dest: Destination, opts: SshConnectOptions, isFinal: boolean, env: NodeJS.ProcessEnv): Promise<{ spec: HopSpec; cfg?: SshHostConfig }> {
  const home = opts.homeDir ?? homedir();
  const user = isFinal ? (opts.user ?? dest.user) : dest.user;
  const port = isFinal ? (opts.port ?? dest.port) : dest.port;
  const cliIds = isFinal ? (opts.identityFiles ?? []) : [];
  // command-line ssh options apply to the destination; a jump host only gets their -F (as ssh does)
  const sshArgs = isFinal ? (opts.sshArgs ?? []) : jumpArgs(opts.sshArgs);
  let cfg: SshHostConfig | undefined;
  if (opts.useSshConfig !== false) {
    const args = { args: sshArgs, configFile: opts.configFile, user, port, identityFiles: cliIds, sshBinary: opts.sshBinary, homeDir: opts.homeDir, env };
    // ssh_config does not change during a run: reconnects (e.g. while a host reboots) reuse the answer
    const key = JSON.stringify([dest.host, sshArgs, opts.configFile, user, port, cliIds, opts.sshBinary, opts.homeDir, env.HOME, env.USER]);
    let pending = configCache.get(key);
    if (!pending) {
      pending = resolveSshConfig(dest.host, args);
      configCache.set(key, pending);
      pending.catch(() => configCache.delete(key));
    }
    cfg = await pending;
  }
  // with ssh -G the answer already has the right precedence (the ssh options, then -l/-p, then ssh_config)
  const finalUser = (sshArgs.length ? cfg?.user : undefined) ?? user ?? cfg?.user ?? localUser();
  const finalPort = (sshArgs.length ? cfg?.port : undefined) ?? port ?? cfg?.port ?? 22;
  const hostname = cfg?.hostname ?? dest.host;
  // ssh -G drops -i files that do not exist: keep them so the user hears about it
  // jump hosts: their own IdentityFile entries first, then the -i files of the command line
  // (a deliberate convenience: bastions usually take the same fleet key)
  // with ssh options first, ssh -G lists their identity files before the -i ones: keep its order
  const ids = unique(isFinal ? (sshArgs.length ? [...(cfg?.identityFiles ?? []), ...cliIds] : [...cliIds, ...(cfg?.identityFiles ?? [])]) : [...(cfg?.identityFiles ?? []), ...(opts.identityFiles ?? [])]);
  if (!cfg && ids.length === 0) ids.push(...['id_rsa', 'id_ecdsa', 'id_ed25519'].map((n) => join(home, '.ssh', n)));
  const spec: HopSpec = {
    display: cfg && cfg.host !== cfg.hostname && !opts.host.includes('@') ? dest.host : displayName(finalUser, hostname, finalPort),
    hostname,
    port: finalPort,
    user: finalUser,
    identityFiles: ids,
    explicitIdentityFiles: cliIds,
    identitiesOnly: (isFinal ? opts.identitiesOnly : undefined) ?? cfg?.identitiesOnly ?? false,
    userKnownHostsFiles: opts.knownHostsFiles ?? cfg?.userKnownHostsFiles ?? [join(home, '.ssh', 'known_hosts')],
    globalKnownHostsFiles: opts.globalKnownHostsFiles ?? cfg?.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts'],
    hashKnownHosts: opts.hashKnownHosts ?? cfg?.hashKnownHosts ?? false,
    // ssh -G prints "false" for StrictHostKeyChecking no/off
    acceptNew: opts.acceptNewHostKey ?? ['accept-new', 'no', 'off', 'false'].includes((cfg?.strictHostKeyChecking ?? '').toLowerCase()),
    readyTimeoutMs: opts.readyTimeoutMs ?? cfg?.connectTimeoutMs ?? 20_000,
    keepaliveIntervalMs: opts.keepaliveIntervalMs ?? cfg?.serverAliveIntervalMs ?? 5_000,
    keepaliveCountMax: opts.keepaliveCountMax ?? cfg?.serverAliveCountMax ?? 3,
  };
  if (cfg?.hostKeyAlias) spec.hostKeyAlias = cfg.hostKeyAlias;
  const agent = pickAgent(opts, cfg, env);
  if (agent) spec.agentSocket = agent;
  if (cfg?.proxyCommand && opts.proxyJump === undefined && !cfg.proxyJump) {
    throw new TransportError('config', spec.display, `ProxyCommand is not supported (${cfg.proxyCommand})`, { hint: 'use ProxyJump instead' });
  }
  return cfg ? { spec, cfg } : { spec };
}

/** Parse a pinned key ("SHA256:…" or "type base64"). */
function parsePinned(pin: string, target: string): { fingerprint: string; keyType?: string } {
  const t = pin.trim();
  if (/^SHA256:[A-Za-z0-9+/]{43}$/.test(t)) return { fingerprint: t };
  const k = parsePublicKeyLine(t);
  if (k) return { fingerprint: fingerprintSha256(k.key), keyType: k.type };
  throw new TransportError('config', target, `pinned host key ${JSON.stringify(t.slice(0, 60))} is neither "SHA256:…" nor "type base64"`);
}

interface HopConnection {
  client: SshClient;
  hostKey: Buffer;
  negotiated?: NegotiatedAlgorithms;
  serverVersion?: string;
}

function describeEntries(entries: KnownHostEntry[]): string {
  return entries.map((e) => `${e.keyType} ${fingerprintSha256(e.key)} at ${entryLocation(e)}`).join(', ');
}

async function connectHop(spec: HopSpec, sock: Duplex | undefined, pinned: { fingerprint: string; keyType?: string } | undefined, opts: SshConnectOptions, via: string): Promise<HopConnection> {
  const target = spec.display;
  const names = [spec.hostKeyAlias ?? knownHostsName(spec.hostname, spec.port)];
  const files = [...spec.userKnownHostsFiles, ...spec.globalKnownHostsFiles];
  const loaded = await loadKnownHosts(files, target);
  const entries = [...loaded.entries, ...(opts.knownHosts ?? []).flatMap((l, i) => parseKnownHosts(l, '<inline>').entries.map((e) => ({ ...e, line: i + 1 })))];
  for (const issue of loaded.issues) opts.debug?.(`${issue.file}:${issue.line}: ${issue.reason}`);
  const prefer = knownKeyTypesForHost(entries, names);
  if (pinned?.keyType && !prefer.includes(pinned.keyType)) prefer.unshift(pinned.keyType);

  let hostKeyError: TransportError | undefined;
  let hostKey: Buffer | undefined;
  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    hostKey = Buffer.from(key);
    const type = keyTypeOfBlob(key) ?? 'unknown';
    const fp = fingerprintSha256(key);
    const fail = (e: TransportError): void => {
      hostKeyError = e;
      verify(false);
    };
    if (pinned && pinned.fingerprint !== fp) {
      fail(new TransportError('host-key-changed', target, `host key changed since the last connection: expected ${pinned.fingerprint}, got ${type} ${fp}${via}`, {
        hint: 'the host presented a different key than before the reboot; check the host before trusting it',
      }));
      return;
    }
    const check = checkHostKey(entries, names, key);
    switch (check.status) {
      case 'ok':
        verify(true);
        return;
      case 'revoked':
        fail(new TransportError('host-key-changed', target, `host key ${type} ${fp} is marked @revoked in ${entryLocation(check.entry)}${via}`));
        return;
      case 'changed':
        fail(new TransportError('host-key-changed', target, `HOST KEY CHANGED: ${names[0]} presented ${type} ${fp}, known_hosts has ${describeEntries(check.entries)}${via}`, {
          hint: `if the host was really reinstalled, remove the old entry (ssh-keygen -R ${shellSafe(names[0] ?? '')}) and connect again; otherwise this may be an attack`,
        }));
        return;
      case 'other-type':
        if (pinned) {
          verify(true);
          return;
        }
        fail(new TransportError('host-key-changed', target, `host presented a ${type} key ${fp}, but known_hosts only has ${describeEntries(check.entries)} for ${names[0]} and the host no longer offers it${via}`, {
          hint: `if the host's keys were really replaced, remove the old entries (ssh-keygen -R ${shellSafe(names[0] ?? '')}) and connect again`,
        }));
        return;
      case 'unknown':
        if (pinned) {
          verify(true);
          return;
        }
        if (!spec.acceptNew) {
          fail(new TransportError('host-key-unknown', target, `unknown host key for ${names[0]}: ${type} ${fp}${via}`, {
            hint: 'verify the fingerprint out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) and re-run with --accept-new-host-key',
          }));
          return;
        }
        {
          const file = spec.userKnownHostsFiles[0];
          if (!file) {
            fail(new TransportError('config', target, `cannot record the new host key ${type} ${fp}: UserKnownHostsFile is none${via}`));
            return;
          }
          appendKnownHost(file, names[0] ?? spec.hostname, key, { hash: spec.hashKnownHosts }).then(
            (line) => {
              opts.debug?.(`recorded ${type} ${fp} for ${names[0]} in ${file}:${line}`);
              verify(true);
            },
            (e: Error) => fail(new TransportError('config', target, `cannot record the new host key in ${file}: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { cause: e })),
          );
        }
        return;
    }
  };

  let auth: AuthState | undefined;
  const client = new Client();
  return new Promise<HopConnection>((resolve, reject) => {
    let settled = false;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let negotiated: NegotiatedAlgorithms | undefined;
    let lastError: (Error & { level?: string; code?: unknown }) | undefined;
    const startTimer = (): void => {
      if (timer) clearTimeout(timer);
      if (spec.readyTimeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          client.destroy();
          finishErr(new TransportError('connect-timeout', target, `no SSH session within ${Math.round(spec.readyTimeoutMs / 100) / 10} s${via}`, {
            hint: 'check that the host is up and reachable; raise ConnectTimeout/--connect-timeout for slow links',
          }));
        }, spec.readyTimeoutMs);
      }
    };
    const finishErr = (e: TransportError): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      client.destroy();
      reject(e);
    };
    client.on('error', (err: Error & { level?: string; code?: unknown }) => {
      lastError = err;
      if (settled) return;
      if (hostKeyError) {
        finishErr(hostKeyError);
        return;
      }
      finishErr(mapConnectError(err, target, spec, auth, via, timedOut));
    });
    client.on('handshake', (n: NegotiatedAlgorithms) => {
      negotiated = n;
    });
    client.on('close', () => {
      if (settled) return;
      if (hostKeyError) finishErr(hostKeyError);
      else if (lastError) finishErr(mapConnectError(lastError, target, spec, auth, via, timedOut));
      else finishErr(new TransportError('connect-refused', target, `connection closed during the SSH handshake${via}`));
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      const conn: HopConnection = { client, hostKey: hostKey ?? Buffer.alloc(0) };
      if (negotiated) conn.negotiated = negotiated;
      const ver = (client as unknown as { _remoteVer?: string })._remoteVer;
      if (ver) conn.serverVersion = ver;
      resolve(conn);
    });

    auth = createAuth({
      username: spec.user,
      agentSocket: spec.agentSocket,
      identityFiles: spec.identityFiles,
      explicitIdentityFiles: spec.explicitIdentityFiles,
      identitiesOnly: spec.identitiesOnly,
      askPassphrase: opts.askPassphrase,
      onPrompt: (prompting) => {
        if (prompting) {
          if (timer) clearTimeout(timer);
        } else if (!settled) startTimer();
      },
      debug: opts.debug,
    });
    const config: ConnectConfig = {
      host: spec.hostname,
      port: spec.port,
      username: spec.user,
      hostVerifier,
      authHandler: auth.handler,
      readyTimeout: 0, // our own timer (pausable during passphrase prompts)
      keepaliveInterval: spec.keepaliveIntervalMs,
      keepaliveCountMax: spec.keepaliveCountMax,
      algorithms: opts.algorithms ?? buildAlgorithms(prefer),
    };
    if (sock) config.sock = sock as unknown as ConnectConfig['sock'];
    if (opts.debug) {
      const d = opts.debug;
      config.debug = (m: string) => d(`[${target}] ${m}`);
    }
    startTimer();
    try {
      client.connect(config);
    } catch (e) {
      finishErr(new TransportError('config', target, `invalid connection settings: ${(e as Error).message}`, { cause: e }));
    }
  });
}

function shellSafe(name: string): string {
  return /^[A-Za-z0-9_.:[\]-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`;
}

/** @internal exported for tests */
export function mapConnectError(err: Error & { level?: string; code?: unknown }, target: string, spec: HopSpec, auth: AuthState | undefined, via: string, timedOut: boolean): TransportError {
  const code = typeof err.code === 'string' ? err.code : undefined;
  const msg = err.message;
  if (timedOut) return new TransportError('connect-timeout', target, `no SSH session within ${spec.readyTimeoutMs} ms${via}`, { cause: err });
  if (err.level === 'client-authentication') {
    const tried = auth?.tried.length ? auth.tried.join(', ') : 'no usable key (no agent keys, no identity files)';
    const methods = auth?.serverMethods ? `; server accepts: ${auth.serverMethods.join(',')}` : '';
    const notes = auth?.notes.length ? `; ${auth.notes.join('; ')}` : '';
    return new TransportError('auth-failed', target, `authentication failed for ${spec.user}: tried ${tried}${methods}${notes}${via}`, {
      hint: `check the user name and that the public key is in ~${spec.user}/.ssh/authorized_keys on the host; pass -i KEY or load the key into ssh-agent`,
      cause: err,
    });
  }
  if (auth && auth.tried.length > 0 && (/authentication/i.test(msg) || typeof err.code === 'number')) {
    return new TransportError('auth-failed', target, `authentication failed for ${spec.user}: the server disconnected (${msg}) after trying ${auth.tried.join(', ')}${via}`, {
      hint: 'too many keys were offered (sshd MaxAuthTries): set IdentitiesOnly yes and IdentityFile for this host, or pass -i KEY',
      cause: err,
    });
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new TransportError('connect-refused', target, `connection refused (${spec.hostname} port ${spec.port})${via}`, { hint: 'is sshd running and listening on that port?', cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return new TransportError('dns', target, `cannot resolve host name ${spec.hostname} (${code})${via}`, { hint: 'check the host name, HostName in ~/.ssh/config, or DNS', cause: err });
    case 'ETIMEDOUT':
      return new TransportError('connect-timeout', target, `connection timed out${via}`, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return new TransportError('connect-refused', target, `host unreachable (${code})${via}`, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return new TransportError('connect-refused', target, `connection reset during the SSH handshake${via}`, { hint: 'the server may limit connections (MaxStartups) or block this client', cause: err });
    default:
      break;
  }
  if (err.level === 'client-dns') return new TransportError('dns', target, `${msg}${via}`, { cause: err });
  if (err.level === 'client-timeout') return new TransportError('connect-timeout', target, `${msg}${via}`, { cause: err });
  if (err.level === 'handshake' || /no matching|handshake failed/i.test(msg)) {
    return new TransportError('config', target, `SSH handshake failed: ${msg}${via}`, { hint: 'the server offers no algorithm in common with dom0up', cause: err });
  }
  return new TransportError('connect-refused', target, `${msg}${via}`, { cause: err });
}

function openForward(client: SshClient, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err) reject(err);
      else resolve(stream);
    });
  });
}

/** Connect (through ProxyJump hops if configured) and return a ready transport. */
export async function connectSsh(opts: SshConnectOptions): Promise<SshTransport> {
  const env = opts.env ?? process.env;
  const dest = parseDestination(opts.host);
  const final = await resolveHop(dest, opts, true, env);
  const pinned = opts.pinnedHostKey ? parsePinned(opts.pinnedHostKey, final.spec.display) : undefined;

  // jump hosts
  const jumpValue = opts.proxyJump ?? final.cfg?.proxyJump;
  const hopDests = jumpValue ? parseProxyJump(jumpValue, final.spec.display) : [];
  const hops: HopSpec[] = [];
  for (let i = 0; i < hopDests.length; i++) {
    const h = await resolveHop(hopDests[i] as Destination, { ...opts, host: (hopDests[i] as Destination).host }, false, env);
    // the first hop may itself need a jump host (its own ProxyJump); later hops are reached through the previous one
    if (i === 0 && h.cfg?.proxyJump && hops.length === 0) {
      const more = parseProxyJump(h.cfg.proxyJump, h.spec.display);
      if (more.length + hopDests.length > 8) throw new TransportError('config', final.spec.display, 'too many ProxyJump hops (loop?)');
      for (const m of more) hops.push((await resolveHop(m, { ...opts, host: m.host }, false, env)).spec);
    }
    hops.push(h.spec);
  }

  const jumpClients: SshClient[] = [];
  const closeJumps = (): void => {
    for (const c of jumpClients.reverse()) c.destroy();
  };
  let sock: Duplex | undefined;
  try {
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i] as HopSpec;
      const via = i === 0 ? ` (jump host for ${final.spec.display})` : ` (jump host for ${final.spec.display}, via ${hops[i - 1]?.display})`;
      const conn = await connectHop(hop, sock, undefined, opts, via);
      conn.client.on('error', () => undefined);
      jumpClients.push(conn.client);
      const next = hops[i + 1] ?? final.spec;
      try {
        sock = await openForward(conn.client, next.hostname, next.port);
      } catch (e) {
        throw new TransportError('connect-refused', next.display, `jump host ${hop.display} cannot reach ${next.hostname}:${next.port}: ${(e as Error).message}`, { cause: e });
      }
    }
    const via = hops.length > 0 ? ` (via ${hops.map((h) => h.display).join(' → ')})` : '';
    const conn = await connectHop(final.spec, sock, pinned, opts, via);
    return new SshTransport(conn, final.spec, jumpClients, opts);
  } catch (e) {
    closeJumps();
    throw e;
  }
}

class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }
}

export class SshTransport implements Transport {
  readonly target: string;
  readonly hostKeySha256: string;
  /** "type base64" of the verified host key (usable as `pinnedHostKey`). */
  readonly hostKey: string;
  /** Remote software version from the SSH banner, e.g. "OpenSSH_5.3". */
  readonly serverVersion: string | undefined;
  /** Algorithms negotiated with the target. */
  readonly negotiated: NegotiatedAlgorithms | undefined;
  /** Login user. */
  readonly user: string;
  /** Where the target's sshd listens, when it is reached directly (no jump host): for cheap TCP probes. */
  readonly directAddress: { host: string; port: number } | undefined;
  roundTrips = 0;

  private readonly client: SshClient;
  private readonly jumpClients: SshClient[];
  private state: 'open' | 'closing' | 'closed' | 'lost' = 'open';
  private lastError: Error | undefined;
  private readonly lostHandlers = new Set<() => void>();
  private readonly closeCbs: ((reason: CloseReason, err?: Error) => void)[] = [];
  private closeReason: { reason: CloseReason; err?: Error } | undefined;
  private readonly closedPromise: Promise<void>;
  private sudoMode: Promise<SudoMode> | undefined;
  private readonly sem: Semaphore;
  private readonly debug: ((m: string) => void) | undefined;

  /** @internal use connectSsh() */
  constructor(conn: HopConnection, spec: HopSpec, jumpClients: SshClient[], opts: SshConnectOptions) {
    this.client = conn.client;
    this.jumpClients = jumpClients;
    this.target = spec.display;
    this.user = spec.user;
    this.directAddress = jumpClients.length === 0 ? { host: spec.hostname, port: spec.port } : undefined;
    this.hostKeySha256 = fingerprintSha256(conn.hostKey);
    this.hostKey = formatPublicKey(conn.hostKey);
    this.serverVersion = conn.serverVersion;
    this.negotiated = conn.negotiated;
    this.sem = new Semaphore(Math.max(1, opts.maxConcurrentExecs ?? 8));
    this.debug = opts.debug;
    let resolveClosed!: () => void;
    this.closedPromise = new Promise((r) => (resolveClosed = r));
    this.client.on('error', (err: Error) => {
      // always handled: ECONNRESET, keepalive timeout… end in 'close'
      this.lastError = err;
      this.debug?.(`[${this.target}] connection error: ${err.message}`);
    });
    const onGone = (): void => {
      if (this.state === 'open') {
        this.state = 'lost';
        const cause = this.lastError;
        const err = new TransportError('lost', this.target, `connection lost${cause ? `: ${cause.message}` : ''}`, cause ? { cause } : {});
        this.finishClose('lost', err);
      } else if (this.state === 'closing') {
        this.state = 'closed';
        this.finishClose('closed');
      }
      for (const h of [...this.lostHandlers]) h();
      for (const c of this.jumpClients) c.destroy();
      resolveClosed();
    };
    this.client.on('close', onGone);
    this.client.on('end', () => {
      // the server closed its side: no exit statuses will arrive anymore
      if (this.state === 'open') this.debug?.(`[${this.target}] server ended the connection`);
    });
  }

  private finishClose(reason: CloseReason, err?: Error): void {
    this.closeReason = err ? { reason, err } : { reason };
    for (const cb of this.closeCbs.splice(0)) {
      try {
        cb(reason, err);
      } catch {
        /* callbacks must not break the transport */
      }
    }
  }

  onClose(cb: (reason: CloseReason, err?: Error) => void): void {
    if (this.closeReason) {
      const { reason, err } = this.closeReason;
      queueMicrotask(() => cb(reason, err));
    } else this.closeCbs.push(cb);
  }

  /** True while the connection is usable. */
  get connected(): boolean {
    return this.state === 'open';
  }

  async close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.client.end();
      const t = setTimeout(() => this.client.destroy(), 2000);
      await this.closedPromise;
      clearTimeout(t);
    } else {
      await this.closedPromise;
    }
  }

  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    try {
      return await this.execInner(script, opts);
    } catch (e) {
      throw withTarget(e, this.target);
    }
  }

  private async execInner(script: string, opts: ExecOptions): Promise<ExecResult> {
    if (this.state === 'closing' || this.state === 'closed') throw new TransportError('lost', this.target, 'transport is closed');
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const rawOpts: RawExecOptions = { ...opts };
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) script = withRemoteTimeout(script, opts.timeoutMs);
    if (!opts.sudo) return this.raw(shCommand(script), rawOpts);
    const mode = await this.getSudoMode();
    if (mode === 'lost') return lostResult(0);
    if (mode === 'root') return this.raw(shCommand(script), rawOpts);
    if (mode === 'plain') {
      const r = await this.raw(sudoCommand(script), rawOpts);
      checkPlainSudoResult(r, this.target, this.user);
      return r;
    }
    return execSudoPty((c, o) => this.raw(c, o), this.target, this.user, script, rawOpts);
  }

  /** How this connection becomes root (detected once). */
  async getSudoMode(): Promise<SudoMode | 'lost'> {
    if (!this.sudoMode) {
      const p = detectSudo((c, o) => this.raw(c, o), this.target, this.user);
      this.sudoMode = p;
      p.catch((e: unknown) => {
        if (e instanceof SudoDetectionLost || !(e instanceof TransportError)) this.sudoMode = undefined;
      });
    }
    try {
      return await this.sudoMode;
    } catch (e) {
      if (e instanceof SudoDetectionLost) return 'lost';
      throw e;
    }
  }

  /** One command on its own channel (one round trip). */
  private async raw(command: string, opts: RawExecOptions = {}): Promise<ExecResult> {
    const started = performance.now();
    if (this.state !== 'open') {
      if (this.state === 'lost') return lostResult(started);
      throw new TransportError('lost', this.target, 'transport is closed');
    }
    if (opts.signal?.aborted) throw abortError(opts.signal);
    await this.sem.acquire();
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        this.sem.release();
      }
    };
    if (this.state !== 'open') {
      release();
      return lostResult(started);
    }
    this.roundTrips++;
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let exitCode: number | null | undefined;
      let exitSignal: string | null = null;
      let timedOut = false;
      let aborted = false;
      let settled = false;
      let stream: ClientChannel | undefined;
      let timer: NodeJS.Timeout | undefined;
      let grace: NodeJS.Timeout | undefined;

      let channelClosed = false;
      const finish = (connectionGone: boolean, keepSlot = false): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (grace) clearTimeout(grace);
        opts.signal?.removeEventListener('abort', onAbort);
        // a channel the server has not closed yet still counts against MaxSessions
        if (!keepSlot || channelClosed || connectionGone) {
          this.lostHandlers.delete(onLost);
          release();
        }
        if (aborted) {
          reject(abortError(opts.signal));
          return;
        }
        const gone = connectionGone || this.state === 'lost';
        const lost = exitCode === undefined && gone;
        resolve({
          code: timedOut ? null : (exitCode ?? null),
          signal: timedOut ? null : exitSignal,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
          lost,
          timedOut,
          durationMs: performance.now() - started,
        });
      };
      const onLost = (): void => {
        this.lostHandlers.delete(onLost);
        release();
        finish(true);
      };
      const stop = (): void => {
        if (stream) {
          killChannel(stream);
          try {
            stream.close();
          } catch {
            /* ignore */
          }
        }
        // servers without signal support (OpenSSH < 8.1, e.g. CentOS 6) keep the channel until the
        // command ends: report the timeout anyway after a grace period (the slot stays taken)
        if (!grace) grace = setTimeout(() => finish(false, true), 1000);
      };
      const onAbort = (): void => {
        aborted = true;
        stop();
        finish(false, true); // reject at once; the slot is freed when the server closes the channel
      };
      this.lostHandlers.add(onLost);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs);
      }

      const execOpts = opts.pty ? { pty: { term: 'dumb', cols: 200, rows: 24 } } : {};
      try {
        this.client.exec(command, execOpts, (e, ch) => {
          if (settled) {
            // timed out / aborted / lost before the channel opened
            if (ch) {
              ch.on('close', release);
              ch.on('error', () => undefined);
              killChannel(ch);
              ch.close();
            } else release();
            return;
          }
          if (e) {
            if (this.state !== 'open') {
              finish(true);
              return;
            }
            settled = true;
            if (timer) clearTimeout(timer);
            this.lostHandlers.delete(onLost);
            opts.signal?.removeEventListener('abort', onAbort);
            release();
            reject(new TransportError(opts.pty && /pty|pseudo/i.test(e.message) ? 'sudo-failed' : 'lost', this.target, `cannot start a command: ${e.message}`, {
              hint: opts.pty ? 'sudo needs a pty here (requiretty) but the server refused one (PermitTTY?)' : 'the server refused a new session channel (MaxSessions?)',
              cause: e,
            }));
            return;
          }
          stream = ch;
          if (aborted || timedOut) stop();
          ch.on('exit', (code: number | null, signal?: string) => {
            if (typeof code === 'number') exitCode = code;
            else {
              exitCode = null;
              exitSignal = signal ?? null;
            }
          });
          ch.on('data', (c: Buffer) => {
            out.push(c);
            opts.onStdout?.(c);
          });
          ch.stderr.on('data', (c: Buffer) => {
            err.push(c);
            opts.onStderr?.(c);
          });
          ch.on('error', () => undefined);
          ch.stderr.on('error', () => undefined);
          ch.on('close', () => {
            channelClosed = true;
            if (settled) {
              this.lostHandlers.delete(onLost);
              release();
            }
            finish(false);
          });
          if (!opts.pty) {
            if (opts.stdin !== undefined) ch.end(opts.stdin);
            else ch.end();
          }
        });
      } catch (e) {
        finish(true);
        this.debug?.(`[${this.target}] exec failed: ${(e as Error).message}`);
      }
    });
  }
}

/**
 * Send a KILL "signal" channel request. ssh2's Channel.signal() is a no-op once stdin was ended
 * (the stream is no longer writable), so talk to the protocol object directly. OpenSSH >= 8.1
 * delivers it with killpg() to the session's process group; older servers ignore it.
 */
function killChannel(ch: ClientChannel): void {
  const c = ch as unknown as { type?: string; outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, s: string): void } } };
  try {
    if (c.type === 'session' && c.outgoing && (c.outgoing.state === 'open' || c.outgoing.state === 'eof')) {
      c._client?._protocol?.signal(c.outgoing.id, 'KILL');
    }
  } catch {
    /* not supported: the channel close below still ends it eventually */
  }
}

function lostResult(started: number): ExecResult {
  return { code: null, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), lost: true, timedOut: false, durationMs: started ? performance.now() - started : 0 };
}
