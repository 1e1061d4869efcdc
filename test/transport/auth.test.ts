import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, inspectIdentity } from '../../src/transport/auth.js';
import { parsePublicKeyLine } from '../../src/transport/known-hosts.js';

let tmp: string;
const PASS = 'pw-for-tests';

function gen(name: string, args: string[]): { path: string; pub: Buffer } {
  const path = join(tmp, name);
  execFileSync('ssh-keygen', ['-q', '-C', name, '-f', path, ...args]);
  return { path, pub: parsePublicKeyLine(readFileSync(`${path}.pub`, 'utf8'))!.key };
}

let ed: { path: string; pub: Buffer };
let edEnc: { path: string; pub: Buffer };
let rsaPem: { path: string; pub: Buffer };
let rsaPemEnc: { path: string; pub: Buffer };

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dom0up-auth-'));
  ed = gen('ed', ['-t', 'ed25519', '-N', '']);
  edEnc = gen('ed_enc', ['-t', 'ed25519', '-N', PASS]);
  rsaPem = gen('rsa_pem', ['-t', 'rsa', '-b', '1024', '-m', 'PEM', '-N', '']);
  rsaPemEnc = gen('rsa_pem_enc', ['-t', 'rsa', '-b', '1024', '-m', 'PEM', '-N', PASS]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('inspectIdentity', () => {
  it('reads the public half without a passphrase (OpenSSH format), PEM via parse or .pub', async () => {
    unlinkSync(`${edEnc.path}.pub`); // the public key must come from the private file's header
    const a = await inspectIdentity(ed.path);
    const b = await inspectIdentity(edEnc.path);
    const c = await inspectIdentity(rsaPem.path);
    const d = await inspectIdentity(rsaPemEnc.path);
    expect([a.encrypted, b.encrypted, c.encrypted, d.encrypted]).toEqual([false, true, false, true]);
    expect(a.publicBlob?.equals(ed.pub)).toBe(true);
    expect(b.publicBlob?.equals(edEnc.pub)).toBe(true);
    expect(c.publicBlob?.equals(rsaPem.pub)).toBe(true);
    expect(d.publicBlob?.equals(rsaPemEnc.pub)).toBe(true); // from rsa_pem_enc.pub
    const missing = await inspectIdentity(join(tmp, 'nope'));
    expect(missing).toMatchObject({ exists: false, problem: 'no such file' });
    const notKey = await inspectIdentity(`${ed.path}.pub`);
    expect(notKey.problem).toBeDefined();
  });
});

type Next = (m: unknown) => void;
function nextAttempt(handler: unknown, methodsLeft: string[] | null): Promise<unknown> {
  return new Promise((resolve) => (handler as (a: string[] | null, p: boolean | null, n: Next) => void)(methodsLeft, null, resolve));
}

describe('createAuth', () => {
  it('offers unencrypted keys before encrypted ones, asks passphrases lazily and never leaks them', async () => {
    const asked: string[] = [];
    const prompts: boolean[] = [];
    const auth = createAuth({
      username: 'root',
      identityFiles: [edEnc.path, join(tmp, 'missing'), ed.path, ed.path],
      explicitIdentityFiles: [join(tmp, 'missing')],
      identitiesOnly: false,
      askPassphrase: async (p) => {
        asked.push(p);
        return asked.length === 1 ? 'wrong' : PASS;
      },
      onPrompt: (b) => prompts.push(b),
    });
    const first = (await nextAttempt(auth.handler, null)) as { type: string };
    expect(first.type).toBe('publickey');
    expect(asked).toEqual([]);
    expect(auth.tried).toEqual([ed.path]);
    const second = (await nextAttempt(auth.handler, ['publickey'])) as { type: string };
    expect(second.type).toBe('publickey');
    expect(asked).toEqual([edEnc.path, edEnc.path]);
    expect(prompts).toEqual([true, false, true, false]);
    expect(auth.tried).toEqual([ed.path, edEnc.path]);
    expect(await nextAttempt(auth.handler, ['publickey'])).toBe(false);
    expect(auth.notes.join(' ')).toContain('missing');
    expect(JSON.stringify(auth)).not.toContain(PASS);
  });

  it('stops when the server no longer accepts publickey', async () => {
    const auth = createAuth({ username: 'root', identityFiles: [ed.path], identitiesOnly: true });
    expect(await nextAttempt(auth.handler, ['password'])).toBe(false);
  });

  it('without a prompt, encrypted keys are skipped with a note', async () => {
    const auth = createAuth({ username: 'root', identityFiles: [rsaPemEnc.path], identitiesOnly: true });
    expect(await nextAttempt(auth.handler, null)).toBe(false);
    expect(auth.notes.join(' ')).toContain('ssh-agent');
  });
});
