/**
 * Local files as exact text: UTF-8 when the bytes are valid UTF-8 (BOM kept), else latin1,
 * so every byte round-trips; and atomic replacement through every symlink level with a
 * timestamped backup beside the real file.
 */
import { constants, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';

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
      return new UserError(`${file}: too many levels of symbolic links`);
    default:
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
 * Replaces `file` atomically: resolves every symlink level, writes a temp file in the same
 * directory (same mode and owner), fsyncs it, keeps the old version as a timestamped backup
 * (a hard link to the old inode), renames over the real file and fsyncs the directory.
 * Links such as /etc/grub.conf -> ../boot/grub/grub.conf are never replaced.
 */
export async function writeFileAtomic(
  file: string,
  data: Buffer,
  opts: { backup?: boolean; keepBackups?: number; now?: Date } = {},
): Promise<AtomicWriteResult> {
  const warnings: string[] = [];
  let realPath: string;
  let st: import('node:fs').Stats | null = null;
  try {
    realPath = await fs.realpath(file);
    st = await fs.stat(realPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(err, file, 'resolve');
    // a new file: resolve the directory, keep a dangling link's target if there is one
    realPath = path.join(await fs.realpath(path.dirname(file)).catch((e) => { throw fileError(e, path.dirname(file), 'resolve'); }), path.basename(file));
  }
  if (st && !st.isFile()) throw new UserError(`${realPath}: not a regular file`);
  if (st && st.nlink > 1) warnings.push(`${realPath} had ${st.nlink} hard links; the others keep the old content`);
  const dir = path.dirname(realPath);
  const tmp = path.join(dir, `.${path.basename(realPath)}.dom0up-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let backupPath: string | null = null;
  const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, st ? st.mode & 0o7777 : 0o644).catch((e) => {
    throw fileError(e, tmp, 'write');
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
    if (st && opts.backup !== false) {
      const stamp = backupStamp(opts.now ?? new Date());
      for (let n = 0; ; n++) {
        const candidate = `${realPath}${BACKUP_MARK}${stamp}${n ? `-${n}` : ''}`;
        try {
          await fs.link(realPath, candidate);
          backupPath = candidate;
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(e, candidate, 'back up');
        }
      }
    }
    await fs.rename(tmp, realPath);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw fileError(err, realPath, 'write');
  }
  const dirHandle = await fs.open(dir, constants.O_RDONLY);
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
  const pruned = backupPath ? await pruneBackups(realPath, opts.keepBackups ?? 10) : [];
  return { realPath, backupPath, pruned, warnings };
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

async function pruneBackups(realPath: string, keep: number): Promise<string[]> {
  const all = await listBackups(realPath);
  const excess = all.slice(0, Math.max(0, all.length - keep));
  for (const f of excess) await fs.rm(f, { force: true });
  return excess;
}
