/**
 * Resolving a local path for a write (or an in-place read) without following a symbolic link that
 * another user could have planted. dom0up runs as root on a controller that other people may use:
 * `-o /tmp/out.conf` where someone made `/tmp/out.conf -> /etc/shadow` must not replace
 * /etc/shadow. The links are resolved one level at a time (never by the kernel or realpath(3)), and
 * a link is followed only when
 *   - it belongs to the user running dom0up or to root, and
 *   - its directory belongs to that user or to root and no one else can replace entries in it
 *     (not group/world-writable, or sticky: then only an entry's owner can rename it).
 * That is stricter than Linux's fs.protected_symlinks (which also follows a link owned by the
 * directory's owner): root writing through a link in another user's directory is refused too.
 *
 * The directory of the final name is then opened (O_DIRECTORY|O_NOFOLLOW) and checked to be the
 * one that was resolved; every later operation goes through that open directory
 * (/proc/self/fd/N/NAME on Linux), so swapping a directory of the path afterwards changes nothing.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

const MAX_LINKS = 40;

export interface ResolvedPath {
  /** The path with every symbolic link resolved (absolute). */
  realPath: string;
  /** Its directory (real) and the name in it. */
  dir: string;
  name: string;
  dirStat: Stats;
  /** lstat of the final name; null when it does not exist (a new file). */
  stat: Stats | null;
}

function euid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}

function trusted(uid: number, me: number): boolean {
  return uid === me || uid === 0;
}

/** Could another user have put (or replaced) this link? null when it is safe to follow. */
export function plantedBy(link: Stats, dir: Stats, me = euid()): string | null {
  if (!trusted(link.uid, me)) return `owned by uid ${link.uid}`;
  if (!trusted(dir.uid, me)) return `in a directory owned by uid ${dir.uid}`;
  const othersWrite = (dir.mode & 0o022) !== 0;
  const sticky = (dir.mode & 0o1000) !== 0;
  if (othersWrite && !sticky) return `in a directory others can write (mode ${(dir.mode & 0o7777).toString(8)})`;
  return null;
}

export class PlantedLinkError extends UserError {
  constructor(link: string, why: string) {
    super(`${link}: a symbolic link ${why}: dom0up does not follow links another user could have planted`, 'give the real path of the file, or let the link belong to you (or root) in a directory only you (or root) can change');
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** Resolves `file` level by level; throws PlantedLinkError for an untrusted link, UserError for the rest. */
export async function resolveTrusted(file: string): Promise<ResolvedPath> {
  const me = euid();
  let pending = path.resolve(file).split('/').filter(Boolean);
  let cur = '/';
  let curStat = await fs.stat('/');
  let links = 0;
  const shown = (p: string) => p;
  if (pending.length === 0) throw new UserError(`${file}: is a directory`);
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      cur = path.dirname(cur);
      curStat = await fs.stat(cur);
      continue;
    }
    const next = path.join(cur, part);
    let st: Stats;
    try {
      st = await fs.lstat(next);
    } catch (e) {
      if (errno(e) === 'ENOENT' && pending.length === 0) return { realPath: next, dir: cur, name: part, dirStat: curStat, stat: null };
      if (errno(e) === 'ENOENT') throw new UserError(`${file}: no such directory: ${shown(next)}`, 'check the path');
      if (errno(e) === 'EACCES') throw new UserError(`${file}: permission denied (${shown(next)})`);
      throw e;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new UserError(`${file}: too many levels of symbolic links`);
      const why = plantedBy(st, curStat, me);
      if (why) throw new PlantedLinkError(next, why);
      const target = await fs.readlink(next);
      pending = [...target.split('/').filter(Boolean), ...pending];
      if (target.startsWith('/')) {
        cur = '/';
        curStat = await fs.stat('/');
      }
      continue;
    }
    if (pending.length === 0) return { realPath: next, dir: cur, name: part, dirStat: curStat, stat: st };
    if (!st.isDirectory()) throw new UserError(`${file}: ${shown(next)} is not a directory`);
    cur = next;
    curStat = st;
  }
  // the path ended in "." or "..": a directory
  throw new UserError(`${file}: is a directory`);
}

const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

/** The resolved directory, held open: names in it are reached through the open descriptor. */
export class PinnedDir {
  private constructor(
    readonly dir: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async open(r: ResolvedPath): Promise<PinnedDir> {
    const h = await fs.open(r.dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    const st = await h.stat();
    if (st.dev !== r.dirStat.dev || st.ino !== r.dirStat.ino) {
      await h.close();
      throw new UserError(`${r.dir}: the directory changed while dom0up resolved the path`, 'run again; if it happens again, someone is swapping directories of the path');
    }
    return new PinnedDir(r.dir, h);
  }

  /** A path for `name` in this directory that does not depend on the directory's own path. */
  at(name: string): string {
    if (name.includes('/')) throw new Error(`internal: ${name} is not a name`);
    return PROC_FD ? `/proc/self/fd/${this.handle.fd}/${name}` : path.join(this.dir, name);
  }

  /** The path to show in messages. */
  shown(name: string): string {
    return path.join(this.dir, name);
  }

  async sync(): Promise<void> {
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Reads the final name without following a link there (O_NOFOLLOW); null when it is absent. */
export async function readNoFollow(p: string): Promise<Buffer | null> {
  let h: fs.FileHandle;
  try {
    h = await fs.open(p, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
  try {
    return await h.readFile();
  } finally {
    await h.close();
  }
}
