/**
 * The files dom0up may write on a host, read exactly: where each path leads (every symlink
 * resolved on the host), owner, mode, SELinux context, the sha256 of the real bytes and the
 * bytes themselves (bounded), plus which parent directories exist. The plan compares and writes
 * through these real paths, so a symlinked /etc/xen/xl.conf stays a symlink.
 */
import { createHash } from 'node:crypto';
import { decodeText } from '../io/decode-text.js';
import { FactParseError, fromBase64, lines } from './fact.js';

/** Files larger than this are not read whole: dom0up refuses to edit them (fail closed). */
export const MAX_MANAGED_FILE_BYTES = 1024 * 1024;

export interface ManagedFile {
  /** The path as named (e.g. /etc/grub.conf). */
  path: string;
  /** The file behind every symlink (readlink -f); equal to `path` when it is not a link. */
  realPath: string;
  /** `path` is a symbolic link (writes go to realPath). */
  isLink: boolean;
  /** The real path is a regular file (false: a directory, device, dangling link, …). */
  regular: boolean;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  size: number | null;
  context: string | null;
  /** sha256 (hex) of the whole file as it is on the host. */
  sha256: string | null;
  /** The bytes (null when the file is larger than MAX_MANAGED_FILE_BYTES or not regular). */
  bytes: Buffer | null;
  text: string | null;
  encoding: 'utf8' | 'latin1' | null;
  /** The content was not read whole (too big). */
  truncated: boolean;
}

/** Shell text: prints one block per existing path (absent paths print nothing). */
export function managedFilesCommand(paths: readonly string[], globs: readonly string[] = []): string {
  const fn = [
    'emit() {',
    '  f=$1',
    '  [ -e "$f" ] || [ -L "$f" ] || return 0',
    '  r=$(readlink -f "$f" 2>/dev/null); [ -n "$r" ] || r=$f',
    '  echo "file=$f"; echo "real=$r"',
    '  if [ -L "$f" ]; then echo "islink=1"; fi',
    '  if [ -f "$r" ]; then',
    '    echo "stat=$(stat -c "%a %u %g %s" "$r")"',
    '    echo "ctx=$(stat -c %C "$r" 2>/dev/null)"',
    '    echo "sha=$(sha256sum < "$r" | cut -d" " -f1)"',
    `    echo "data=$(head -c ${MAX_MANAGED_FILE_BYTES + 1} "$r" | base64 | tr -d '\\n')"`,
    '  fi',
    '  echo "end=1"',
    '}',
  ].join('\n');
  const calls = [...paths.map((p) => `emit ${shq(p)}`), ...globs.map((g) => `for f in ${g}; do emit "$f"; done`)];
  return `${fn}\n${calls.join('\n')}`;
}

/** The directories among `dirs` that exist (one line each). */
export function existingDirsCommand(dirs: readonly string[]): string {
  return dirs.map((d) => `if [ -d ${shq(d)} ]; then echo "dir=${d}"; fi`).join('\n');
}

function shq(s: string): string {
  if (!/^[A-Za-z0-9_./-]+$/.test(s)) throw new Error(`internal: unsafe managed path ${JSON.stringify(s)}`);
  return s;
}

/** The keys the blocks of managedFilesCommand and existingDirsCommand print. */
export const MANAGED_FILE_KEYS = ['file', 'real', 'islink', 'stat', 'ctx', 'sha', 'data', 'end', 'dir'] as const;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A path as the host printed it: absolute, one line, no control characters (writes go there). */
function hostPath(v: string, what: string): string {
  if (!v.startsWith('/') || CONTROL.test(v) || v.length > 4096) throw new FactParseError(`${what} ${JSON.stringify(v.slice(0, 60))} is not an absolute path`);
  return v;
}

export function parseManagedFiles(stdout: string): { files: Map<string, ManagedFile>; dirs: string[] } {
  const files = new Map<string, ManagedFile>();
  const dirs: string[] = [];
  let cur: Record<string, string> | null = null;
  const flush = () => {
    if (!cur || cur.file === undefined) return;
    const path = hostPath(cur.file, 'a managed file');
    if (cur.real) hostPath(cur.real, `the real path of ${path}`);
    if (cur.stat !== undefined && !/^[0-7]{1,5} \d{1,10} \d{1,10} \d{1,16}$/.test(cur.stat)) throw new FactParseError(`stat of ${path} ${JSON.stringify(cur.stat.slice(0, 40))} is not "MODE UID GID SIZE"`);
    const [mode, uid, gid, size] = (cur.stat ?? '').split(' ');
    const regular = cur.stat !== undefined;
    // strict base64, at most one byte more than is read whole (that one byte says: too big to edit)
    const raw = regular && cur.data !== undefined ? fromBase64(cur.data, path, MAX_MANAGED_FILE_BYTES + 1) : null;
    const truncated = raw !== null && raw.length > MAX_MANAGED_FILE_BYTES;
    const bytes = raw && !truncated ? raw : null;
    const decoded = bytes ? decodeText(bytes) : null;
    const sha = cur.sha && /^[0-9a-f]{64}$/.test(cur.sha) ? cur.sha : bytes ? createHash('sha256').update(bytes).digest('hex') : null;
    const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
    files.set(path, {
      path,
      realPath: cur.real || path,
      isLink: cur.islink === '1',
      regular,
      mode: mode !== undefined && /^[0-7]+$/.test(mode) ? parseInt(mode, 8) : null,
      uid: num(uid),
      gid: num(gid),
      size: num(size),
      context: cur.ctx && cur.ctx !== '?' ? cur.ctx : null,
      sha256: sha,
      bytes,
      text: decoded?.text ?? null,
      encoding: decoded?.encoding ?? null,
      truncated,
    });
    cur = null;
  };
  for (const l of lines(stdout)) {
    const i = l.indexOf('=');
    if (i <= 0) continue;
    const k = l.slice(0, i);
    const v = l.slice(i + 1);
    if (k === 'dir') {
      dirs.push(v);
      continue;
    }
    if (k === 'file') {
      flush();
      cur = { file: v };
      continue;
    }
    if (!cur) continue;
    if (k === 'end') flush();
    else cur[k] = v;
  }
  flush();
  return { files, dirs };
}

/** sha256 (hex) of text in the encoding it was read in. */
export function textSha256(text: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  return createHash('sha256').update(Buffer.from(text, encoding)).digest('hex');
}
