import { describe, expect, it } from 'vitest';
import { buildAlgorithms, mapConnectError, type HopSpec } from '../../src/transport/ssh.js';

const spec = { display: 'root@h1:2222', hostname: 'h1', port: 2222, user: 'root', readyTimeoutMs: 5000 } as HopSpec;
const err = (message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), extra);

describe('mapConnectError', () => {
  it('maps socket and protocol failures to typed one-line errors naming the target', () => {
    const cases: [Error, string][] = [
      [err('getaddrinfo ENOTFOUND h1', { code: 'ENOTFOUND', level: 'client-socket' }), 'dns'],
      [err('getaddrinfo EAI_AGAIN h1', { code: 'EAI_AGAIN', level: 'client-socket' }), 'dns'],
      [err('connect ECONNREFUSED 127.0.0.1:2222', { code: 'ECONNREFUSED', level: 'client-socket' }), 'connect-refused'],
      [err('connect ETIMEDOUT', { code: 'ETIMEDOUT', level: 'client-socket' }), 'connect-timeout'],
      [err('connect EHOSTUNREACH', { code: 'EHOSTUNREACH', level: 'client-socket' }), 'connect-refused'],
      [err('read ECONNRESET', { code: 'ECONNRESET', level: 'client-socket' }), 'connect-refused'],
      [err('Timed out while waiting for handshake', { level: 'client-timeout' }), 'connect-timeout'],
      [err('Handshake failed: no matching key exchange algorithm', { level: 'handshake' }), 'config'],
      [err('All configured authentication methods failed', { level: 'client-authentication' }), 'auth-failed'],
    ];
    for (const [e, code] of cases) {
      const t = mapConnectError(e, spec.display, spec, undefined, '', false);
      expect(t.code, e.message).toBe(code);
      expect(t.target).toBe('root@h1:2222');
      expect(t.message.startsWith('root@h1:2222: ')).toBe(true);
      expect(t.message).not.toMatch(/\n/);
    }
    expect(mapConnectError(err('x'), spec.display, spec, undefined, '', true).code).toBe('connect-timeout');
    const tooMany = mapConnectError(err('Too many authentication failures', { code: 2 }), spec.display, spec, { tried: ['k1', 'k2'], notes: [], serverMethods: null, handler: () => undefined } as never, '', false);
    expect(tooMany.code).toBe('auth-failed');
    expect(tooMany.hint).toContain('IdentitiesOnly');
  });
});

describe('buildAlgorithms', () => {
  it('appends the OpenSSH 5.3 algorithms after the defaults and prefers known host key types', () => {
    const a = buildAlgorithms();
    expect(a.kex).toEqual({ append: ['diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'] });
    expect((a.cipher as { append: string[] }).append).toEqual(expect.arrayContaining(['aes128-ctr', 'aes128-cbc', 'aes256-cbc']));
    const p = buildAlgorithms(['ssh-rsa']);
    expect(p.serverHostKey).toEqual({ remove: ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'], prepend: ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] });
  });
});
