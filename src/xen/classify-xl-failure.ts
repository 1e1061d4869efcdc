export type XlFailure = 'not-xen' | 'no-xenstore' | 'permission' | 'unknown';

/**
 * Why an `xl` command failed, from its stderr (message text, never `libxl.c:NNN` line numbers):
 * - `permission`: "Permission denied" anywhere (not root, or privcmd/xenstore closed to the user);
 * - `not-xen`: the privileged command interface could not be opened (booted without Xen, privcmd missing) —
 *   "Could not obtain handle on privileged command interface" (also the ≤4.6 `xc:` form) or "cannot open libxc handle";
 * - `no-xenstore`: "cannot connect to xenstore" (xenstored not running yet);
 * - `unknown`: anything else, including a successful exit.
 */
export function classifyXlFailure(stderr: string, code: number | null): XlFailure {
  if (code === 0 && stderr.trim() === '') return 'unknown';
  if (/Permission denied|\(13 = /.test(stderr)) return 'permission';
  if (/Could not obtain handle on privileged command interface|cannot open libxc handle/.test(stderr)) return 'not-xen';
  if (/cannot connect to xenstore/i.test(stderr)) return 'no-xenstore';
  return 'unknown';
}
