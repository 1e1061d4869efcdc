/**
 * Atomic file replacement on a host, as one POSIX sh command (CentOS 6: coreutils 8.4):
 * compare-and-swap on the current content's sha256, a temp file beside the real one, content
 * hash check, owner/mode/SELinux context copied, the previous version kept as a hard link
 * `<file>.dom0up-<stamp>`, sync, rename(2), sync, old backups pruned. An interrupted write
 * leaves either the old or the new file. The content travels on stdin, never on the command line.
 */
import { createHash } from 'node:crypto';
import { sh, type Transport } from '../transport/index.js';
import { RemoteError } from '../errors.js';

export interface RemoteWrite {
  path: string;
  content: Buffer;
  /** sha256 hex the current file must have; 'absent' when it must not exist; 'any' to skip the check. */
  expect: string;
  /** Mode for a new file (an existing file keeps its mode, owner and context). */
  mode: number;
  /** Keep the previous version beside the file (default true). */
  backup?: boolean;
  /** Backup stamp, e.g. 20261127T153801Z. */
  stamp: string;
  keepBackups?: number;
}

export const EXIT_CHANGED = 65;
export const EXIT_WRITE_FAILED = 67;
export const EXIT_SHORT_WRITE = 68;

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export function buildWriteScript(w: RemoteWrite): string {
  const newSha = sha256Hex(w.content);
  const keep = w.keepBackups ?? 10;
  const mode = (w.mode & 0o7777).toString(8);
  return [
    sh`f=${w.path}; exp=${w.expect}; want=${newSha}; stamp=${w.stamp}`,
    'd=$(dirname "$f"); b=$(basename "$f")',
    'if [ -e "$f" ]; then cur=$(sha256sum < "$f" | cut -d" " -f1); else cur=absent; fi',
    `if [ "$exp" != any ] && [ "$cur" != "$exp" ]; then echo "dom0up: changed: $cur" >&2; exit ${EXIT_CHANGED}; fi`,
    // temp files of a write that was cut off (power cut, kill -9) are older than any live write (60 s timeout)
    'find "$d" -maxdepth 1 -name ".$b.dom0up.??????" -type f -mmin +2 -exec rm -f {} + 2>/dev/null',
    'tmp=$(mktemp "$d/.$b.dom0up.XXXXXX") || exit 66',
    "trap 'rm -f \"$tmp\"' EXIT HUP INT TERM",
    `cat > "$tmp" || exit ${EXIT_WRITE_FAILED}`,
    `got=$(sha256sum < "$tmp" | cut -d" " -f1); if [ "$got" != "$want" ]; then echo "dom0up: the written copy does not match (got $got)" >&2; exit ${EXIT_SHORT_WRITE}; fi`,
    'if [ -e "$f" ]; then',
    '  chown --reference="$f" "$tmp" && chmod --reference="$f" "$tmp" || exit 69',
    '  ctx=$(stat -c %C "$f" 2>/dev/null); if [ -n "$ctx" ] && [ "$ctx" != "?" ] && command -v chcon >/dev/null 2>&1; then chcon --reference="$f" "$tmp" 2>/dev/null || true; fi',
    w.backup === false
      ? '  bk='
      : '  n=0; bk="$f.dom0up-$stamp"; while [ -e "$bk" ]; do n=$((n+1)); bk="$f.dom0up-$stamp-$n"; done; ln "$f" "$bk" 2>/dev/null || cp -p "$f" "$bk" || exit 70',
    'else',
    `  chmod ${mode} "$tmp" || exit 69; bk=`,
    'fi',
    'sync',
    'mv -f "$tmp" "$f" || exit 71',
    'trap - EXIT HUP INT TERM',
    'sync',
    'echo "backup=$bk"',
    `if [ -n "$bk" ]; then ls -1d "$f".dom0up-[0-9]* 2>/dev/null | sort -V | head -n -${keep} | while read -r old; do rm -f "$old" && echo "pruned=$old"; done; fi`,
  ].join('\n');
}

export interface RemoteWriteResult {
  backupPath: string | null;
  pruned: string[];
}

/** Writes a file on the host; RemoteError (naming host, phase and path) on any failure. */
export async function writeRemoteFile(t: Transport, w: RemoteWrite, phase: string): Promise<RemoteWriteResult> {
  const r = await t.exec(buildWriteScript(w), { sudo: true, stdin: w.content, timeoutMs: 60_000 });
  const err = r.stderr.toString('utf8').trim();
  if (r.lost) throw new RemoteError(t.target, phase, `the connection was lost while writing ${w.path}; the file is either the old or the new version`, 'run again: dom0up reads the file and continues from there');
  if (r.timedOut) throw new RemoteError(t.target, phase, `writing ${w.path} timed out; the file is either the old or the new version`);
  if (r.code === EXIT_CHANGED) {
    throw new RemoteError(t.target, phase, `${w.path} changed since it was read (by hand or by a package); nothing was written`, 'run again to see the new plan');
  }
  // every failure before the rename (temp file, content, owner, backup) leaves the old file as it was
  const beforeRename = r.code !== null && r.code >= 66 && r.code <= 71;
  const dir = w.path.slice(0, w.path.lastIndexOf('/')) || '/';
  if (r.code !== 0 && /No space left on device|Disk quota exceeded/i.test(err)) {
    throw new RemoteError(t.target, phase, `ENOSPC: no space left on the file system of ${dir} while writing ${w.path}${beforeRename ? '; the old file is untouched' : ''}`, `free space in ${dir} (df -h ${dir}; package-cleanup --oldkernels for /boot) and run again`, 1, err || undefined);
  }
  if (r.code === EXIT_WRITE_FAILED || r.code === EXIT_SHORT_WRITE) {
    throw new RemoteError(t.target, phase, `could not write the new version of ${w.path}; the old file is untouched`, undefined, 1, err || undefined);
  }
  if (r.code !== 0) throw new RemoteError(t.target, phase, `writing ${w.path} failed (exit ${r.code})${beforeRename ? '; the old file is untouched' : ''}`, undefined, 1, err || undefined);
  const out = r.stdout.toString('utf8');
  const backup = /^backup=(.*)$/m.exec(out)?.[1] ?? '';
  return { backupPath: backup || null, pruned: [...out.matchAll(/^pruned=(.*)$/gm)].map((m) => m[1] as string) };
}

/** Reads a file back (as root) and checks its hash: the write really landed where GRUB reads. */
export async function readRemoteFile(t: Transport, path: string, phase: string): Promise<Buffer | null> {
  const r = await t.exec(sh`if [ -f ${path} ]; then base64 < ${path}; else echo ABSENT; fi`, { sudo: true, timeoutMs: 30_000 });
  if (r.code !== 0) throw new RemoteError(t.target, phase, `reading ${path} failed (exit ${r.code ?? (r.lost ? 'connection lost' : '?')})`);
  const text = r.stdout.toString('utf8').trim();
  return text === 'ABSENT' ? null : Buffer.from(text.replace(/\s+/g, ''), 'base64');
}
