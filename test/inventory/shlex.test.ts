import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShlexError, shlexSplit } from '../../src/inventory/shlex.js';
import { PY_SHLEX, PYTHON, python } from './helpers.js';

const split = (s: string): string[] | null => {
  try {
    return shlexSplit(s);
  } catch (e) {
    if (e instanceof ShlexError) return null;
    throw e;
  }
};

describe('shlexSplit (Python shlex.split(comments=True, posix=True))', () => {
  it.each([
    ['web1 ansible_port=22', ['web1', 'ansible_port=22']],
    ['h x="a b" y=\'c d\'', ['h', 'x=a b', 'y=c d']],
    ['h pass=ab#cd', ['h', 'pass=ab']],
    ['h # comment', ['h']],
    ['h x="\'03#pa33w0rd\'"', ['h', "x='03#pa33w0rd'"]],
    ['h x=""', ['h', 'x=']],
    ['h ""', ['h', '']],
    ['a"b c"d', ['ab cd']],
    ['h x="a\\"b" y="a\\nb" z=a\\ b', ['h', 'x=a"b', 'y=a\\nb', 'z=a b']],
    ["h x='a\\b'", ['h', 'x=a\\b']],
  ])('%s', (line, tokens) => {
    expect(shlexSplit(line)).toEqual(tokens);
  });

  it('reports unbalanced quotes and dangling escapes', () => {
    expect(split('h x="open')).toBeNull();
    expect(split("h x='open")).toBeNull();
    expect(split('h x=\\')).toBeNull();
  });
});

describe.skipIf(!PYTHON)('shlexSplit agrees with CPython shlex (differential)', () => {
  it('on generated lines', () => {
    const unit = fc.constantFrom(...'ab =#\'"\\ \t'.split(''));
    const inputs = fc.sample(fc.string({ unit, maxLength: 14 }), { numRuns: 3000, seed: 99 });
    const expected = python(PY_SHLEX, inputs) as (string[] | null)[];
    const bad = inputs.filter((s, i) => JSON.stringify(split(s)) !== JSON.stringify(expected[i]));
    expect(bad.slice(0, 10)).toEqual([]);
  });
});

describe.skipIf(!PYTHON)('shlexSplit(s, { comments: false }) agrees with CPython shlex.split(s) (Ansible\'s _split_ssh_args)', () => {
  it('on generated lines', () => {
    const unit = fc.constantFrom(...'ao =#\'"\\ \t-'.split(''));
    const inputs = fc.sample(fc.string({ unit, maxLength: 14 }), { numRuns: 3000, seed: 7 });
    const script = PY_SHLEX.replace('shlex.split(s, comments=True, posix=True)', 'shlex.split(s)');
    const expected = python(script, inputs) as (string[] | null)[];
    const mine = (s: string) => {
      try {
        return shlexSplit(s, { comments: false });
      } catch (e) {
        if (e instanceof ShlexError) return null;
        throw e;
      }
    };
    const bad = inputs.filter((s, i) => JSON.stringify(mine(s)) !== JSON.stringify(expected[i]));
    expect(bad.slice(0, 10)).toEqual([]);
    expect(mine('-o User=x#y # not a comment')).toEqual(['-o', 'User=x#y', '#', 'not', 'a', 'comment']);
  });
});
