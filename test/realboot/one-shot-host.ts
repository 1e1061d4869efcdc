// The one-shot step of `dom0up apply`, run for real against a boot disk of the real-boot tier.
//
// dom0up's own code (src/apply/one-shot.ts `setOneShot`) builds the command and sends it through a Transport; here
// that Transport is a LocalTransport whose shell enters a small chroot that looks like the part of a CentOS 6 host
// the command touches: /sbin/grub is Red Hat's grub shell (grub-0.97-99.el6, built by setup.sh; static and 32-bit
// as on CentOS 6 x86_64) and /boot/grub/stage2 is the stage2 file copied out of the boot disk. The very script
// dom0up sends runs unchanged (`/bin/sh -c SCRIPT`, sh/od/tr from busybox-static); a recording wrapper keeps it
// for the test log. Afterwards the edited stage2 file is written back into its own blocks on the disk, as the
// host's page cache would write it — so at the next power-on GRUB reads what the shell wrote.
//
// Where the kernel cannot run 32-bit programs, /sbin/grub is a two-line wrapper that runs the same binary under
// qemu-i386 (with qemu-i386's libraries copied into the chroot); see grub-shell.ts for the choice.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setOneShot } from '../../src/apply/one-shot.js';
import { LocalTransport, sh, type ExecOptions, type ExecResult, type Transport } from '../../src/transport/index.js';
import type { CloseReason } from '../../src/transport/transport.js';
import { grubExec } from './grub-shell.js';
import type { BootDisk } from './harness.js';

/** A Transport that records every script and its result, and passes it on. */
export class RecordingTransport implements Transport {
  readonly sent: { script: string; opts: ExecOptions; result: ExecResult | null }[] = [];
  constructor(private readonly inner: Transport) {}
  get target(): string {
    return this.inner.target;
  }
  get roundTrips(): number {
    return this.inner.roundTrips;
  }
  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const rec: { script: string; opts: ExecOptions; result: ExecResult | null } = { script, opts, result: null };
    this.sent.push(rec);
    rec.result = await this.inner.exec(script, opts);
    return rec.result;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  onClose(cb: (reason: CloseReason, err?: Error) => void): void {
    this.inner.onClose(cb);
  }
}

/** The shared libraries a dynamically linked program needs (from ldd), absolute paths. */
function libsOf(bin: string): string[] {
  const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
  return [...out.matchAll(/(\/[^\s)]+)/g)].map((m) => m[1]!).filter((p) => p !== bin);
}

function copyInto(root: string, file: string, as = file): void {
  const dst = path.join(root, as);
  mkdirSync(path.dirname(dst), { recursive: true });
  copyFileSync(file, dst);
  chmodSync(dst, 0o755);
}

export interface HostRoot {
  root: string;
  /** the shell LocalTransport runs: enters the chroot */
  shell: string;
  mode: 'native' | 'qemu-i386';
}

/** A chroot with busybox's sh/od/tr/printf, /sbin/grub (Red Hat's shell) and /boot/grub/stage2. */
export function makeHostRoot(dir: string, grubShell: string, stage2: Buffer): HostRoot {
  const root = path.join(dir, 'host-root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  copyInto(root, '/bin/busybox', '/bin/busybox');
  for (const a of ['sh', 'od', 'tr', 'printf', 'echo', 'cat', '[']) symlinkSync('busybox', path.join(root, 'bin', a));
  const ex = grubExec(grubShell);
  if (ex.mode === 'native') {
    copyInto(root, grubShell, '/sbin/grub');
  } else {
    const q = ex.qemu!;
    copyInto(root, q, '/usr/bin/qemu-i386');
    for (const lib of libsOf(q)) copyInto(root, lib);
    copyInto(root, grubShell, '/sbin/grub.i386');
    writeFileSync(path.join(root, 'sbin/grub'), '#!/bin/sh\nexec /usr/bin/qemu-i386 /sbin/grub.i386 "$@"\n', { mode: 0o755 });
  }
  mkdirSync(path.join(root, 'boot/grub'), { recursive: true });
  writeFileSync(path.join(root, 'boot/grub/stage2'), stage2);
  const shell = path.join(dir, 'host-sh');
  writeFileSync(shell, `#!/bin/sh\nexec chroot '${root.replace(/'/g, `'\\''`)}' /bin/sh "$@"\n`, { mode: 0o755 });
  return { root, shell, mode: ex.mode };
}

export interface OneShotRun {
  /** what setOneShot returned: the word it read back and accepted */
  word: number;
  /** the scripts dom0up sent (one) */
  scripts: string[];
  /** what the grub shell and od printed */
  output: string;
  wordBefore: number;
  /** the stage2 word on the disk after the page-cache write-back */
  wordOnDisk: number;
  blocksWritten: number[];
  mode: 'native' | 'qemu-i386';
}

/** `setOneShot(transport, index)` against the stage2 file of `disk`, then the file written back into its blocks. */
export async function oneShotOnDisk(disk: BootDisk, index: number): Promise<OneShotRun> {
  const before = await disk.readFile(disk.stage2Path);
  const host = makeHostRoot(disk.dir, disk.grubShell, before);
  const t = new RecordingTransport(new LocalTransport({ target: 'realboot-host', shell: host.shell }));
  try {
    const { word } = await setOneShot(t, index);
    const after = readFileSync(path.join(host.root, 'boot/grub/stage2'));
    const blocksWritten = await disk.writeInPlace(disk.stage2Path, after);
    return {
      word,
      scripts: t.sent.map((s) => s.script),
      output: t.sent.map((s) => (s.result?.stdout.toString('utf8') ?? '') + (s.result?.stderr.toString('utf8') ?? '')).join(''),
      wordBefore: before.readUInt32LE(512 + 0xc),
      wordOnDisk: await disk.stage2Word(),
      blocksWritten,
      mode: host.mode,
    };
  } finally {
    await t.close();
    rmSync(host.root, { recursive: true, force: true });
  }
}

/**
 * Other grub shell commands on the disk's stage2, the way an administrator types them on the host
 * (e.g. `savedefault --default=1`); not dom0up's code. Returns the shell's output and the word on the disk.
 */
export async function grubBatchOnDisk(disk: BootDisk, commands: string[]): Promise<{ output: string; word: number }> {
  const before = await disk.readFile(disk.stage2Path);
  const host = makeHostRoot(disk.dir, disk.grubShell, before);
  const t = new LocalTransport({ target: 'realboot-host', shell: host.shell });
  try {
    const r = await t.exec(sh`printf '%s\n' ${commands} quit | /sbin/grub --batch --no-floppy 2>&1`, { timeoutMs: 60_000 });
    const output = r.stdout.toString('utf8') + r.stderr.toString('utf8');
    if (r.code !== 0 || /Error \d+/.test(output)) throw new Error(`grub --batch ${commands.join('; ')} failed:\n${output}`);
    await disk.writeInPlace(disk.stage2Path, readFileSync(path.join(host.root, 'boot/grub/stage2')));
    return { output, word: await disk.stage2Word() };
  } finally {
    await t.close();
    rmSync(host.root, { recursive: true, force: true });
  }
}
