// A grub.conf whose last line ends with a backslash continues into the end of the file. Copying that
// line (--keep-plain) or inserting a line after it (an initrd module) would make GRUB join the next
// line into it: the rewrite's post-check caught it as an internal error (exit 70). It is a refusal now.
// Found by test/grub/fuzz.property.test.ts (seed 617112959).
import { describe, expect, it } from 'vitest';
import { GrubEditError, parseGrubConf, toXenEntry } from '../../src/grub/index.js';
import { runCli } from '../helpers/run-cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const V = '4.9.241-37.el6.x86_64';
const hyp = () => 'dom0_mem=1024M';

describe('a file that ends in a backslash continuation', () => {
  it('--keep-plain copying the last line: refused with a line, not an internal error', () => {
    const text = `title CentOS (${V})\n\troot (hd0,0)\n\tkernel /vmlinuz-${V} ro\n\tinitrd /initramfs-4.9.241-37\\\n`;
    let err: unknown = null;
    try {
      toXenEntry(parseGrubConf(text, { latin1: true }), { hypervisorArgs: hyp, keepPlain: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GrubEditError);
    expect((err as GrubEditError).line).toBe(4);
  });

  it('converting an entry whose last kernel line continues into the end of the file (a module after it)', () => {
    const text = `title CentOS (${V})\n\troot (hd0,0)\n\tkernel /vmlinuz-${V} ro\\`;
    expect(() => toXenEntry(parseGrubConf(text), { hypervisorArgs: hyp, initrd: `/initramfs-${V}.img` })).toThrow(GrubEditError);
  });

  it('the CLI refuses with exit 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-bs-'));
    try {
      const f = path.join(dir, 'grub.conf');
      writeFileSync(f, `title CentOS (${V})\n\troot (hd0,0)\n\tkernel /vmlinuz-${V} ro\n\tinitrd /initramfs-${V}.img\\\n`);
      const r = await runCli(['grub', 'plan', f, '--keep-plain']);
      expect(r.stderr).toMatch(/^dom0up: error: line 4: .*backslash/m);
      expect(r.exit).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a backslash in the middle of the file (continuing into the next line) is GRUB\'s own and still edited', () => {
    const text = `title CentOS (${V})\n\troot (hd0,0)\n\tkernel /vmlinuz-${V} ro \\\n rhgb\n\tinitrd /initramfs-${V}.img\n`;
    expect(toXenEntry(parseGrubConf(text), { hypervisorArgs: hyp, keepPlain: true }).changed).toBe(true);
  });
});
