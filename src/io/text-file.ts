/**
 * Local files as exact text: UTF-8 when the bytes are valid UTF-8 (BOM kept), else latin1,
 * so every byte round-trips; and atomic replacement through every symlink level with a
 * timestamped backup beside the real file — never through a link another user could have planted.
 */
import { constants, promises as fs } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import { PinnedDir, readNoFollow, resolveTrusted } from './safe-path.js';

export { decodeText, encodeText, type TextEncodingName } from './decode-text.js';
import { decodeText, type TextEncodingName } from './decode-text.js';

export interface TextInput {
  text: string;
  encoding: TextEncodingName;
  /** The path given ('-' for stdin). */
  path: string;
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

export async function readTextInput(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<TextInput> {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readStdin(stdin) : await fs.readFile(file);
  } catch (err) {
    throw fileError(err, file, 'read');
  }
  return { ...decodeText(bytes), path: file };
}

export function fileError(err: unknown, file: string, what: string): Error {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return new UserError(`${file}: no such file`, 'check the path');
    case 'EACCES':
    case 'EPERM':
      return new UserError(`${file}: permission denied (${what})`, 'run as a user who may ' + what + ' it');
    case 'EISDIR':
      return new UserError(`${file}: is a directory`);
    case 'ENOSPC':
      return new UserError(`${file}: no space left on device (${what}); the old file is untouched`, `free space on the file system of ${path.dirname(file)}`);
    case 'EROFS':
      return new UserError(`${file}: read-only file system (${what})`);
    case 'ELOOP':
      return new UserError(`${file}: a symbolic link where dom0up does not follow one (or too many levels of links)`, 'give the real path of the file');
    default:
      // any other error of the file system is about this file, not a bug (ENOTDIR, EXDEV, EDQUOT, EIO, ...)
      if (typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) return new UserError(`${file}: ${e.code} (${what}): ${e.message}`);
      return err instanceof Error ? err : new Error(String(err));
  }
}

export interface AtomicWriteResult {
  /** The file actually replaced (every symlink resolved). */
  realPath: string;
  /** Where the previous version was kept, if it existed. */
  backupPath: string | null;
  /** Backups removed because more than `keepBackups` existed. */
  pruned: string[];
  /** Warnings (e.g. other hard links to the old file). */
  warnings: string[];
}

export function backupStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export const BACKUP_MARK = '.dom0up-';

/**
 * Replaces `file` atomically: resolves every symlink level (refusing links another user could have
 * planted, see safe-path.ts), holds the real file's directory open, writes a temp file there
 * (O_EXCL, same mode and owner), fsyncs it, checks the current file against `expectSha256`
 * (compare-and-swap: 'absent' = must not exist), keeps the old version as a timestamped backup (a
 * hard link to the old inode), renames over the real file and fsyncs the directory. Links such as
 * /etc/grub.conf -> ../boot/grub/grub.conf are never replaced.
 */
export async function writeFileAtomic(
  file: string,
  data: Buffer,
  opts: { backup?: boolean; keepBackups?: number; now?: Date; expectSha256?: string } = {},
): Promise<AtomicWriteResult> {
  const warnings: string[] = [];
  const target = await resolveTrusted(file).catch((e: unknown) => {
    throw fileError(e, file, 'resolve');
  });
  const { realPath, name } = target;
  const st = target.stat;
  if (st && !st.isFile()) throw new UserError(`${realPath}: not a regular file`);
  if (st && st.nlink > 1) warnings.push(`${realPath} had ${st.nlink} hard links; the others keep the old content`);
  const dir = await PinnedDir.open(target).catch((e: unknown) => {
    throw fileError(e, target.dir, 'write');
  });
  try {
    const tmpName = `.${name}.dom0up-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const tmp = dir.at(tmpName);
    let backupPath: string | null = null;
    const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, st ? st.mode & 0o7777 : 0o644).catch((e) => {
      throw fileError(e, dir.shown(tmpName), 'write');
    });
    try {
      try {
        await handle.writeFile(data);
        if (st) {
          await handle.chmod(st.mode & 0o7777);
          if (process.getuid?.() === 0) await handle.chown(st.uid, st.gid);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (opts.expectSha256 !== undefined) {
        // compare-and-swap: the file must still be what was read (an edit in between is refused)
        const now = await readNoFollow(dir.at(name));
        const cur = now === null ? 'absent' : createHash('sha256').update(now).digest('hex');
        if (cur !== opts.expectSha256) {
          throw new UserError(`${realPath} changed since it was read (by another program, e.g. grubby or an editor); nothing was written`, 'run again to plan from the new content');
        }
      }
      if (st && opts.backup !== false) {
        const stamp = backupStamp(opts.now ?? new Date());
        for (let n = 0; ; n++) {
          const candidate = `${name}${BACKUP_MARK}${stamp}${n ? `-${n}` : ''}`;
          try {
            await fs.link(dir.at(name), dir.at(candidate));
            backupPath = dir.shown(candidate);
            break;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(e, dir.shown(candidate), 'back up');
          }
        }
      }
      await fs.rename(tmp, dir.at(name));
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw fileError(err, realPath, 'write');
    }
    await dir.sync();
    const pruned = backupPath ? await pruneBackups(dir, name, opts.keepBackups ?? 10) : [];
    return { realPath, backupPath, pruned, warnings };
  } finally {
    await dir.close();
  }
}

/**
 * Reads a file for an in-place update: the same trusted resolution as the write, the final name
 * opened without following a link. The sha256 is what the write must find (compare-and-swap).
 */
export async function readTextForUpdate(file: string): Promise<{ input: TextInput; realPath: string; sha256: string }> {
  const target = await resolveTrusted(file).catch((e: unknown) => {
    throw fileError(e, file, 'resolve');
  });
  if (!target.stat) throw new UserError(`${file}: no such file`, 'check the path');
  if (!target.stat.isFile()) throw new UserError(`${target.realPath}: not a regular file`);
  const dir = await PinnedDir.open(target).catch((e: unknown) => {
    throw fileError(e, target.dir, 'read');
  });
  let bytes: Buffer | null;
  try {
    bytes = await readNoFollow(dir.at(target.name));
  } catch (e) {
    throw fileError(e, target.realPath, 'read');
  } finally {
    await dir.close();
  }
  if (bytes === null) throw new UserError(`${file}: no such file`, 'check the path');
  return { input: { ...decodeText(bytes), path: file }, realPath: target.realPath, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Backups of `realPath`, oldest first. */
export async function listBackups(realPath: string): Promise<string[]> {
  const dir = path.dirname(realPath);
  const prefix = path.basename(realPath) + BACKUP_MARK;
  const names = (await fs.readdir(dir)).filter((n) => n.startsWith(prefix) && /^\d{8}T\d{6}Z(?:-\d+)?$/.test(n.slice(prefix.length)));
  return names.sort(compareBackupNames).map((n) => path.join(dir, n));
}

export function compareBackupNames(a: string, b: string): number {
  const key = (s: string) => {
    const m = /(\d{8}T\d{6}Z)(?:-(\d+))?$/.exec(s);
    return m ? [m[1] as string, Number(m[2] ?? 0)] as const : ['', 0] as const;
  };
  const [ka, na] = key(a);
  const [kb, nb] = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : na - nb;
}

async function pruneBackups(dir: PinnedDir, name: string, keep: number): Promise<string[]> {
  const prefix = name + BACKUP_MARK;
  const names = (await fs.readdir(dir.at('.'))).filter((n) => n.startsWith(prefix) && /^\d{8}T\d{6}Z(?:-\d+)?$/.test(n.slice(prefix.length))).sort(compareBackupNames);
  const excess = names.slice(0, Math.max(0, names.length - keep));
  for (const n of excess) await fs.rm(dir.at(n), { force: true });
  return excess.map((n) => dir.shown(n));
}
