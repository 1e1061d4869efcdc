import { describe, expect, it } from 'vitest';
import { parseInventory, selectHosts, splitHostPattern } from '../../src/inventory/index.js';
import { errorOf, RACK_INI } from './fixtures.js';

const inv = parseInventory(RACK_INI, { source: 'hosts.ini' });
const names = (pattern: string | undefined): string[] => selectHosts(inv, pattern).map((h) => h.name.replace(/\.r[12]\.example\.com$/, ''));

describe('splitHostPattern (Ansible split_host_pattern)', () => {
  it.each([
    ['a', ['a']],
    ['a, b', ['a', 'b']],
    ['a:b', ['a', 'b']],
    [' a : b ', ['a', 'b']],
    ['a::b', ['a::b']],
    ['9a01:7f8:191:7701::9', ['9a01:7f8:191:7701::9']],
    ['9a01:7f8:191:7701::9,foo', ['9a01:7f8:191:7701::9', 'foo']],
    ['foo[1:2]', ['foo[1:2]']],
    ['foo:bar:baz[1:2]', ['foo', 'bar', 'baz[1:2]']],
    ['dom0s:!rack2:&maintenance', ['dom0s', '!rack2', '&maintenance']],
    ['web:2222', ['web:2222']],
  ])('%j', (p, parts) => expect(splitHostPattern(p)).toEqual(parts));
});

describe('selectHosts', () => {
  it('selects everything without a pattern, with all and with *', () => {
    expect(names(undefined)).toHaveLength(9);
    expect(names('all')).toHaveLength(9);
    expect(names('*')).toHaveLength(9);
  });

  it('selects groups through their children, in inventory order', () => {
    expect(names('rack1')).toEqual(['xen01', 'xen02', 'xen03', 'xen04']);
    expect(names('monitoring:rack2')).toEqual(['xen-a', 'xen-b', 'xen-c', '2001:db8::10', 'nagios.example.com']);
  });

  it('applies unions, then intersections, then exclusions', () => {
    expect(names('dom0s:!rack2')).toEqual(['xen01', 'xen02', 'xen03', 'xen04']);
    expect(names('dom0s,!maintenance,!rack2')).toEqual(['xen01', 'xen03', 'xen04']);
    expect(names('dom0s:&maintenance')).toEqual(['xen02']);
    expect(names('&maintenance:dom0s')).toEqual(['xen02']);
    expect(names('!maintenance:!dom0s')).toEqual(['nagios.example.com']);
  });

  it('matches host names with globs and ~regex (anchored at the start only)', () => {
    expect(names('xen0*')).toEqual(['xen01', 'xen02', 'xen03', 'xen04']);
    expect(names('xen-?.r2.example.com')).toEqual(['xen-a', 'xen-b', 'xen-c']);
    expect(names('xen0[13]*')).toEqual(['xen01', 'xen03']);
    expect(names('~xen0[13]')).toEqual(['xen01', 'xen03']);
    expect(names('~(?i)XEN-[ab]')).toEqual(['xen-a', 'xen-b']);
    expect(names('rack*')).toEqual(['xen01', 'xen02', 'xen03', 'xen04', 'xen-a', 'xen-b', 'xen-c', '2001:db8::10']);
    expect(names('nagios.example.com')).toEqual(['nagios.example.com']);
    expect(names('2001:db8::10')).toEqual(['2001:db8::10']);
  });

  it('supports subscripts', () => {
    expect(names('rack1[0]')).toEqual(['xen01']);
    expect(names('rack1[-1]')).toEqual(['xen04']);
    expect(names('rack1[1:2]')).toEqual(['xen02', 'xen03']);
    expect(names('rack1[2:]')).toEqual(['xen03', 'xen04']);
  });

  it('returns the inventory host objects', () => {
    expect(selectHosts(inv, 'xen01.r1.example.com')[0]).toBe(inv.hosts[0]);
  });

  it.each([
    ['nosuch', 'no-match', /"nosuch" matches no host and no group/],
    ['rack1:nosuch', 'no-match', /"nosuch"/],
    ['dom0s:!nosuch', 'no-match', /"!nosuch"/],
    ['rack1:&monitoring', 'no-hosts', /selects no host/],
    ['rack1[9]', 'no-match', /no host at index 9/],
    ['~(', 'invalid-pattern', /invalid regular expression/],
    ['@retry.txt', 'invalid-pattern', /limit files/],
    [' , ', 'invalid-pattern', /empty/],
    ['dom0s:!', 'invalid-pattern', /empty/],
  ])('%j → %s', (pattern, code, re) => {
    const e = errorOf(() => selectHosts(inv, pattern));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(re);
    expect(e.file).toBe('hosts.ini');
  });

  it('works on host lists from the command line too', () => {
    const list = parseInventory('a\nb\nc\n', { format: 'list' });
    expect(selectHosts(list, '!b').map((h) => h.name)).toEqual(['a', 'c']);
    expect(selectHosts(list, 'ungrouped[1]').map((h) => h.name)).toEqual(['b']);
  });
});
