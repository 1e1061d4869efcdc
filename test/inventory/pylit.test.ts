import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iniValue, literalEval } from '../../src/inventory/pylit.js';
import { ANSIBLE_PARSE_VALUE, PYTHON, python } from './helpers.js';

describe('iniValue (Ansible _parse_value = ast.literal_eval or the text)', () => {
  it.each([
    ['2048M', '2048M'],
    ['4096', 4096],
    ['1_000', 1000],
    ['0x1f', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['017', '017'], // leading zeros: SyntaxError → text
    ['00', 0],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['-3', -3],
    ['+3', 3],
    ['--3', '--3'],
    ['10-5', '10-5'], // Python ≥ 3.8 no longer folds this
    ['1-4', '1-4'],
    ['1j', '1j'],
    ['1+2j', '(1+2j)'],
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', 'true'],
    ['yes', 'yes'],
    ['no', 'no'],
    ["'quoted'", 'quoted'],
    ['"dq"', 'dq'],
    ["'a' 'b'", 'ab'],
    ["b'bytes'", 'bytes'],
    ["r'\\d+'", '\\d+'],
    ["'tab\\there'", 'tab\there'],
    ["'\\x41\\u00e9\\101'", 'Aé\x41'],
    ["'keep \\d'", 'keep \\d'],
    ["f'x'", "f'x'"],
    ['[1, 2]', [1, 2]],
    ['(1, 2)', [1, 2]],
    ['1, 2', [1, 2]],
    ['1,', [1]],
    ['()', []],
    ['{1, 2}', [1, 2]],
    ['set()', []],
    ['set([1])', 'set([1])'],
    ['{"a": "b"}', { a: 'b' }],
    ['{1: 2}', { '1': 2 }],
    ['...', '...'],
    ['[..., 1j, set(), {1, 2}, b\'x\']', ['...', '1j', [], [1, 2], 'x']],
    ['invalid', 'invalid'],
    ['host-01.internal', 'host-01.internal'],
    ['8080 # a comment', 8080],
    ['bar # a comment', 'bar # a comment'],
    ['  7', 7],
    ['', ''],
    ['56L', '56L'],
    ['02,06,10,16', '02,06,10,16'],
    ['{[1]: 2}', '{[1]: 2}'], // unhashable: Ansible would fail the parse; we keep the text
    ["'unterminated", "'unterminated"],
    ['"{{ ansible_playbook_python }}"', '{{ ansible_playbook_python }}'],
  ])('%s', (input, expected) => {
    expect(iniValue(input)).toEqual(expected);
  });

  it('never treats __proto__ keys as prototypes', () => {
    const v = iniValue('{"__proto__": 1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
  });

  it('survives deep nesting', () => {
    expect(literalEval('['.repeat(5000)).ok).toBe(false);
    expect(literalEval('['.repeat(150) + ']'.repeat(150)).ok).toBe(true);
  });
});

const finite = (v: unknown): unknown => {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (Array.isArray(v)) return v.map(finite);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, finite(x)]));
  return v;
};

const PY_WITH_INF = ANSIBLE_PARSE_VALUE.replace(
  'print(json.dumps(out))',
  `def fin(v):
    if isinstance(v, float) and (v != v or v in (float('inf'), float('-inf'))):
        return 'nan' if v != v else ('inf' if v > 0 else '-inf')
    if isinstance(v, list): return [fin(x) for x in v]
    if isinstance(v, dict): return {k: fin(x) for k, x in v.items()}
    return v
print(json.dumps([fin(x) for x in out]))`,
);

describe.skipIf(!PYTHON)('iniValue agrees with CPython ast.literal_eval (differential)', () => {
  const compare = (inputs: string[]): void => {
    const expected = python(PY_WITH_INF, inputs) as unknown[];
    const mismatches: string[] = [];
    inputs.forEach((input, i) => {
      const want = expected[i];
      if (want && typeof want === 'object' && ('__error__' in want || '__bigint__' in want)) return;
      const got = finite(iniValue(input));
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${JSON.stringify(input)}: got ${JSON.stringify(got)}, python ${JSON.stringify(want)}`);
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
  };

  it('on hand-picked tricky inputs', () => {
    compare([
      '1__0', '1_', '0_0', '0_7', '0x_1', '1.e5', '1.j', '07j', '07.5', '1..2', '1.2.3', '0x1j', '1e', '1e+', '.e1',
      '-1j', '-1-2j', '1+2j+3', '-(1)', '+(-1)', '(-1)', '(1)', '((1,),)', '[1,]', '[,]', '{,}', '{1:2,}', '{1,}',
      "'a' b'b'", "u'x'", "ur'x'", "rb'\\x'", "b'\\u1234'", "'\\N{DASH}'", "'''tri'''", '"""a"b"""', "'\\777'",
      "b'é'", "'é'", 'True False', 'not True', '-True', '1 if 1 else 2', 'lambda: 1', 'x', '[x]', '{**a}', '[*a]',
      "'\\0'", '1 # c', '# only', '\t1', '  [1 , 2 ]  ', "'a'\t'b'", '1e400', '-1e400', 'None,', ',', '[1, [2, (3,)]]',
    ]);
  });

  it('on generated inputs', () => {
    const alphabet = fc.constantFrom(...'0123456789 .,:+-_jJeExXoObBrRuUfFaTNn\'"[](){}#\\\t'.split(''));
    const atoms = fc.constantFrom('True', 'False', 'None', 'set()', '...', "b'x'", "'s'", '"d"', '0x1F', '1_0', '1e5', '2j', '07', '0');
    const token = fc.oneof(fc.string({ unit: alphabet, maxLength: 4 }), atoms);
    const inputs = fc.sample(fc.array(token, { maxLength: 8 }).map((t) => t.join('')), { numRuns: 4000, seed: 1234 });
    compare(inputs);
  });
});
