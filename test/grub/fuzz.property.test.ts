// Fuzzing the grub engine with mutated real files (corpus + golden inputs): never an uncaught
// exception, round trips always hold, and every refusal is a typed GrubEditError with a line.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { corpusDir } from '../helpers/shared.js';
import path from 'node:path';
import { GrubEditError, parseGrubConf, toXenEntry } from '../../src/grub/index.js';
import { makeHypervisorArgs } from '../../src/plan/hypervisor-args.js';

const corpus = corpusDir ?? '/nonexistent/';
const golden = fileURLToPath(new URL('../../golden/', import.meta.url));
const seeds: string[] = [
  ...readdirSync(golden).filter((d) => existsSync(path.join(golden, d, 'input.conf'))).map((d) => readFileSync(path.join(golden, d, 'input.conf'), 'latin1')),
  ...(existsSync(corpus) ? readdirSync(path.join(corpus, 'grubby')).filter((f) => f.startsWith('grub.')).map((f) => readFileSync(path.join(corpus, 'grubby', f), 'latin1')) : []),
];

const fragment = fc.oneof(
  fc.constantFrom('\\\n', '\r', '\t', '#', '=', ' ', '\n', 'title ', 'kernel ', 'module ', 'initrd ', 'default=', 'fallback ', 'savedefault', '/xen.gz ', 'vmlinuz-4.9.1 ', 'timeout=3\n'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const mutation = fc.record({ at: fc.nat(), len: fc.nat({ max: 40 }), insert: fc.array(fragment, { maxLength: 4 }).map((a) => a.join('')) });
const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([text, muts]) => {
  let s = text;
  for (const m of muts) {
    const at = s.length ? m.at % s.length : 0;
    s = s.slice(0, at) + m.insert + s.slice(at + m.len);
  }
  return s;
});

describe('fuzz: mutated real grub.conf files', () => {
  it('parse round-trips, the rewrite refuses only with a typed error that has a line', () => {
    const hyp = makeHypervisorArgs({ dom0Mem: '1024M', pin: true });
    let refused = 0;
    let rewritten = 0;
    fc.assert(
      fc.property(mutated, fc.boolean(), (text, keepPlain) => {
        const conf = parseGrubConf(text, { latin1: true });
        expect(conf.toString()).toBe(text);
        for (const f of conf.findings) expect(f.line).toBeGreaterThanOrEqual(1);
        try {
          const r = toXenEntry(conf, { hypervisorArgs: hyp.fn, keepPlain });
          rewritten++;
          expect(r.after.toString().length).toBeGreaterThan(0);
          expect(toXenEntry(r.after, { hypervisorArgs: hyp.fn, keepPlain }).changed).toBe(false);
        } catch (e) {
          if (!(e instanceof GrubEditError)) throw e;
          refused++;
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.message).not.toMatch(/\n/);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 800) },
    );
    expect(refused).toBeGreaterThan(10);
    expect(rewritten).toBeGreaterThan(10);
  });
});
