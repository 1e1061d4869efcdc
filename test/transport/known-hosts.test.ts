import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/transport/errors.js';
import {
  appendKnownHost,
  checkHostKey,
  entriesForHost,
  fingerprintSha256,
  globMatch,
  hostKeyAlgorithmsForType,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypesForHost,
  loadKnownHosts,
  matchPatternList,
  parseKnownHosts,
  parsePublicKeyLine,
} from '../../src/transport/known-hosts.js';

let tmp: string;
const keys: Record<string, { line: string; blob: Buffer; path: string }> = {};

function gen(name: string, type: string, bits?: number): void {
  const path = join(tmp, name);
  const args = ['-q', '-t', type, '-N', '', '-C', name, '-f', path];
  if (bits) args.push('-b', String(bits));
  execFileSync('ssh-keygen', args);
  const line = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  keys[name] = { line, blob: parsePublicKeyLine(line)!.key, path };
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dom0up-kh-'));
  gen('ed', 'ed25519');
  gen('ed2', 'ed25519');
  gen('rsa', 'rsa', 1024);
  gen('e256', 'ecdsa', 256);
  gen('e384', 'ecdsa', 384);
  gen('e521', 'ecdsa', 521);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const k = (n: string): { line: string; blob: Buffer; path: string } => keys[n] as { line: string; blob: Buffer; path: string };

describe('fingerprints', () => {
  it('match ssh-keygen -lf for every key type (SHA256, unpadded base64)', () => {
    for (const name of ['ed', 'rsa', 'e256', 'e384', 'e521']) {
      const out = execFileSync('ssh-keygen', ['-lf', `${k(name).path}.pub`], { encoding: 'utf8' });
      const expected = out.split(/\s+/)[1];
      expect(fingerprintSha256(k(name).blob)).toBe(expected);
      expect(fingerprintSha256(k(name).blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
  });

  it('reads the key type from the blob', () => {
    expect(keyTypeOfBlob(k('e384').blob)).toBe('ecdsa-sha2-nistp384');
    expect(keyTypeOfBlob(Buffer.from([0, 0, 0]))).toBeUndefined();
    expect(parsePublicKeyLine('ssh-rsa ' + k('ed').blob.toString('base64'))).toBeUndefined(); // type mismatch
    expect(hostKeyAlgorithmsForType('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });
});

describe('pattern matching (OpenSSH match_pattern_list)', () => {
  it('wildcards, negation, case', () => {
    expect(matchPatternList('web1.example.com', '*.example.com')).toBe(1);
    expect(matchPatternList('WEB1.Example.COM', '*.example.com')).toBe(1);
    expect(matchPatternList('web1.example.com', 'web?.example.com')).toBe(1);
    expect(matchPatternList('web10.example.com', 'web?.example.com')).toBe(0);
    expect(matchPatternList('bad.example.com', '*.example.com,!bad.example.com')).toBe(-1);
    expect(matchPatternList('[10.0.0.1]:2222', '[10.0.0.*]:2222')).toBe(1);
    expect(matchPatternList('10.0.0.1', '[10.0.0.1]:2222')).toBe(0);
  });

  it('property: globMatch agrees with a regex translation', () => {
    const alpha = fc.constantFrom('a', 'b', '.', '[', ']', ':', '1');
    const pat = fc.string({ unit: fc.oneof(alpha, fc.constantFrom('*', '?')), maxLength: 8 });
    const txt = fc.string({ unit: alpha, maxLength: 10 });
    fc.assert(
      fc.property(txt, pat, (t, p) => {
        const re = new RegExp(`^${p.replace(/[.[\]]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
        expect(globMatch(t, p)).toBe(re.test(t));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parsing and checking', () => {
  it('plain, [host]:port, comma lists, wildcards, negation, markers, comments, CRLF, junk', () => {
    const text = [
      '# comment',
      '',
      `alpha,192.0.2.10 ${k('ed').line} comment here`,
      `[alpha]:2222 ${k('e256').line}`,
      `*.lab.example,!evil.lab.example ${k('rsa').line}`,
      `@revoked revoked.example ${k('ed2').line}`,
      `@cert-authority *.example ${k('e384').line}`,
      `crlf.example ${k('e521').line}\r`,
      'broken line',
      `weird ssh-ed25519 !!!notbase64`,
      `v1host 1024 35 12345`,
      `@bogus x ${k('ed').line}`,
    ].join('\n');
    const { entries, issues } = parseKnownHosts(text, 'kh');
    expect(entries.map((e) => [e.line, e.hosts, e.marker])).toEqual([
      [3, 'alpha,192.0.2.10', null],
      [4, '[alpha]:2222', null],
      [5, '*.lab.example,!evil.lab.example', null],
      [6, 'revoked.example', 'revoked'],
      [7, '*.example', 'cert-authority'],
      [8, 'crlf.example', null],
    ]);
    expect(issues.map((i) => i.line)).toEqual([9, 10, 11, 12]);

    const check = (host: string, port: number, key: string): string => checkHostKey(entries, [knownHostsName(host, port)], k(key).blob).status;
    expect(check('alpha', 22, 'ed')).toBe('ok');
    expect(check('ALPHA', 22, 'ed')).toBe('ok');
    expect(check('192.0.2.10', 22, 'ed')).toBe('ok');
    expect(check('alpha', 22, 'ed2')).toBe('changed');
    expect(check('alpha', 22, 'rsa')).toBe('other-type');
    expect(check('alpha', 2222, 'e256')).toBe('ok');
    expect(check('alpha', 2222, 'ed')).toBe('other-type'); // [alpha]:2222 is a different name than alpha
    expect(check('alpha', 2200, 'ed')).toBe('unknown');
    expect(check('n1.lab.example', 22, 'rsa')).toBe('ok');
    expect(check('evil.lab.example', 22, 'rsa')).toBe('unknown');
    expect(check('revoked.example', 22, 'ed2')).toBe('revoked');
    expect(check('x.example', 22, 'e384')).toBe('unknown'); // cert authorities are not host keys
    expect(check('crlf.example', 22, 'e521')).toBe('ok');
    expect(knownKeyTypesForHost(entries, ['alpha'])).toEqual(['ssh-ed25519']);
  });

  it('matches hashed entries written by ssh-keygen -H, agreeing with ssh-keygen -F', () => {
    const file = join(tmp, 'kh_hash');
    writeFileSync(file, [`plainhost ${k('ed').line}`, `[10.1.2.3]:2222 ${k('rsa').line}`, `a.example,b.example ${k('e256').line}`, ''].join('\n'));
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('plainhost');
    const { entries } = parseKnownHosts(text, file);
    expect(entries.every((e) => e.hashed !== null)).toBe(true);
    const cases: [string, number, string, boolean][] = [
      ['plainhost', 22, 'ed', true],
      ['PlainHost', 22, 'ed', true],
      ['10.1.2.3', 2222, 'rsa', true],
      ['10.1.2.3', 22, 'rsa', false],
      ['b.example', 22, 'e256', true],
      ['c.example', 22, 'e256', false],
    ];
    for (const [host, port, key, known] of cases) {
      const name = knownHostsName(host, port);
      expect(checkHostKey(entries, [name], k(key).blob).status === 'ok').toBe(known);
      const f = spawnSync('ssh-keygen', ['-F', name.toLowerCase(), '-f', file]);
      expect(f.status === 0).toBe(known);
      expect(entriesForHost(entries, [name]).length > 0).toBe(known);
    }
  });
});

describe('loading and recording', () => {
  it('treats a missing file as empty and fails closed on unreadable ones', async () => {
    expect((await loadKnownHosts([join(tmp, 'nope')], 't')).entries).toEqual([]);
    const dir = join(tmp, 'a_dir');
    mkdirSync(dir, { recursive: true });
    await expect(loadKnownHosts([dir], 'root@h')).rejects.toMatchObject({ code: 'config', target: 'root@h' });
    await expect(loadKnownHosts([dir], 'root@h')).rejects.toBeInstanceOf(TransportError);
  });

  it('appends plain and hashed lines, creating the file 0600 and fixing a missing final newline', async () => {
    const file = join(tmp, 'rec', 'known_hosts');
    expect(await appendKnownHost(file, '[127.0.0.11]:2222', k('rsa').blob)).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp, 'rec')).mode & 0o777).toBe(0o700);
    writeFileSync(file, readFileSync(file, 'utf8') + `other ${k('ed').line}`); // no final newline
    expect(await appendKnownHost(file, 'hashed.example', k('e256').blob, { hash: true })).toBe(3);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toBe(`[127.0.0.11]:2222 ${k('rsa').line}`);
    expect(lines[1]).toBe(`other ${k('ed').line}`);
    expect(lines[2]).toMatch(/^\|1\|/);
    expect(spawnSync('ssh-keygen', ['-F', 'hashed.example', '-f', file]).status).toBe(0);
    expect(spawnSync('ssh-keygen', ['-F', '[127.0.0.11]:2222', '-f', file]).status).toBe(0);
    const { entries } = parseKnownHosts(text, file);
    expect(checkHostKey(entries, ['hashed.example'], k('e256').blob).status).toBe('ok');
  });
});
