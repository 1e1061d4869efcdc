/**
 * Values dom0up writes into a grub.conf line on the user's behalf (a title, an image path, a kernel
 * version to look for) must stay exactly what GRUB 0.97 reads back: one line (no newline, CR or
 * other control character), no backslash (a backslash before the line end makes GRUB join the next
 * line: `title Xen \` swallows the entry's `root` line), and for paths one word (GRUB splits a
 * command's argument at blanks). Checked where the options arrive (the CLI) and again by the rewrite.
 */
import { GrubEditError } from './errors.js';

/** Longest title / path dom0up writes (GRUB cuts a whole line at 1500 bytes). */
export const MAX_TITLE_BYTES = 200;
export const MAX_PATH_BYTES = 255;

// C0 controls, DEL, C1 controls, line/paragraph separators, lone surrogates
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cs}/u;

function shown(v: string): string {
  const s = v.length > 60 ? `${v.slice(0, 57)}...` : v;
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029]|\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function refuse(option: string, value: string, why: string, hint: string): never {
  throw new GrubEditError('bad-value', `${option} ${shown(value)}: ${why}`, hint, 1);
}

function common(option: string, value: string, max: number): void {
  if (CONTROL.test(value)) refuse(option, value, 'control characters and line breaks are not allowed (GRUB reads one line)', 'give the value on one line, without control characters');
  if (value.includes('\\')) refuse(option, value, 'a backslash is not allowed (before the end of a line GRUB reads it as a continuation and joins the next line)', 'leave the backslash out');
  if (Buffer.byteLength(value, 'utf8') > max) refuse(option, value, `longer than ${max} bytes`, 'use a shorter value');
}

/** A title for a new entry (`--title`). */
export function checkTitle(value: string, option = '--title'): void {
  common(option, value, MAX_TITLE_BYTES);
  if (value.trim() === '') refuse(option, value, 'the title is empty', 'give a title');
  // GRUB skips blanks and '=' between the command name and its argument
  if (/^[ =]/.test(value)) refuse(option, value, 'a title cannot start with a blank or "=" (GRUB would drop it)', 'start the title with its first word');
}

/** An image path GRUB loads (`--initrd`): one word, absolute, optionally behind a device like `(hd0,0)`. */
export function checkImagePath(value: string, option = '--initrd'): void {
  common(option, value, MAX_PATH_BYTES);
  if (/[ \t]/.test(value)) refuse(option, value, 'a path with blanks (GRUB would read the rest as arguments)', 'give one path');
  if (!/^(?:\([^()]*\))?\/\S*$/.test(value)) refuse(option, value, 'not an absolute path as GRUB sees it (/initramfs-VERSION.img or (hd0,0)/initramfs-VERSION.img)', 'give the path as it appears on the kernel line, e.g. /initramfs-4.9.241-37.el6.x86_64.img');
}

/** A kernel version (`--kernel`, with or without `vmlinuz-`): the characters of an RPM version-release.arch. */
export function checkKernelVersion(value: string, option = '--kernel'): void {
  common(option, value, MAX_PATH_BYTES);
  if (!/^[A-Za-z0-9._+~-]+$/.test(value)) refuse(option, value, 'not a kernel version (letters, digits and . _ + ~ - only)', 'e.g. --kernel 4.9.241-37.el6.x86_64');
}

/** Every value of a request that can reach grub.conf; throws GrubEditError (a refusal, exit 1). */
export function checkEntryValues(o: { title?: string | undefined; initrd?: string | undefined; kernel?: string | undefined }): void {
  if (o.title !== undefined) checkTitle(o.title);
  if (o.initrd !== undefined) checkImagePath(o.initrd);
  if (o.kernel !== undefined) checkKernelVersion(o.kernel);
}
