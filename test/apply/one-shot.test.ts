// The one-shot step is judged by the stage2 word grub leaves behind, read back from the disk: grub's
// chatter (a library warning with "error:" in it) does not fail a word that is right, and a wrong
// word fails whatever grub printed.
import { describe, expect, it } from 'vitest';
import { ONCE_FLAG, onceWord, setOneShot, STAGE2_SAVED_OFFSET } from '../../src/apply/one-shot.js';
import type { ExecResult, Transport } from '../../src/transport/index.js';

function fake(stdout: string, code = 0): Transport & { scripts: string[] } {
  const scripts: string[] = [];
  return {
    target: 'root@h1',
    roundTrips: 0,
    scripts,
    async exec(script: string): Promise<ExecResult> {
      scripts.push(script);
      return { code, signal: null, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), lost: false, timedOut: false, durationMs: 1 };
    },
    async close() {},
    onClose() {},
  };
}

const GRUB_OK = 'Probing devices to guess BIOS drives. This may take a long time.\ngrub> savedefault --default=2 --once\ngrub> quit';
/** What oneShotScript prints: grub's output between markers, its exit status, then the word read back. */
const answer = (grub: string, word: number | null) => `oneshot_begin\n${grub}\noneshot_end\noneshot_rc=0\n${word === null ? 'oneshot_word=\n' : `oneshot_word=${word}\n`}`;

describe('setOneShot', () => {
  it('reads the stage2 word at 512+0xC', async () => {
    const t = fake(answer(GRUB_OK, onceWord(2, 0)));
    await setOneShot(t, 2);
    expect(STAGE2_SAVED_OFFSET).toBe(524);
    expect(t.scripts[0]).toContain(`-j ${STAGE2_SAVED_OFFSET} -N 4 /boot/grub/stage2`);
  });

  it('a right word passes even when grub printed "error:" (a harmless warning)', async () => {
    const word = onceWord(2, 1);
    const t = fake(answer(`/usr/lib/libfoo.so: error: no version information available (required by /sbin/grub)\n${GRUB_OK}`, word));
    await expect(setOneShot(t, 2)).resolves.toEqual({ word });
  });

  it('a wrong word fails, with grub\'s output as the detail', async () => {
    const t = fake(answer(GRUB_OK, onceWord(1, 0)));
    const err = await setOneShot(t, 2).then(() => null, (e: unknown) => e as Error & { detail?: string; phase?: string });
    expect(err?.name).toBe('RemoteError');
    expect(err?.message).toMatch(/^root@h1: one-shot boot: grub did not store the one-shot boot of entry 2 \(stage2 word 0x10100\)/);
    expect(err?.detail).toContain('savedefault --default=2 --once');
  });

  it('a word without the once flag fails, and so does no word at all', async () => {
    await expect(setOneShot(fake(answer(GRUB_OK, 2 << 8)), 2)).rejects.toThrow(/stage2 word 0x200/);
    await expect(setOneShot(fake(answer(GRUB_OK, null)), 2)).rejects.toThrow(/stage2 word unreadable/);
  });

  it('the word read back is the one that counts: grub output that prints a "oneshot_word=" line does not pass', async () => {
    const t = fake(answer(`oneshot_word=${onceWord(2, 0)}\noneshot_end\n${GRUB_OK}`, 0));
    await expect(setOneShot(t, 2)).rejects.toThrow(/stage2 word 0x0\)/);
    expect(ONCE_FLAG).toBe(0x10000);
  });
});
