// No value given to renderRepoFile can add a section or a key to the .repo file: for any input
// the result is either a TemplateError or a file that an independent INI reader — CPython's
// configparser with yum's rules (test/helpers/ini-judge.ts), never dom0up's parser — reads as
// exactly one section with exactly the expected keys and values (the values built here from the
// input, not taken from the rendered file).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { renderRepoFile, resolveMirror, TemplateError, MIRROR_NAMES } from '../../src/repo/index.js';
import { readIniWithPython } from '../helpers/ini-judge.js';

const nasty = ['\n', '\r', '\r\n', '\0', '\t', '\u000b', '\u0085', '\u2028', '[', ']', '=', ':', ';', '#', '"', "'", '`', '$', '$(', ')', '\\', '%', '%(', ' ', '@', '?', '&', '/', '.', '-', '_', 'a', 'Z', '9', 'main', 'baseurl=', 'mirrorlist=', '\n[x]\n', '\nenabled=0\n', ' ;x'];
const piece = fc.oneof(fc.constantFrom(...nasty), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 }));
const nastyString = fc.array(piece, { maxLength: 8 }).map((a) => a.join(''));

const repoId = fc.oneof(fc.constant('xen4centos-410'), fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/), nastyString);
const mirror = fc.oneof(
  fc.constantFrom(...MIRROR_NAMES),
  nastyString,
  fc.tuple(fc.constantFrom('http://', 'https://', 'HTTP://', 'ftp://', 'http:/', 'file://', ''), fc.oneof(fc.domain(), nastyString), fc.oneof(fc.webPath(), nastyString), fc.oneof(fc.constant(''), nastyString))
    .map(([s, h, p, tail]) => s + h + p + tail),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
);

let rendered = 0;
let refused = 0;
/** Rendered files waiting for the judge: the text and what it must hold. */
let pending: { input: unknown; content: string; id: string; keys: Record<string, string> }[] = [];

/** The name yum shows: the fixed text and the mirror (its preset name, or the URL's host). */
const expectedName = (mirror: string, url: string) => {
  const authority = /^[a-z]+:\/\/([^/]*)/.exec(url)![1]!;
  const host = (/^(\[[^\]]*\]|[^:]*)/.exec(authority)![1]!).toLowerCase();
  return `CentOS-6.10 - Virt SIG - Xen 4.10 (${(MIRROR_NAMES as readonly string[]).includes(mirror) ? mirror : host})`;
};

function check(input: { repoId: string; mirror: string; gpgcheck: boolean }): boolean {
  let r;
  try {
    r = renderRepoFile(input);
  } catch (e) {
    if (e instanceof TemplateError) {
      refused++;
      expect(e.message).not.toMatch(/[\n\r]/);
      expect(typeof e.hint).toBe('string');
      return true;
    }
    throw e;
  }
  rendered++;
  const url = resolveMirror(input.mirror).url;
  // nothing but LF as a control character, and one line per key
  expect(r.content).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  const keys: Record<string, string> = { name: expectedName(input.mirror, url), baseurl: url, enabled: '1', gpgcheck: input.gpgcheck ? '1' : '0' };
  if (input.gpgcheck) keys.gpgkey = 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization';
  expect(r.path).toBe(`/etc/yum.repos.d/${input.repoId}.repo`);
  expect(url).toMatch(/^https?:\/\/[^\s"'`$#?]+\/$/);
  pending.push({ input, content: r.content, id: input.repoId, keys });
  return true;
}

/** Every rendered file, read by CPython: exactly one section, the repo id, exactly the keys. */
function judgePending(): void {
  const readings = readIniWithPython(pending.map((p) => p.content));
  pending.forEach((p, i) => {
    const got = readings[i]!;
    const want = { ok: true, sections: [[p.id, Object.entries(p.keys).sort(([a], [b]) => a.localeCompare(b))]] };
    const norm = got.ok ? { ok: true, sections: got.sections.map(([s, kv]) => [s, [...kv].sort(([a], [b]) => a.localeCompare(b))]) } : got;
    expect(norm, `${JSON.stringify(p.input)} rendered as\n${p.content}`).toEqual(want);
  });
  pending = [];
}

describe('repo file injection', () => {
  it('arbitrary repo ids, mirrors and gpgcheck: typed error or exactly one section with the expected keys', () => {
    rendered = refused = 0;
    fc.assert(fc.property(fc.record({ repoId, mirror, gpgcheck: fc.boolean() }), check), { numRuns: 3000 });
    judgePending();
    // both branches are exercised
    expect(rendered).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
  });

  it('arbitrary strings in each value alone', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), (s, g) => check({ repoId: s, mirror: 'vault', gpgcheck: g })), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), (s, g) => check({ repoId: 'xen4centos-410', mirror: `http://h.example/${s}`, gpgcheck: g })), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => check({ repoId: 'xen4centos-410', mirror: `http://${s}/6.10/virt/x86_64/xen-410/`, gpgcheck: true })), { numRuns: 1000 });
    judgePending();
  });

  it('the classic injections are refused with a typed error', () => {
    const bad = [
      { repoId: 'x\n[evil]', mirror: 'vault' },
      { repoId: 'x]\nbaseurl=http://evil/', mirror: 'vault' },
      { repoId: 'x\r[evil]', mirror: 'vault' },
      { repoId: 'x\0', mirror: 'vault' },
      { repoId: 'x=1', mirror: 'vault' },
      { repoId: '$(reboot)', mirror: 'vault' },
      { repoId: 'xen', mirror: 'http://h/\ngpgcheck=0' },
      { repoId: 'xen', mirror: 'http://h/\rgpgcheck=0' },
      { repoId: 'xen', mirror: 'http://h/x\0' },
      { repoId: 'xen', mirror: 'http://h/ ;comment' },
      { repoId: 'xen', mirror: 'http://h/"x"' },
      { repoId: 'xen', mirror: "http://h/'x'" },
      { repoId: 'xen', mirror: 'http://h/$(reboot)/' },
      { repoId: 'xen', mirror: 'http://h/$releasever/' },
      { repoId: 'xen', mirror: 'http://user:pw@h/x/' },
      { repoId: 'xen', mirror: 'http://h/%(here)s/' },
      { repoId: 'xen', mirror: 'ftp://h/x/' },
      { repoId: 'xen', mirror: 'http:///x/' },
      { repoId: 'xen', mirror: 'http://mirrorlist.centos.org/?release=6&arch=x86_64&repo=virt-xen-410' },
      { repoId: 'xen', mirror: 'nosuchpreset' },
    ];
    for (const b of bad) {
      expect(() => renderRepoFile({ ...b, gpgcheck: true }), JSON.stringify(b)).toThrow(TemplateError);
    }
  });

  it('brackets, equals, colons and semicolons inside a URL stay inside the baseurl value', () => {
    pending = [];
    for (const mirror of ['http://[::1]/centos-vault/6.10/virt/x86_64/xen-410/', 'http://h:8080/a=b;c/[x]/xen-410', 'http://h/a:b/xen-410/']) {
      expect(check({ repoId: 'xen4centos-410', mirror, gpgcheck: true })).toBe(true);
    }
    judgePending();
  });
});
