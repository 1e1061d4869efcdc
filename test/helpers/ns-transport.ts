// A local transport whose scripts run in a private mount namespace with a temporary directory
// bound over /var/lib (and optionally over /boot and /usr/sbin): the host scripts run unchanged
// (they name /var/lib/dom0up, /boot/grub/stage2, /sbin/grub) without touching this machine.
// Needs root and unshare(1); `nsUnavailable()` says why not (in CI that fails the test).
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalTransport } from '../../src/transport/index.js';

export function nsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (a private mount namespace)';
  try {
    execFileSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'unshare --mount does not work here';
  }
}

export interface NsHost {
  dir: string;
  /** What /var/lib is inside. */
  varlib: string;
  /** What /boot is inside (when bound). */
  boot: string | null;
  t: LocalTransport;
}

/** binds: 'boot' binds dir/boot over /boot; a grub shell program binds dir/sbin over /usr/sbin with `grub` in it. */
export function nsHost(o: { boot?: boolean; grub?: string } = {}): NsHost {
  const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-ns-'));
  const varlib = path.join(dir, 'varlib');
  mkdirSync(varlib);
  const binds: [string, string][] = [[varlib, '/var/lib']];
  let boot: string | null = null;
  if (o.boot) {
    boot = path.join(dir, 'boot');
    mkdirSync(path.join(boot, 'grub'), { recursive: true });
    binds.push([boot, '/boot']);
  }
  if (o.grub) {
    const sbin = path.join(dir, 'sbin');
    mkdirSync(sbin);
    writeFileSync(path.join(sbin, 'grub'), o.grub, { mode: 0o755 });
    // /sbin is a link to usr/sbin on merged-/usr systems, its own directory elsewhere
    binds.push([sbin, lstatSync('/sbin').isSymbolicLink() ? '/usr/sbin' : '/sbin']);
  }
  const mounts = binds.map(([from, to]) => `mount --bind ${from} ${to} || exit 99`).join('; ');
  const shell = path.join(dir, 'nsh');
  writeFileSync(shell, `#!/bin/sh\nexec unshare --mount --propagation private /bin/sh -c '${mounts}; exec /bin/sh "$@"' nsh "$@"\n`, { mode: 0o755 });
  return { dir, varlib, boot, t: new LocalTransport({ target: 'ns', shell }) };
}
