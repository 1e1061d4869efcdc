import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  renderRepoFile,
  renderGpgKey,
  parseRepoFile,
  findTemplatesDir,
  TemplateError,
  MIRRORS,
  MIRROR_NAMES,
} from '../../src/repo/index.js';

const catchErr = (fn: () => unknown): TemplateError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error('expected a TemplateError');
};

describe('renderRepoFile', () => {
  it('renders the default file byte for byte', () => {
    const r = renderRepoFile();
    expect(r.path).toBe('/etc/yum.repos.d/xen4centos-410.repo');
    expect(r.content).toBe(
      '# Managed by dom0up: changes made here are overwritten when dom0up runs again.\n' +
        '# Xen 4.10 for CentOS 6.10 from the CentOS Virtualization SIG (xen4centos).\n' +
        '# The point release is written out: $releasever is 6 on CentOS 6, and the vault keeps 6.10.\n' +
        '[xen4centos-410]\n' +
        'name=CentOS-6.10 - Virt SIG - Xen 4.10 (vault)\n' +
        'baseurl=http://vault.centos.org/6.10/virt/x86_64/xen-410/\n' +
        'enabled=1\n' +
        'gpgcheck=1\n' +
        'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization\n',
    );
    expect(r.warnings).toEqual([]);
    expect(r.baseurl).toBe(MIRRORS.vault);
  });

  it('renders gpgcheck off without gpgkey, with a comment and a warning', () => {
    const r = renderRepoFile({ mirror: 'http://mirror.example.org/centos-vault/6.10/virt/x86_64/xen-410', gpgcheck: false, repoId: 'my-xen' });
    expect(r.path).toBe('/etc/yum.repos.d/my-xen.repo');
    expect(r.content).toBe(
      '# Managed by dom0up: changes made here are overwritten when dom0up runs again.\n' +
        '# Xen 4.10 for CentOS 6.10 from the CentOS Virtualization SIG (xen4centos).\n' +
        '# The point release is written out: $releasever is 6 on CentOS 6, and the vault keeps 6.10.\n' +
        '# gpgcheck is off: yum installs these packages without verifying their signatures.\n' +
        '[my-xen]\n' +
        'name=CentOS-6.10 - Virt SIG - Xen 4.10 (mirror.example.org)\n' +
        'baseurl=http://mirror.example.org/centos-vault/6.10/virt/x86_64/xen-410/\n' +
        'enabled=1\n' +
        'gpgcheck=0\n',
    );
    expect(r.warnings.map((w) => w.code)).toEqual(['gpgcheck-off']);
    expect(r.warnings[0]?.message).toMatch(/without verifying their signatures/);
  });

  it('the seed mirror (tuna) warns about TLS and the moved path', () => {
    const r = renderRepoFile({ mirror: 'tuna' });
    expect(r.content).toContain('baseurl=https://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/x86_64/xen-410/\n');
    expect(r.content).toContain('name=CentOS-6.10 - Virt SIG - Xen 4.10 (tuna)\n');
    expect(r.warnings.map((w) => w.code).sort()).toEqual(['https-old-tls', 'moved-mirror']);
  });

  it('is byte-stable, never writes mirrorlist or $releasever into a value, ends with one newline', () => {
    for (const mirror of MIRROR_NAMES) {
      for (const gpgcheck of [true, false]) {
        const a = renderRepoFile({ mirror, gpgcheck });
        const b = renderRepoFile({ mirror, gpgcheck });
        expect(a.content).toBe(b.content);
        expect(a.content.endsWith('\n') && !a.content.endsWith('\n\n')).toBe(true);
        expect(a.content).not.toMatch(/mirrorlist/);
        const values = a.content.split('\n').filter((l) => l && !l.startsWith('#'));
        for (const l of values) expect(l).not.toMatch(/\$|\s[#;]/);
        const parsed = parseRepoFile(a.content);
        expect(parsed.problems).toEqual([]);
        expect(parsed.sections).toHaveLength(1);
        expect(parsed.sections[0]?.keys.get('baseurl')).toBe(MIRRORS[mirror]);
      }
    }
  });

  it('refuses bad repo ids with a typed error', () => {
    expect(catchErr(() => renderRepoFile({ repoId: 'a b' })).code).toBe('invalid-repo-id');
    expect(catchErr(() => renderRepoFile({ repoId: 'x]\n[main' })).code).toBe('control-character');
    expect(catchErr(() => renderRepoFile({ repoId: 'x]' })).code).toBe('invalid-repo-id');
    expect(catchErr(() => renderRepoFile({ repoId: '' })).code).toBe('invalid-repo-id');
    expect(catchErr(() => renderRepoFile({ repoId: '.hidden' })).code).toBe('invalid-repo-id');
    expect(catchErr(() => renderRepoFile({ repoId: 'main' })).code).toBe('reserved-repo-id');
    const e = catchErr(() => renderRepoFile({ repoId: 'a/b' }));
    expect(e.name).toBe('TemplateError');
    expect(e.message).toContain('"a/b"');
    expect(e.message).not.toContain('\n');
    expect(e.hint).toContain('xen4centos-410');
  });

  it('warns when the repo id is a stock one', () => {
    expect(renderRepoFile({ repoId: 'centos-virt-xen-410' }).warnings.map((w) => w.code)).toEqual(['shared-repo-id']);
  });
});

describe('renderGpgKey', () => {
  it('returns the shipped key for /etc/pki/rpm-gpg', () => {
    const k = renderGpgKey();
    expect(k.path).toBe('/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization');
    expect(k.content.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----\n')).toBe(true);
    expect(k.content.endsWith('-----END PGP PUBLIC KEY BLOCK-----\n')).toBe(true);
    expect(renderGpgKey().content).toBe(k.content);
  });
});

describe('templates directory', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  it('is found from src/repo and from dist/repo (the built layout)', () => {
    expect(findTemplatesDir(join(root, 'src', 'repo'))).toBe(join(root, 'templates'));
    expect(findTemplatesDir(join(root, 'dist', 'repo'))).toBe(join(root, 'templates'));
    expect(findTemplatesDir(join(root, 'dist', 'src', 'repo'))).toBe(join(root, 'templates'));
  });
  it('a missing directory is a typed error', () => {
    expect(catchErr(() => findTemplatesDir('/')).code).toBe('templates-missing');
  });
});
