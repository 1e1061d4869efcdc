import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostsFromArgs, InventoryError, parseInventory, selectHosts, type InventoryFormat } from '../../src/inventory/index.js';
import { RACK_INI } from './fixtures.js';

const FORMATS: (InventoryFormat | undefined)[] = [undefined, 'list', 'ini', 'yaml', 'ansible-json', 'ssh-config'];

/** Only InventoryError may escape; anything else is a bug. */
function onlyInventoryErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof InventoryError) {
      expect(e.message).not.toMatch(/[\n\r]/);
      expect(e.name).toBe('InventoryError');
      return true;
    }
    throw e;
  }
}

const FRAGMENTS = [
  '[', ']', '[dom0s]', '[rack1:vars]', '[rack1:children]', '[all:vars]', ':', '=', ' ', '\t', '\n', '\r\n', '#', ';', '"', "'", '\\',
  'xen01', 'web[01:03]', '[a:c]', '[1:0]', ':2222', 'root@', 'ansible_host=', 'ansible_port=', 'ansible_become=', 'dom0_mem=2048M',
  'pin=yes', 'xen_args=', '2001:db8::1', 'Host ', 'HostName ', 'Port ', 'Match all', 'all:', '  hosts:', '    ', '  children:',
  '  vars:', '---', '- ', '{', '}', ',', '&a ', '*a', '<<: ', '!vault ', '!unsafe ', '_meta', '"hosts": [', 'null', 'True', '1e3',
  'ansible_group_priority=', '-', '$(x)', '\u0000', '\u2028', '\uFEFF', '%YAML 1.1', '~',
];

const inventoryish = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), { maxLength: 60 })
  .map((parts) => parts.join(''));

describe('parseInventory never throws anything but InventoryError', () => {
  it('on arbitrary text, in every format', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom(...FORMATS), (text, format) =>
        onlyInventoryErrors(() => parseInventory(text, format ? { format } : {})),
      ),
      { numRuns: 600, seed: 20240601 },
    );
  });

  it('on inventory-shaped text, in every format', () => {
    fc.assert(
      fc.property(inventoryish, fc.constantFrom(...FORMATS), (text, format) => onlyInventoryErrors(() => parseInventory(text, format ? { format } : {}))),
      { numRuns: 2500, seed: 7 },
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => onlyInventoryErrors(() => parseInventory(JSON.stringify(value)))),
      { numRuns: 500, seed: 3 },
    );
  });

  it('on mutations of a real inventory', () => {
    fc.assert(
      fc.property(fc.nat(RACK_INI.length), fc.nat(40), fc.constantFrom(...FRAGMENTS), (at, cut, insert) => {
        const text = RACK_INI.slice(0, at) + insert + RACK_INI.slice(at + cut);
        return onlyInventoryErrors(() => parseInventory(text));
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
});

describe('selectHosts and hostsFromArgs never throw anything but InventoryError', () => {
  const inv = parseInventory(RACK_INI);
  const patternish = fc
    .array(fc.oneof(fc.constantFrom('rack1', 'dom0s', 'all', '*', '!', '&', ':', ',', '~', '[', ']', '0', '-1', '(', '?', 'xen', '.', '\\', '@', ' '), fc.string({ maxLength: 3 })), { maxLength: 10 })
    .map((p) => p.join(''));

  it('selectHosts', () => {
    fc.assert(
      fc.property(patternish, (pattern) => onlyInventoryErrors(() => selectHosts(inv, pattern))),
      { numRuns: 2000, seed: 5 },
    );
  });

  it('hostsFromArgs', () => {
    const argish = fc
      .array(fc.oneof(fc.constantFrom('root', '@', ':', '[', ']', '::1', 'xen', '01', ',', 'ssh://', '/', '-', '2222', ' '), fc.string({ maxLength: 3 })), { maxLength: 8 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(fc.array(argish, { maxLength: 4 }), (args) => onlyInventoryErrors(() => hostsFromArgs(args))),
      { numRuns: 2000, seed: 9 },
    );
  });
});

describe('hostile inputs are refused quickly and cleanly', () => {
  it.each([
    ['many ranges', () => parseInventory('a' + '[1:1]'.repeat(20000), { format: 'ini' }), 'bad-range'],
    ['huge expansion', () => parseInventory('h[1:1000][1:1000]\n', { format: 'ini' }), 'bad-range'],
    ['deep YAML', () => parseInventory('all:\n  vars:\n    x: ' + '['.repeat(20000) + ']'.repeat(20000) + '\n'), 'syntax'],
    ['deep JSON', () => parseInventory('{"g": {"hosts": ["h"], "vars": {"x": ' + '['.repeat(20000) + ']'.repeat(20000) + '}}}'), 'syntax'],
    ['deep block sequence', () => parseInventory('all:\n  vars:\n    x:\n' + '      ' + '- '.repeat(5000) + 'x\n', { format: 'yaml' }), 'syntax'],
    ['alias bomb', () => parseInventory('a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n', { format: 'yaml' }), 'syntax'],
    ['long host name', () => parseInventory('a'.repeat(1_000_000) + ':22', { format: 'ini' }), 'invalid-host'],
  ])('%s', (_label, fn, code) => {
    const t = Date.now();
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as InventoryError).code).toBe(code);
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it('deep but legitimate literals still parse', () => {
    expect(parseInventory('h x=' + '['.repeat(100) + ']'.repeat(100), { format: 'ini' }).hosts[0]?.vars['x']).toBeDefined();
    expect(parseInventory('all:\n  vars:\n    x: ' + '['.repeat(100) + ']'.repeat(100) + '\n').groups['all']?.vars['x']).toBeDefined();
  });
});
