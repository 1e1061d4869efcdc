// Round trip and GRUB's view over real grub.conf files written by other projects
// (../shared/corpus, read in place: the files are not part of this repository).
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { corpusDir } from '../helpers/shared.js';
import { parseGrubConf } from '../../src/grub/index.js';

const corpus = corpusDir ?? '';
const have = corpusDir !== null;
const read = (rel: string) => readFileSync(corpus + rel, 'latin1');

// entries as GRUB 0.97 counts them / default index (corpus README, checked against GRUB's own code)
const grubby: Record<string, [number, number, number[]?]> = {
  'grub.1': [1, 0], 'grub.2': [2, 0], 'grub.3': [3, 0], 'grub.4': [4, 0], 'grub.5': [3, 0, [1]],
  'grub.6': [4, 2], 'grub.7': [5, 2], 'grub.8': [1, 0], 'grub.9': [2, 0], 'grub.10': [2, 0],
  'grub.11': [2, 0], 'grub.12': [4, 0], 'grub.13': [2, 0], 'grub.14': [22, 0], 'grub.15': [2, 1],
};

describe.skipIf(!have)('corpus', () => {
  const files = have
    ? [
        ...readdirSync(corpus + 'grubby').filter((f) => f.startsWith('grub.')).map((f) => 'grubby/' + f),
        ...readdirSync(corpus + 'grubby/results-multiboot').map((f) => 'grubby/results-multiboot/' + f),
        'augeas/tests-root-boot-grub-grub.conf',
        'augeasproviders/kernel_parameter-grub-full.conf',
        'augeasproviders/kernel_parameter-grub-broken.conf',
      ]
    : [];

  it.each(files)('%s round-trips byte for byte (also with CRLF)', (f) => {
    const text = read(f);
    expect(parseGrubConf(text, { latin1: true }).toString()).toBe(text);
    const crlf = text.replace(/\n/g, '\r\n');
    expect(parseGrubConf(crlf, { latin1: true }).toString()).toBe(crlf);
  });

  it.each(Object.entries(grubby))('grubby/%s: GRUB sees the documented entries and default', (f, [n, boots, fb]) => {
    const conf = parseGrubConf(read('grubby/' + f), { latin1: true });
    expect(conf.entries.length).toBe(n);
    expect(conf.bootIndex()).toBe(boots);
    if (fb) expect(conf.effectiveFallback).toEqual(fb);
    // CRLF copies read the same
    const crlf = parseGrubConf(read('grubby/' + f).replace(/\n/g, '\r\n'), { latin1: true });
    expect(crlf.entries.map((e) => [e.title, e.kernel?.path, e.kernel?.args])).toEqual(
      conf.entries.map((e) => [e.title, e.kernel?.path, e.kernel?.args]),
    );
  });

  it('grubby/grub.10 entry 0 is a Xen entry with its dom0 module', () => {
    const conf = parseGrubConf(read('grubby/grub.10'));
    const e = conf.entries[0]!;
    expect(e.kind).toBe('xen');
    expect(e.modules.length).toBeGreaterThanOrEqual(2);
    expect(e.version).toMatch(/^2\.6\./);
  });

  it('grub.13 has hiddenmenu; grub.3 has no default line', () => {
    expect(parseGrubConf(read('grubby/grub.13')).hiddenmenu).toBe(true);
    expect(parseGrubConf(read('grubby/grub.3')).default).toBeNull();
  });

  it('augeasproviders broken file: the invalid line is an unknown command, not a crash', () => {
    const conf = parseGrubConf(read('augeasproviders/kernel_parameter-grub-broken.conf'));
    expect(conf.findings.some((f) => f.code === 'unknown-command')).toBe(true);
  });
});
