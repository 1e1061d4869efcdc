import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyXenChanges,
  buildXenChanges,
  canonicalName,
  KNOWN_XEN_OPTIONS,
  lexXenArgs,
  makeXenToken,
  parseXenToken,
  tokenizeXenArgs,
  type XenChanges,
} from '../../src/xen/index.js';

const CENTOS_DEFAULT = 'dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all';
const defaults = buildXenChanges({ dom0Mem: '2048M', dom0Vcpus: '2', pin: true }).changes;

describe('applyXenChanges', () => {
  it('replaces dom0_mem in place and appends the new names in order', () => {
    expect(applyXenChanges(CENTOS_DEFAULT, defaults)).toBe(
      'dom0_mem=2048M,max:2048M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all dom0_max_vcpus=2 dom0_vcpus_pin',
    );
  });

  it('is a no-op when the line already matches', () => {
    const line = 'dom0_mem=2048M,max:2048M dom0_max_vcpus=2 dom0_vcpus_pin console=com1 com1=115200,8n1';
    expect(applyXenChanges(line, defaults)).toBe(line);
  });

  it('treats no-X and X=… as the same boolean, replacing the first and dropping later ones', () => {
    const ch: XenChanges = { set: [makeXenToken('dom0_vcpus_pin')], remove: [] };
    expect(applyXenChanges('a no-dom0_vcpus_pin b dom0_vcpus_pin=0 c', ch)).toBe('a dom0_vcpus_pin b c');
  });

  it('removes every form of a removed name', () => {
    const ch = buildXenChanges({ pin: false }).changes;
    expect(applyXenChanges('dom0_vcpus_pin cpuinfo no-dom0_vcpus_pin dom0_vcpus_pin=yes', ch)).toBe('cpuinfo');
    expect(applyXenChanges('cpuinfo', ch)).toBe('cpuinfo');
  });

  it('keeps the spacing of untouched tokens, including leading, trailing and tabs', () => {
    const ch: XenChanges = { set: [makeXenToken('dom0_mem', '1G,max:1G')], remove: ['cpuinfo'] };
    expect(applyXenChanges('  cpuinfo\tloglvl=all   dom0_mem=512M  ', ch)).toBe('  loglvl=all   dom0_mem=1G,max:1G  ');
    expect(applyXenChanges('loglvl=all\t\tguest_loglvl=all ', ch)).toBe('loglvl=all\t\tguest_loglvl=all dom0_mem=1G,max:1G ');
    expect(applyXenChanges('', ch)).toBe('dom0_mem=1G,max:1G');
    expect(applyXenChanges('   ', ch)).toBe('dom0_mem=1G,max:1G   ');
  });

  it('leaves what follows -- (dom0 arguments) alone and inserts before it', () => {
    const ch: XenChanges = { set: [makeXenToken('dom0_mem', '1G,max:1G')], remove: ['cpuinfo'] };
    expect(applyXenChanges('cpuinfo -- dom0_mem=5 cpuinfo', ch)).toBe('dom0_mem=1G,max:1G -- dom0_mem=5 cpuinfo');
    expect(applyXenChanges('-- x', ch)).toBe('dom0_mem=1G,max:1G -- x');
  });

  it('a name both set and removed is set', () => {
    const ch: XenChanges = { set: [makeXenToken('cpuinfo')], remove: ['cpuinfo'] };
    expect(applyXenChanges('cpuinfo=0', ch)).toBe('cpuinfo');
  });

  // ---- properties
  const known = [...KNOWN_XEN_OPTIONS].filter((n) => !n.endsWith('['));
  // a small pool makes collisions between the line and the changes frequent
  const name = fc.oneof(
    { arbitrary: fc.constantFrom('dom0_mem', 'dom0_vcpus_pin', 'cpuinfo', 'console', 'foo'), weight: 4 },
    { arbitrary: fc.constantFrom(...known), weight: 1 },
    { arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), weight: 1 },
  );
  const value = fc.option(fc.stringMatching(/^[A-Za-z0-9,:.\-=/]{1,10}$/), { nil: null });
  const token = fc.tuple(fc.boolean(), name, value).map(([neg, n, v]) => makeXenToken(neg && v === null ? `no-${n}` : n, v));
  const sep = fc.constantFrom(' ', '  ', '\t', ' \t ');
  const line = fc
    .tuple(fc.constantFrom('', ' ', '\t'), fc.array(fc.tuple(token, sep), { maxLength: 10 }), fc.constantFrom('', ' ', '  '))
    .map(([lead, parts, trail]) => (parts.length === 0 ? lead + trail : lead + parts.map(([t, s], i) => (i === 0 ? '' : s) + t.text).join('') + trail));
  const changes = fc.record({ set: fc.array(token, { maxLength: 5 }), remove: fc.array(name, { maxLength: 3 }) });

  it('is idempotent (property)', () => {
    fc.assert(
      fc.property(line, changes, (l, ch) => {
        const once = applyXenChanges(l, ch);
        expect(applyXenChanges(once, ch)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps untouched tokens in order; set names appear once with the last value; removed names are gone (property)', () => {
    fc.assert(
      fc.property(line, changes, (l, ch) => {
        const names = new Set<string>([...ch.remove, ...ch.set.map((t) => canonicalName(t).name)]);
        const key = (text: string) => canonicalName(parseXenToken(text), names).name;
        const touched = new Set<string>([...ch.remove, ...ch.set.map((t) => key(t.text))]);
        const out = applyXenChanges(l, ch);
        const before = tokenizeXenArgs(l).filter((t) => !touched.has(key(t.text))).map((t) => t.text);
        const after = tokenizeXenArgs(out).filter((t) => !touched.has(key(t.text))).map((t) => t.text);
        expect(after).toEqual(before);
        // each set name appears exactly once, with the last requested value; removed names are gone
        const lastSet = new Map(ch.set.map((t) => [key(t.text), t.text]));
        for (const [k, text] of lastSet) {
          expect(tokenizeXenArgs(out).filter((t) => key(t.text) === k).map((t) => t.text)).toEqual([text]);
        }
        for (const r of ch.remove) if (!lastSet.has(r)) expect(tokenizeXenArgs(out).some((t) => key(t.text) === r)).toBe(false);
        // if nothing in the line is touched and nothing is set, the line is unchanged byte for byte
        if (ch.set.length === 0 && tokenizeXenArgs(l).every((t) => !touched.has(key(t.text)))) expect(out).toBe(l);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the blanks between adjacent untouched tokens (property)', () => {
    fc.assert(
      fc.property(line, changes, (l, ch) => {
        const names = new Set<string>([...ch.remove, ...ch.set.map((t) => canonicalName(t).name)]);
        const key = (text: string) => canonicalName(parseXenToken(text), names).name;
        const touched = new Set<string>([...ch.remove, ...ch.set.map((t) => key(t.text))]);
        const out = applyXenChanges(l, ch);
        const { pieces } = lexXenArgs(l);
        for (let i = 1; i < pieces.length; i++) {
          const a = pieces[i - 1];
          const b = pieces[i];
          if (a === undefined || b === undefined || touched.has(key(a.text)) || touched.has(key(b.text))) continue;
          expect(out).toContain(a.text + b.sep + b.text);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('preserves the exact blanks between two untouched neighbours (property)', () => {
    fc.assert(
      fc.property(sep, changes, (s, ch) => {
        const l = `loglvl=all${s}guest_loglvl=all`;
        const safe = { set: ch.set.filter((t) => !/loglvl/.test(t.name)), remove: ch.remove.filter((r) => !/loglvl/.test(r)) };
        expect(applyXenChanges(l, safe).startsWith(`loglvl=all${s}guest_loglvl=all`)).toBe(true);
      }),
    );
  });
});
