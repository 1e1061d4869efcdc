import { describe, expect, it } from 'vitest';
import { resolveMirror, deadUrlReason, MIRRORS, MIRROR_NAMES, DEFAULT_MIRROR, TemplateError } from '../../src/repo/index.js';

const err = (fn: () => unknown): TemplateError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('mirror presets', () => {
  it('are the Xen 4.10 EL6 x86_64 trees, 6.10 written out', () => {
    expect(DEFAULT_MIRROR).toBe('vault');
    expect(MIRRORS).toEqual({
      vault: 'http://vault.centos.org/6.10/virt/x86_64/xen-410/',
      tuna: 'https://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/x86_64/xen-410/',
      'tuna-vault': 'https://mirrors.tuna.tsinghua.edu.cn/centos-vault/6.10/virt/x86_64/xen-410/',
      'kernel-org': 'http://archive.kernel.org/centos-vault/6.10/virt/x86_64/xen-410/',
      cern: 'http://linuxsoft.cern.ch/centos-vault/6.10/virt/x86_64/xen-410/',
    });
    for (const n of MIRROR_NAMES) {
      const r = resolveMirror(n);
      expect(r.name).toBe(n);
      expect(r.url).toBe(MIRRORS[n]);
    }
  });

  it('warns on https (old TLS on CentOS 6) and on the moved Tsinghua path', () => {
    expect(resolveMirror('vault').warnings).toEqual([]);
    expect(resolveMirror('kernel-org').warnings).toEqual([]);
    expect(resolveMirror('tuna-vault').warnings.map((w) => w.code)).toEqual(['https-old-tls']);
    expect(resolveMirror('tuna').warnings.map((w) => w.code)).toEqual(['moved-mirror', 'https-old-tls']);
    expect(resolveMirror('tuna').warnings[0]?.message).toContain('tuna-vault');
  });
});

describe('resolveMirror with a URL', () => {
  it('normalises to a trailing slash and keeps the rest', () => {
    expect(resolveMirror('http://vault.centos.org/6.10/virt/x86_64/xen-410').url).toBe('http://vault.centos.org/6.10/virt/x86_64/xen-410/');
    expect(resolveMirror('HTTP://Mirror.Example.org:8080/c6/xen-410/').url).toBe('http://Mirror.Example.org:8080/c6/xen-410/');
    expect(resolveMirror('HTTP://Mirror.Example.org:8080/c6/xen-410/').host).toBe('mirror.example.org');
    expect(resolveMirror('http://10.0.0.5').url).toBe('http://10.0.0.5/');
    expect(resolveMirror('http://[fd00::1]/xen-410/').host).toBe('[fd00::1]');
    expect(resolveMirror('http://h.example/a%20b/xen-410/').url).toBe('http://h.example/a%20b/xen-410/');
  });

  it('warns on dead CentOS hosts, https, and trees that are not xen-410', () => {
    const codes = (u: string) => resolveMirror(u).warnings.map((w) => w.code);
    expect(codes('http://mirror.centos.org/centos/6/virt/x86_64/xen-410/')).toEqual(['dead-mirror']);
    expect(codes('http://mirror.centos.org/centos/6.10/virt/x86_64/xen-410/')).toEqual(['dead-mirror']);
    expect(codes('https://vault.centos.org/6.10/virt/x86_64/xen-410/')).toEqual(['https-old-tls']);
    expect(codes('http://vault.centos.org/6.10/virt/x86_64/xen-48/')).toEqual(['not-xen-410-tree']);
    expect(codes('http://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/x86_64/xen-410/')).toEqual(['moved-mirror']);
  });

  it('refuses what is not an http(s) base URL, with the presets in the message or hint', () => {
    const e = err(() => resolveMirror('tsinghua'));
    expect(e.code).toBe('unknown-mirror');
    expect(e.message).toContain('vault, tuna, tuna-vault, kernel-org, cern');
    expect(e.hint).toContain('http://vault.centos.org/6.10/virt/x86_64/xen-410/');
    const cases: [string, string][] = [
      ['ftp://vault.centos.org/6.10/', 'invalid-url'],
      ['file:///srv/xen-410/', 'invalid-url'],
      ['http://user:secret@h.example/x/', 'invalid-url'],
      ['http://h.example/a b/', 'invalid-url'],
      ['http://h.example/"x"/', 'invalid-url'],
      ['http://h.example/$releasever/', 'invalid-url'],
      ['http://h.example/x/#frag', 'invalid-url'],
      ['http://mirrorlist.centos.org/?release=6&repo=virt-xen-410', 'invalid-url'],
      ['http://h.example/100%/', 'invalid-url'],
      ['http://h_x/', 'invalid-url'],
      ['http://123/', 'invalid-url'],
      ['http://h.example:99999/', 'invalid-url'],
      ['http://ex\u00e4mple.org/', 'invalid-url'],
      ['http://h.example/\u0000', 'control-character'],
      ['http://h.example/x\r\n', 'control-character'],
    ];
    for (const [u, code] of cases) {
      const x = err(() => resolveMirror(u));
      expect(x.code, u).toBe(code);
      expect(x.message, u).not.toMatch(/[\r\n]/);
      expect(x.hint.length, u).toBeGreaterThan(0);
    }
  });
});

describe('deadUrlReason', () => {
  it('knows the sources that no longer answer for CentOS 6', () => {
    expect(deadUrlReason('http://mirror.centos.org/centos/$releasever/virt/$basearch/xen-410')).toMatch(/mirror\.centos\.org/);
    expect(deadUrlReason('http://mirror.centos.org/centos/6/os/x86_64/')).toMatch(/vault/);
    expect(deadUrlReason('http://mirror.centos.org/$contentdir/$releasever/os/$basearch/')).not.toBeNull();
    expect(deadUrlReason('http://mirrorlist.centos.org/?release=6&arch=x86_64&repo=virt-xen-410')).toMatch(/no longer resolves/);
    expect(deadUrlReason('https://mirrors.fedoraproject.org/metalink?repo=epel-$releasever&arch=$basearch')).toMatch(/EPEL 6/);
    expect(deadUrlReason('https://mirrors.fedoraproject.org/metalink?repo=epel-6&arch=x86_64')).toMatch(/EPEL 6/);
    expect(deadUrlReason('http://download.fedoraproject.org/pub/epel/6/x86_64/')).toMatch(/EPEL 6/);
    expect(deadUrlReason('https://mirrors.fedoraproject.org/metalink?repo=epel-7&arch=x86_64')).toBeNull();
    expect(deadUrlReason('http://vault.centos.org/6.10/os/x86_64/')).toBeNull();
    expect(deadUrlReason('http://buildlogs.centos.org/centos/$releasever/virt/$basearch/xen-410')).toBeNull();
  });
});
