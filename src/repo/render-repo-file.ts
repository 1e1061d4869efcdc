/** The tool's own yum .repo file for the Xen 4.10 Virt SIG tree, and the Virt SIG key file. */
import { TemplateError, assertOneLine, shown } from './template-error.js';
import { DEFAULT_MIRROR, resolveMirror, type RepoWarning } from './mirrors.js';
import { renderTemplate, templateFile } from './templates.js';

export const DEFAULT_REPO_ID = 'xen4centos-410';
export const REPO_DIR = '/etc/yum.repos.d';
export const GPG_KEY_NAME = 'RPM-GPG-KEY-CentOS-SIG-Virtualization';
export const GPG_KEY_PATH = `/etc/pki/rpm-gpg/${GPG_KEY_NAME}`;
export const GPG_KEY_URL = `file://${GPG_KEY_PATH}`;

/** The CentOS Virtualization SIG signing key (shipped in templates/, fingerprint checked by the tests). */
export const VIRT_SIG_KEY = {
  id: '0x61E8806C',
  /** `rpm -q gpg-pubkey-61e8806c-5581df56` once imported. */
  rpmName: 'gpg-pubkey-61e8806c-5581df56',
  fingerprint: 'A7C8 E761 309D 2F1C 92C5  0B62 7AEB BE82 61E8 806C',
  uid: 'CentOS Virtualization SIG (http://wiki.centos.org/SpecialInterestGroup/Virtualization) <security@centos.org>',
} as const;

/** Section ids of the stock repo files; reusing one makes yum warn "listed more than once". */
const STOCK_IDS = new Set(['base', 'updates', 'extras', 'centosplus', 'contrib', 'centos-virt-xen', 'centos-virt-xen-410', 'centos-virt-xen-410-testing', 'centos-virt-xen-epel', 'Xen4CentOS']);

export interface RepoFileOptions {
  /** A preset name (see MIRRORS) or an http(s) base URL. Default: vault. */
  mirror?: string;
  /** Default true. */
  gpgcheck?: boolean;
  /** Default xen4centos-410. */
  repoId?: string;
}

export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

export interface RenderedRepoFile extends RenderedFile {
  readonly repoId: string;
  readonly baseurl: string;
  readonly warnings: readonly RepoWarning[];
}

export function validateRepoId(repoId: string): void {
  assertOneLine('repo id', repoId);
  if (!/^[A-Za-z0-9._:-]+$/.test(repoId)) {
    throw new TemplateError('invalid-repo-id', repoId, `repo id "${shown(repoId)}" may only contain letters, digits and . _ : -`, `e.g. ${DEFAULT_REPO_ID}`);
  }
  if (repoId.startsWith('.') || repoId.length > 64) {
    throw new TemplateError('invalid-repo-id', repoId, `repo id "${shown(repoId)}" ${repoId.startsWith('.') ? 'starts with "." (yum does not read hidden .repo files)' : 'is longer than 64 characters'}`, `e.g. ${DEFAULT_REPO_ID}`);
  }
  if (repoId === 'main' || repoId === 'installonly') {
    throw new TemplateError('reserved-repo-id', repoId, `repo id "${repoId}" is a section yum reserves, not a repository`, `e.g. ${DEFAULT_REPO_ID}`);
  }
}

/**
 * /etc/yum.repos.d/<repoId>.repo: one section, baseurl with 6.10 written out, never a
 * mirrorlist, gpgkey only with gpgcheck. Every value is validated before rendering.
 */
export function renderRepoFile(opts: RepoFileOptions = {}): RenderedRepoFile {
  const repoId = opts.repoId ?? DEFAULT_REPO_ID;
  const gpgcheck = opts.gpgcheck ?? true;
  if (typeof gpgcheck !== 'boolean') throw new TemplateError('invalid-value', String(gpgcheck), `gpgcheck "${shown(String(gpgcheck))}" is not true or false`, 'leave gpgcheck on');
  validateRepoId(repoId);
  const mirror = resolveMirror(opts.mirror ?? DEFAULT_MIRROR);
  const name = `CentOS-6.10 - Virt SIG - Xen 4.10 (${mirror.name ?? mirror.host})`;
  const warnings: RepoWarning[] = [...mirror.warnings];
  if (!gpgcheck) {
    warnings.push({ code: 'gpgcheck-off', message: `gpgcheck is off: yum will install the Xen and kernel packages from ${mirror.url} without verifying their signatures` });
  }
  if (STOCK_IDS.has(repoId)) {
    warnings.push({ code: 'shared-repo-id', message: `repo id ${repoId} is also used by a stock CentOS repo file; yum warns "listed more than once" if both exist` });
  }
  const content = renderTemplate('xen4centos.repo.njk', { repoId, name, baseurl: mirror.url, gpgcheck, gpgkey: GPG_KEY_URL });
  return { path: `${REPO_DIR}/${repoId}.repo`, content, repoId, baseurl: mirror.url, warnings };
}

/** /etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization, byte for byte as shipped. */
export function renderGpgKey(): RenderedFile {
  const content = templateFile(GPG_KEY_NAME);
  if (!content.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----\n') || !content.endsWith('-----END PGP PUBLIC KEY BLOCK-----\n')) {
    throw new TemplateError('templates-missing', GPG_KEY_NAME, `templates/${GPG_KEY_NAME} is not an ASCII-armoured public key`, 'reinstall dom0up');
  }
  return { path: GPG_KEY_PATH, content };
}
