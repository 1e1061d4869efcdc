/**
 * Public-key authentication for ssh2 with a custom authHandler:
 * - ssh-agent keys are offered ONE at a time (a one-key agent wrapper), so we control the order
 *   and never flood the server (sshd MaxAuthTries, default 6);
 * - order: agent keys that match an IdentityFile, then unencrypted identity files, then the other
 *   agent keys (skipped with IdentitiesOnly), then encrypted identity files (passphrase asked
 *   through the injected callback, lazily, so an agent key that works means no prompt);
 * - passphrases never reach logs or error messages.
 */
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ParsedKey, AuthHandlerMiddleware, NextAuthHandler } from 'ssh2';
import { fingerprintSha256, keyTypeOfBlob, parsePublicKeyLine } from './known-hosts.js';

const { BaseAgent, OpenSSHAgent, utils } = ssh2;

export interface IdentityInfo {
  path: string;
  exists: boolean;
  /** Public key blob when it can be known without a passphrase (.pub file or OpenSSH header). */
  publicBlob?: Buffer;
  encrypted: boolean;
  /** Private key text (only read when the file exists). */
  data?: Buffer;
  /** Why the file cannot be used, when it cannot. */
  problem?: string;
}

/** Read the public half of an `openssh-key-v1` private key (stored unencrypted) and its cipher. */
export function inspectOpenSshPrivateKey(text: string): { publicBlob: Buffer; encrypted: boolean } | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return undefined;
  const buf = Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (buf.length < magic.length || !buf.subarray(0, magic.length).equals(magic)) return undefined;
  let off = magic.length;
  const readString = (): Buffer | undefined => {
    if (off + 4 > buf.length) return undefined;
    const len = buf.readUInt32BE(off);
    off += 4;
    if (off + len > buf.length) return undefined;
    const s = buf.subarray(off, off + len);
    off += len;
    return s;
  };
  const cipher = readString();
  readString(); // kdfname
  readString(); // kdfoptions
  if (!cipher || off + 4 > buf.length) return undefined;
  const n = buf.readUInt32BE(off);
  off += 4;
  if (n < 1) return undefined;
  const pub = readString();
  if (!pub || !keyTypeOfBlob(pub)) return undefined;
  return { publicBlob: Buffer.from(pub), encrypted: cipher.toString('latin1') !== 'none' };
}

export async function inspectIdentity(path: string): Promise<IdentityInfo> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { path, exists: code !== 'ENOENT' && code !== 'ENOTDIR', encrypted: false, problem: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})` };
  }
  const info: IdentityInfo = { path, exists: true, encrypted: false, data };
  const text = data.toString('utf8');
  const ossh = inspectOpenSshPrivateKey(text);
  if (ossh) {
    info.publicBlob = ossh.publicBlob;
    info.encrypted = ossh.encrypted;
  } else if (/Proc-Type:\s*4,ENCRYPTED/.test(text) || /BEGIN ENCRYPTED PRIVATE KEY/.test(text)) {
    info.encrypted = true;
  } else {
    const k = utils.parseKey(data);
    const key = Array.isArray(k) ? (k[0] as ParsedKey | undefined) : k;
    if (key instanceof Error || key === undefined) info.problem = 'not a private key ssh2 can read';
    else if (!key.isPrivateKey()) info.problem = 'not a private key';
    else info.publicBlob = key.getPublicSSH();
  }
  if (!info.publicBlob) {
    try {
      const pub = parsePublicKeyLine(await readFile(`${path}.pub`, 'utf8'));
      if (pub) info.publicBlob = pub.key;
    } catch {
      /* no .pub */
    }
  }
  return info;
}

type OneKeyAgentBase = InstanceType<typeof BaseAgent>;

/** An agent that exposes a single key of another agent (so ssh2 offers exactly that key). */
class OneKeyAgent extends BaseAgent {
  constructor(
    private readonly inner: OneKeyAgentBase,
    private readonly key: ParsedKey,
  ) {
    super();
  }
  getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    cb(undefined, [this.key]);
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sign(pubKey: any, data: Buffer, options: any, cb?: any): void {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (this.inner as any).sign(pubKey, data, options, cb);
  }
}

export interface AuthOptions {
  username: string;
  /** ssh-agent socket, or undefined for none. */
  agentSocket?: string;
  /** Identity files in order (explicit -i files first). */
  identityFiles: string[];
  /** Files the user named explicitly (missing ones are reported). */
  explicitIdentityFiles?: string[];
  identitiesOnly: boolean;
  /** `attempt` counts the tries for this key in this connection (0 first; > 0 after a wrong answer). */
  askPassphrase?(keyPath: string, attempt?: number): Promise<string | undefined>;
  /** Called with true before a passphrase prompt and false after (to pause connect timers). */
  onPrompt?(prompting: boolean): void;
  debug?(msg: string): void;
}

export interface AuthState {
  handler: AuthHandlerMiddleware;
  /** Human-readable list of what was offered (for the 'auth-failed' message). */
  tried: string[];
  /** Methods the server said can continue (last USERAUTH_FAILURE). */
  serverMethods: string[] | null;
  /** Non-fatal problems (missing -i file, unreadable agent, wrong passphrase, …). */
  notes: string[];
}

type Attempt = () => Promise<AnyAuthMethod | undefined>;

function describeAgentKey(key: ParsedKey): string {
  const fp = fingerprintSha256(key.getPublicSSH());
  return `agent key ${key.type} ${fp}${key.comment ? ` (${key.comment})` : ''}`;
}

async function agentIdentities(agent: OneKeyAgentBase): Promise<ParsedKey[]> {
  return new Promise((resolve, reject) => {
    agent.getIdentities((err: Error | null | undefined, keys?: unknown[]) => {
      if (err) reject(err);
      else {
        const parsed: ParsedKey[] = [];
        for (const k of keys ?? []) {
          const p = utils.parseKey(k as Buffer);
          const key = Array.isArray(p) ? (p[0] as ParsedKey | undefined) : p;
          if (key && !(key instanceof Error)) parsed.push(key);
        }
        resolve(parsed);
      }
    });
  });
}

export function createAuth(opts: AuthOptions): AuthState {
  const state: AuthState = { handler: () => undefined, tried: [], serverMethods: null, notes: [] };
  const { username } = opts;
  let queue: Attempt[] | undefined;

  const plan = async (): Promise<Attempt[]> => {
    const attempts: { early: Attempt[]; plain: Attempt[]; agentRest: Attempt[]; encrypted: Attempt[] } = { early: [], plain: [], agentRest: [], encrypted: [] };
    let agent: OneKeyAgentBase | undefined;
    let agentKeys: ParsedKey[] = [];
    if (opts.agentSocket) {
      try {
        agent = new OpenSSHAgent(opts.agentSocket);
        agentKeys = await agentIdentities(agent);
        opts.debug?.(`agent: ${agentKeys.length} key(s)`);
      } catch (e) {
        state.notes.push(`ssh-agent not usable (${(e as Error).message})`);
        agent = undefined;
      }
    }
    const usedAgent = new Set<number>();
    const seenFiles = new Set<string>();
    const agentAttempt = (key: ParsedKey): Attempt => async () => {
      state.tried.push(describeAgentKey(key));
      return { type: 'agent', username, agent: new OneKeyAgent(agent as OneKeyAgentBase, key) } as AnyAuthMethod;
    };
    for (const path of opts.identityFiles) {
      if (seenFiles.has(path)) continue;
      seenFiles.add(path);
      const info = await inspectIdentity(path);
      if (!info.exists || info.problem) {
        if (opts.explicitIdentityFiles?.includes(path) || info.exists) state.notes.push(`identity ${path}: ${info.problem ?? 'unusable'}`);
        continue;
      }
      const idx = info.publicBlob ? agentKeys.findIndex((k) => k.getPublicSSH().equals(info.publicBlob as Buffer)) : -1;
      if (idx >= 0 && agent) {
        usedAgent.add(idx);
        attempts.early.push(agentAttempt(agentKeys[idx] as ParsedKey));
        continue;
      }
      if (!info.encrypted) {
        attempts.plain.push(async () => {
          const k = utils.parseKey(info.data as Buffer);
          const key = Array.isArray(k) ? (k[0] as ParsedKey | undefined) : k;
          if (!key || key instanceof Error) {
            state.notes.push(`identity ${path}: cannot parse`);
            return undefined;
          }
          state.tried.push(path);
          return { type: 'publickey', username, key } as AnyAuthMethod;
        });
      } else {
        attempts.encrypted.push(async () => {
          if (!opts.askPassphrase) {
            state.notes.push(`identity ${path} is encrypted and no passphrase prompt is available (load it into ssh-agent)`);
            return undefined;
          }
          for (let i = 0; i < 3; i++) {
            let pass: string | undefined;
            opts.onPrompt?.(true);
            try {
              pass = await opts.askPassphrase(path, i);
            } finally {
              opts.onPrompt?.(false);
            }
            if (pass === undefined) {
              state.notes.push(`identity ${path}: no passphrase given`);
              return undefined;
            }
            const k = utils.parseKey(info.data as Buffer, pass);
            pass = undefined;
            const key = Array.isArray(k) ? (k[0] as ParsedKey | undefined) : k;
            if (key && !(key instanceof Error) && key.isPrivateKey()) {
              state.tried.push(path);
              return { type: 'publickey', username, key } as AnyAuthMethod;
            }
            opts.debug?.(`identity ${path}: wrong passphrase (attempt ${i + 1})`);
          }
          state.notes.push(`identity ${path}: wrong passphrase`);
          return undefined;
        });
      }
    }
    if (agent && !opts.identitiesOnly) {
      agentKeys.forEach((k, i) => {
        if (!usedAgent.has(i)) attempts.agentRest.push(agentAttempt(k));
      });
    }
    return [...attempts.early, ...attempts.plain, ...attempts.agentRest, ...attempts.encrypted];
  };

  state.handler = ((methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler) => {
    if (methodsLeft) state.serverMethods = methodsLeft;
    void (async () => {
      try {
        queue ??= await plan();
        if (methodsLeft && !methodsLeft.includes('publickey')) {
          (next as (a: AnyAuthMethod | false) => void)(false);
          return;
        }
        for (;;) {
          const attempt = queue.shift();
          if (!attempt) {
            (next as (a: AnyAuthMethod | false) => void)(false);
            return;
          }
          const method = await attempt();
          if (method) {
            next(method);
            return;
          }
        }
      } catch (e) {
        state.notes.push(`authentication setup failed: ${(e as Error).message}`);
        (next as (a: AnyAuthMethod | false) => void)(false);
      }
    })();
  }) as unknown as AuthHandlerMiddleware;
  return state;
}
