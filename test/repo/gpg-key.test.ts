// The shipped CentOS Virtualization SIG key really is key 0x61E8806C with the published
// fingerprint (and a valid self-signature). Needs gpg; skipped with a reason when it is missing.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderGpgKey, VIRT_SIG_KEY } from '../../src/repo/index.js';

const gpg = spawnSync('gpg', ['--version'], { encoding: 'utf8' });
const haveGpg = gpg.status === 0;

describe('RPM-GPG-KEY-CentOS-SIG-Virtualization', () => {
  it('is one armoured public key block with LF line endings', () => {
    const { content } = renderGpgKey();
    expect(content).not.toContain('\r');
    expect(content.match(/-----BEGIN PGP PUBLIC KEY BLOCK-----/g)).toHaveLength(1);
    expect(content).toMatch(/\n=[A-Za-z0-9+/]{4}\n-----END PGP PUBLIC KEY BLOCK-----\n$/);
    expect(VIRT_SIG_KEY.fingerprint.replace(/\s/g, '').endsWith(VIRT_SIG_KEY.id.slice(2))).toBe(true);
  });

  it.skipIf(!haveGpg)(`has fingerprint ${VIRT_SIG_KEY.fingerprint} and a good self-signature (gpg)${haveGpg ? '' : ' — skipped: gpg is not installed'}`, () => {
    const home = mkdtempSync(join(tmpdir(), 'dom0up-gpg-'));
    try {
      const file = join(home, 'key.asc');
      writeFileSync(file, renderGpgKey().content);
      const env = { ...process.env, GNUPGHOME: home };
      const show = spawnSync('gpg', ['--batch', '--with-colons', '--show-keys', '--with-fingerprint', file], { encoding: 'utf8', env });
      expect(show.status, show.stderr).toBe(0);
      const recs = show.stdout.split('\n').map((l) => l.split(':'));
      const pubs = recs.filter((r) => r[0] === 'pub');
      expect(pubs).toHaveLength(1);
      expect(pubs[0]?.[4]).toBe('7AEBBE8261E8806C');
      expect(recs.filter((r) => r[0] === 'fpr')[0]?.[9]).toBe(VIRT_SIG_KEY.fingerprint.replace(/\s/g, ''));
      expect(recs.filter((r) => r[0] === 'uid')[0]?.[9]?.replace(/\\x3a/g, ':')).toBe(VIRT_SIG_KEY.uid);
      // the self-signature verifies: the text is the key, not a look-alike
      expect(spawnSync('gpg', ['--batch', '--import', file], { encoding: 'utf8', env }).status).toBe(0);
      const sigs = spawnSync('gpg', ['--batch', '--with-colons', '--check-sigs', '7AEBBE8261E8806C'], { encoding: 'utf8', env });
      expect(sigs.status, sigs.stderr).toBe(0);
      const sig = sigs.stdout.split('\n').map((l) => l.split(':')).filter((r) => r[0] === 'sig');
      expect(sig.length).toBeGreaterThan(0);
      expect(sig.every((r) => r[1] === '!' && r[4] === '7AEBBE8261E8806C')).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
