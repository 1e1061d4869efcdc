/**
 * RHEL 6 GRUB's one-shot boot: `savedefault --default=N --once` in the grub shell stores
 * (N<<8) | 0x10000 | (old & 0xFF) in /boot/grub/stage2 at offset 512+0xC; at the next boot
 * stage2's `default` command boots N once and restores the old value. It only works when
 * grub.conf has a `default` line (dom0up makes sure it has one). The word is read back and is
 * what decides: grub's own output is reported only when the word is wrong.
 */
import { sh, type Transport } from '../transport/index.js';
import { RemoteError } from '../errors.js';

export const STAGE2_SAVED_OFFSET = 512 + 0xc;
export const ONCE_FLAG = 0x10000;

export function onceWord(index: number, old: number): number {
  return ((index & 0xff) << 8) | ONCE_FLAG | (old & 0xff);
}

/** Shell text: run the grub shell, print its output between markers, then `oneshot_word=N`. Exit 3: no /sbin/grub. */
export function oneShotScript(index: number): string {
  return sh`if [ ! -x /sbin/grub ]; then echo "no /sbin/grub" >&2; exit 3; fi
oneshot_out=$(printf 'savedefault --default=%s --once\nquit\n' ${index} | /sbin/grub --batch --no-floppy 2>&1)
oneshot_rc=$?
printf 'oneshot_begin\n%s\noneshot_end\n' "$oneshot_out"
echo "oneshot_rc=$oneshot_rc"
oneshot_word=$(od -An -tu4 -j ${STAGE2_SAVED_OFFSET} -N 4 /boot/grub/stage2 | tr -d ' ')
echo "oneshot_word=$oneshot_word"`;
}

export interface OneShotResult {
  word: number | null;
  ok: boolean;
  /** The grub shell's output (for the error message when the word is wrong). */
  output: string;
}

/** Judges by the word read back: the once flag and the entry must be there. */
export function judgeOneShot(stdout: string, index: number): OneShotResult {
  // the word line after grub's output (a line of grub's output that looks like one does not count)
  const after = stdout.slice(stdout.lastIndexOf('\noneshot_end\n') + 1);
  const m = /^oneshot_word=(\d{1,10})$/m.exec(after);
  const word = m ? Number(m[1]) : null;
  const output = /oneshot_begin\n([\s\S]*)\noneshot_end/.exec(stdout)?.[1] ?? '';
  const ok = word !== null && Number.isFinite(word) && (word & ONCE_FLAG) !== 0 && ((word >> 8) & 0xff) === (index & 0xff);
  return { word, ok, output };
}

export function oneShotError(target: string, index: number, r: OneShotResult, phase = 'one-shot boot'): RemoteError {
  return new RemoteError(target, phase, `grub did not store the one-shot boot of entry ${index} (stage2 word ${r.word !== null ? '0x' + r.word.toString(16) : 'unreadable'})`, 'use --no-once to switch the default directly (with fallback to the previous entry)', 1, r.output.trim().slice(-1500) || undefined);
}

export async function setOneShot(t: Transport, index: number, phase = 'one-shot boot'): Promise<{ word: number }> {
  const r = await t.exec(oneShotScript(index), { sudo: true, timeoutMs: 60_000 });
  const out = r.stdout.toString('utf8');
  if (r.code === 3) throw new RemoteError(t.target, phase, '/sbin/grub is missing, so the Xen entry cannot be booted once', 'install the grub package, or use --no-once (default switch with fallback)');
  if (r.code !== 0) throw new RemoteError(t.target, phase, `grub --batch failed (exit ${r.code ?? (r.lost ? 'connection lost' : '?')})`, undefined, 1, (out + r.stderr.toString('utf8')).trim().slice(-1500));
  const j = judgeOneShot(out, index);
  if (!j.ok) throw oneShotError(t.target, index, j, phase);
  return { word: j.word as number };
}
