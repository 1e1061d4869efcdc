// grubby's own multiboot expectations (../shared/corpus/grubby/results-multiboot) as a
// comparison for the rewrite: for g1.2 and g10.2 grubby added a Xen entry for kernel
// 2.6.10-1.1088_FC4 with --copy-default. We start from the same file with that kernel as a
// plain entry, convert it, and compare what GRUB reads from both Xen entries.
// Known differences (by design): our entry becomes the default (grubby without
// --make-default bumps the old default), and dom0_mem needs a unit (grubby's test passes
// "dom0_mem=130000", which Xen 4.10 reads as KiB: we write the same value as 130000K).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { corpusDir } from '../helpers/shared.js';
import { parseGrubConf, toXenEntry } from '../../src/grub/index.js';
import { makeHypervisorArgs } from '../../src/plan/hypervisor-args.js';

const dir = corpusDir ? corpusDir + 'grubby/results-multiboot/' : '/nonexistent/';
const V = '2.6.10-1.1088_FC4';

describe.skipIf(!existsSync(dir))('rewrite compared with grubby --add-multiboot --copy-default', () => {
  it.each(['g1.2', 'g10.2'])('%s', (name) => {
    const grubby = parseGrubConf(readFileSync(dir + name, 'utf8'));
    const theirs = grubby.entries.find((e) => e.title === 'foo')!;
    expect(theirs.kind).toBe('xen');
    // the same file, with that kernel installed as a plain entry (what new-kernel-pkg writes)
    const lines = grubby.text.split('\n');
    const k = theirs.kernel!.line - 1;
    const plainText = [
      ...lines.slice(0, k),
      lines[theirs.modules[0]!.line - 1]!.replace('module', 'kernel'),
      lines[theirs.modules[1]!.line - 1]!.replace('module', 'initrd'),
      ...lines.slice(theirs.modules[1]!.line),
    ].join('\n');
    const plain = parseGrubConf(plainText);
    expect(plain.entries.find((e) => e.title === 'foo')!.kind).toBe('linux');
    const hyp = makeHypervisorArgs({ dom0Mem: '130000K', dom0MemMax: false });
    const ours = toXenEntry(plain, { hypervisorArgs: hyp.fn, kernel: V, force: true });
    const e = ours.after.entries[ours.entryIndex]!;
    const shape = (x: typeof e) => ({
      root: x.root,
      kernel: x.kernel!.path,
      modules: x.modules.map((m) => [m.path, m.args]),
      initrd: x.initrd,
    });
    expect(shape(e)).toEqual(shape(theirs));
    expect(e.kernel!.args).toBe('dom0_mem=130000K');
    // every other entry reads the same in both files
    const rest = (c: typeof grubby) => c.entries.filter((x) => x.title !== 'foo').map((x) => [x.title, x.kernel?.path, x.kernel?.args, x.modules.map((m) => m.path)]);
    expect(rest(ours.after)).toEqual(rest(grubby));
  });
});
