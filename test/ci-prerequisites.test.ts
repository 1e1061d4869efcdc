// What the test suite needs from the machine. In CI (CI set) each missing piece FAILS here with the
// reason, so a green run cannot hide a tier or a check that silently skipped; on a developer's machine
// a missing piece shows up as a skipped test naming it (and the tests that need it skip themselves).
// The SSH tier fails in CI by itself (test/testbed/vitest.ts: describeTestbed).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusDir } from './helpers/shared.js';
import { gccMissing, inCI, toolMissing } from './helpers/ci.js';

function python310(): string | null {
  const gone = toolMissing('python3', ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)']);
  return gone && 'python3 >= 3.10 is not available';
}

const checks: [what: string, missing: () => string | null][] = [
  ['gpg (the Virt SIG key fingerprint check, test/repo/gpg-key.test.ts)', () => toolMissing('gpg')],
  ['patch (every golden diff applied with patch -p1)', () => toolMissing('patch')],
  ['git (every golden diff applied with git apply)', () => toolMissing('git')],
  ['gcc and libc headers (the test bed preload: /proc/xen, fault points)', gccMissing],
  ['python3 >= 3.10 (the test bed, CPython differential tests)', python310],
  ['the shared grub.conf corpus (../shared/corpus or DOM0UP_CORPUS_DIR)', () => (corpusDir ? null : 'not found next to the repository or in any parent directory')],
  ['sshd (the private-sshd transport tests and the SSH test bed)', () => (existsSync('/usr/sbin/sshd') ? null : 'no /usr/sbin/sshd (apt-get install openssh-server)')],
  ['root (the SSH test bed, the ENOSPC tests)', () => (typeof process.getuid === 'function' && process.getuid() === 0 ? null : 'not running as root')],
];

describe(`prerequisites of the test suite${inCI ? ' (CI: a missing one fails the run)' : ''}`, () => {
  for (const [what, missing] of checks) {
    const why = missing();
    if (inCI) {
      it(`${what} is available`, () => {
        expect(why, `${what}: ${why}`).toBeNull();
      });
    } else {
      it.skipIf(why !== null)(`${what} is available${why ? ` — SKIPPED here: ${why}` : ''}`, () => {
        expect(missing()).toBeNull();
      });
    }
  }
});
