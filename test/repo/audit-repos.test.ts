import { describe, expect, it } from 'vitest';
import { auditRepos, findXenRepo, parseRepoFile, renderRepoFile } from '../../src/repo/index.js';
import { CENTOS_BASE_REPO, CENTOS_XEN_410_REPO, CENTOS_XEN_DEPENDENCIES_REPO, SEED_XEN4_REPO, VAULT_BASE_REPO } from './fixtures.js';

const KEY = 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization';

describe('parseRepoFile (yum INI rules)', () => {
  it('reads sections, spacing variants, inline ; comments and continuation lines', () => {
    const f = parseRepoFile(VAULT_BASE_REPO);
    expect(f.problems).toEqual([]);
    expect(f.sections.map((s) => s.id)).toEqual(['C6.10-base', 'C6.10-updates']);
    const base = f.sections[0]?.keys;
    expect(base?.get('name')).toBe('CentOS-6.10 - Base');
    expect(base?.get('baseurl')).toBe('http://vault.centos.org/6.10/os/$basearch/\nhttp://archive.kernel.org/centos-vault/6.10/os/$basearch/');
    expect(base?.get('gpgcheck')).toBe('1');
    expect(base?.get('enabled')).toBe('1');
  });

  it('follows ConfigParser on the odd cases', () => {
    const f = parseRepoFile('[a]\nKey: v1 #not a comment\n\n  more\nx=""\n;c\nrem c\n[a] trailing text\ny=v;1 ;c\n[b]\r\nz = 2\r\n');
    expect(f.problems).toEqual([]);
    expect(f.sections.map((s) => [s.id, Object.fromEntries(s.keys)])).toEqual([
      // only the first ";" can start a comment (iniparse: "value;1  ;comment" stays whole)
      ['a', { key: 'v1 #not a comment\nmore', x: '', y: 'v;1 ;c' }],
      ['b', { z: '2' }],
    ]);
  });

  it('an inline comment is "; " after whitespace', () => {
    expect(parseRepoFile('[a]\nk=v ;c\nl=v\t; c\nm=v;c\n').sections[0]?.keys).toEqual(new Map([['k', 'v'], ['l', 'v'], ['m', 'v;c']]));
  });

  it('reports what yum would refuse', () => {
    expect(parseRepoFile('baseurl=http://x/\n[a]\n').problems.map((p) => p.line)).toEqual([1]);
    expect(parseRepoFile('[a]\nnot an option\n').problems.map((p) => p.line)).toEqual([2]);
  });
});

describe('auditRepos', () => {
  const files = [
    { path: '/etc/yum.repos.d/CentOS-Base.repo', text: CENTOS_BASE_REPO },
    { path: '/etc/yum.repos.d/CentOS-Xen-410.repo', text: CENTOS_XEN_410_REPO },
    { path: '/etc/yum.repos.d/CentOS-Xen-dependencies.repo', text: CENTOS_XEN_DEPENDENCIES_REPO },
    { path: '/etc/yum.repos.d/xen4.repo', text: SEED_XEN4_REPO },
    { path: '/etc/yum.repos.d/CentOS-Vault-fixed.repo', text: VAULT_BASE_REPO },
    { path: '/etc/yum.repos.d/xen4centos-410.repo', text: renderRepoFile().content },
  ];
  const audit = auditRepos(files);
  const byId = new Map(audit.entries.map((e) => [e.id, e]));

  it('lists the enabled sections only, in file order', () => {
    expect(audit.problems).toEqual([]);
    expect(audit.entries.map((e) => e.id)).toEqual(['base', 'updates', 'extras', 'centos-virt-xen-410', 'centos-virt-xen-epel', 'xen4centos', 'C6.10-base', 'C6.10-updates', 'xen4centos-410']);
    expect(auditRepos(files, { includeDisabled: true }).entries.filter((e) => !e.enabled).map((e) => e.id)).toEqual(['centosplus', 'contrib', 'centos-virt-xen-410-testing']);
  });

  it('CentOS-Base with mirrorlist.centos.org is dead', () => {
    expect(byId.get('base')).toEqual({
      file: '/etc/yum.repos.d/CentOS-Base.repo',
      id: 'base',
      baseurls: [],
      mirrorlist: 'http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra',
      enabled: true,
      gpgcheck: true,
      gpgkey: ['file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6'],
      xen410: false,
      dead: 'mirrorlist.centos.org no longer resolves',
      deadCode: 'dead-url',
    });
  });

  it("centos-release-xen-410's repo is the Xen 4.10 tree on the dead mirror.centos.org", () => {
    const e = byId.get('centos-virt-xen-410');
    expect(e).toMatchObject({ xen410: true, gpgcheck: true, gpgkey: [KEY], baseurls: ['http://mirror.centos.org/centos/$releasever/virt/$basearch/xen-410'], deadCode: 'dead-url' });
    expect(e?.dead).toMatch(/mirror\.centos\.org no longer serves CentOS 6/);
  });

  it("CentOS-Xen-dependencies' EPEL 6 metalink is dead", () => {
    expect(byId.get('centos-virt-xen-epel')).toMatchObject({ xen410: false, deadCode: 'dead-url', baseurls: [] });
    expect(byId.get('centos-virt-xen-epel')?.dead).toMatch(/EPEL 6/);
  });

  it("the seed's xen4.repo is the Xen 4.10 tree without gpgcheck and without an enabled= line", () => {
    expect(byId.get('xen4centos')).toEqual({
      file: '/etc/yum.repos.d/xen4.repo',
      id: 'xen4centos',
      baseurls: ['https://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/x86_64/xen-410/'],
      mirrorlist: null,
      enabled: true,
      gpgcheck: false,
      gpgkey: [],
      xen410: true,
    });
  });

  it('a section with one live baseurl is not dead; baseurl lists split on commas and lines', () => {
    expect(byId.get('C6.10-base')?.dead).toBeUndefined();
    expect(byId.get('C6.10-updates')).toMatchObject({ baseurls: ['http://mirror.centos.org/centos/6/updates/$basearch/', 'http://vault.centos.org/6.10/updates/$basearch/'], gpgcheck: null });
    expect(byId.get('C6.10-updates')?.dead).toBeUndefined();
  });

  it('a section without any URL is dead', () => {
    expect(auditRepos([{ path: 'x.repo', text: '[empty]\nname=x\n' }]).entries[0]).toMatchObject({ deadCode: 'no-url' });
  });

  it('findXenRepo finds the own file, duplicates and the other Xen 4.10 repos', () => {
    const m = findXenRepo(audit, 'xen4centos-410');
    expect(m.own).toMatchObject({ file: '/etc/yum.repos.d/xen4centos-410.repo', xen410: true, gpgcheck: true, gpgkey: [KEY], baseurls: ['http://vault.centos.org/6.10/virt/x86_64/xen-410/'] });
    expect(m.own?.dead).toBeUndefined();
    expect(m.duplicates).toEqual([]);
    expect(m.others.map((e) => e.id)).toEqual(['centos-virt-xen-410', 'xen4centos']);
    const twice = findXenRepo(auditRepos([...files, { path: '/etc/yum.repos.d/copy.repo', text: renderRepoFile().content }]).entries, 'xen4centos-410');
    expect(twice.duplicates.map((e) => e.file)).toEqual(['/etc/yum.repos.d/copy.repo']);
    expect(findXenRepo(audit, 'nope').own).toBeNull();
  });

  it('[main] in a repo file is not a repository', () => {
    expect(auditRepos([{ path: 'x.repo', text: '[main]\ngpgcheck=1\n[r]\nbaseurl=http://vault.centos.org/6.10/os/x86_64/\n' }]).entries.map((e) => e.id)).toEqual(['r']);
  });

  it('reports parse problems with the file', () => {
    expect(auditRepos([{ path: 'bad.repo', text: 'oops\n' }]).problems).toEqual([{ file: 'bad.repo', line: 1, message: expect.stringContaining('before the first') }]);
  });
});

describe('repo ids yum refuses', () => {
  it('a section id with control characters (a hostile .repo file) is a problem, not a repo', async () => {
    const { auditRepos } = await import('../../src/repo/index.js');
    const a = auditRepos([{ path: '/etc/yum.repos.d/x.repo', text: '[ok-1]\nbaseurl=http://mirror.centos.org/centos/6/os/x86_64/\n[bad\u0001id;rm -rf /]\nbaseurl=http://mirror.centos.org/centos/6/os/x86_64/\n' }]);
    expect(a.entries.map((e) => e.id)).toEqual(['ok-1']);
    expect(a.problems[0]!.message).toMatch(/is not a repo id yum accepts/);
  });
});
