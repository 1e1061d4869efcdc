/**
 * RHEL 6 GRUB's one-shot boot: `savedefault --default=N --once` in the grub shell stores
 * (N<<8) | 0x10000 | (old & 0xFF) in /boot/grub/stage2 at offset 512+0xC; at the next boot
 * stage2's `default` command boots N once and restores the old value. It only works when
 * grub.conf has a `default` line (dom0up makes sure it has one). The word is read back.
 */
import { sh, type Transport } from '../transport/index.js';
import { RemoteError } from '../errors.js';

export const STAGE2_SAVED_OFFSET = 512 + 0xc;
export const ONCE_FLAG = 0x10000;

export function onceWord(index: number, old: number): number {
  return ((index & 0xff) << 8) | ONCE_FLAG | (old & 0xff);
}

export async function setOneShot(t: Transport, index: number, phase = 'one-shot boot'): Promise<{ word: number }> {
  const r = await t.exec(
    sh`if [ ! -x /sbin/grub ]; then echo "no /sbin/grub" >&2; exit 3; fi
out=$(printf 'savedefault --default=%s --once\nquit\n' ${index} | /sbin/grub --batch --no-floppy 2>&1)
printf '%s\n' "$out"
echo "word=$(od -An -tu4 -j ${STAGE2_SAVED_OFFSET} -N 4 /boot/grub/stage2 | tr -d ' ')"`,
    { sudo: true, timeoutMs: 60_000 },
  );
  const out = r.stdout.toString('utf8');
  if (r.code === 3) throw new RemoteError(t.target, phase, '/sbin/grub is missing, so the Xen entry cannot be booted once', 'install the grub package, or use --no-once (default switch with fallback)');
  if (r.code !== 0) throw new RemoteError(t.target, phase, `grub --batch failed (exit ${r.code ?? (r.lost ? 'connection lost' : '?')})`, undefined, 1, (out + r.stderr.toString('utf8')).trim().slice(-1500));
  // judged by the word read back from the disk (the last word= line: ours, after grub's output);
  // grub's own output is only the explanation when the word is wrong — a library warning that
  // happens to contain "error:" does not fail a step whose word is right
  const words = [...out.matchAll(/^word=(\d{1,10})$/gm)];
  const word = words.length ? Number(words[words.length - 1]![1]) : NaN;
  const ok = Number.isSafeInteger(word) && (word & ONCE_FLAG) !== 0 && ((word >> 8) & 0xff) === index;
  if (!ok) {
    throw new RemoteError(t.target, phase, `grub did not store the one-shot boot of entry ${index} (stage2 word ${Number.isFinite(word) ? '0x' + word.toString(16) : 'unreadable'})`, 'use --no-once to switch the default directly (with fallback to the previous entry)', 1, out.trim().slice(-1500));
  }
  return { word };
}
