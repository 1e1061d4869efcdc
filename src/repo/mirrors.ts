/**
 * Where the Xen 4.10 EL6 x86_64 tree of the CentOS Virtualization SIG lives now that CentOS 6
 * is end-of-life: named presets and user-supplied base URLs, validated and normalised.
 */
import { TemplateError, assertOneLine, shown } from './template-error.js';

/** Base URLs of the Xen 4.10 tree (each with repodata/ below it). */
export const MIRRORS = {
  /** The CentOS vault: the official home of EOL point releases. */
  vault: 'http://vault.centos.org/6.10/virt/x86_64/xen-410/',
  /** The URL of the project's source notes (Tsinghua TUNA). TUNA has since moved CentOS 6 to centos-vault/, so this path is likely gone. */
  tuna: 'https://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/x86_64/xen-410/',
  /** TUNA's mirror of the vault (mirrors.tuna.tsinghua.edu.cn/help/centos-vault/). */
  'tuna-vault': 'https://mirrors.tuna.tsinghua.edu.cn/centos-vault/6.10/virt/x86_64/xen-410/',
  /** kernel.org's mirror of the vault. */
  'kernel-org': 'http://archive.kernel.org/centos-vault/6.10/virt/x86_64/xen-410/',
  /** CERN's mirror of the vault. */
  cern: 'http://linuxsoft.cern.ch/centos-vault/6.10/virt/x86_64/xen-410/',
} as const;

export type MirrorName = keyof typeof MIRRORS;
export const DEFAULT_MIRROR: MirrorName = 'vault';
export const MIRROR_NAMES = Object.keys(MIRRORS) as MirrorName[];

export type RepoWarningCode =
  | 'https-old-tls'
  | 'dead-mirror'
  | 'moved-mirror'
  | 'not-xen-410-tree'
  | 'gpgcheck-off'
  | 'shared-repo-id';

export interface RepoWarning {
  readonly code: RepoWarningCode;
  readonly message: string;
}

export interface ResolvedMirror {
  /** The preset's name, or null for a URL given by the user. */
  readonly name: MirrorName | null;
  /** Normalised base URL: http(s), ends in '/'. */
  readonly url: string;
  /** Host name (lower case, as in the URL), for the repo's `name=`. */
  readonly host: string;
  readonly warnings: readonly RepoWarning[];
}

export function isMirrorName(s: string): s is MirrorName {
  return Object.prototype.hasOwnProperty.call(MIRRORS, s);
}

/** What a C6 yum baseurl may contain: RFC 3986 characters minus quotes, `$` (yum variables), `#` and `\`. */
const URL_CHARS = /^[A-Za-z0-9\-._~:/?&=+,;!*()[\]@%]+$/;

function invalidUrl(value: string, why: string, hint: string): TemplateError {
  return new TemplateError('invalid-url', value, `mirror URL "${shown(value)}" ${why}`, hint);
}

const PRESET_HINT = `use a preset (${MIRROR_NAMES.join(', ')}) or the http:// base URL of a tree that has repodata/repomd.xml, e.g. ${MIRRORS.vault}`;

/** Why a URL can no longer serve CentOS 6 packages, or null. Shared with the repo audit. */
export function deadUrlReason(url: string): string | null {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/@?#]*@)?([^/:?#]+)(?::\d+)?([^?#]*)(\?[^#]*)?/.exec(url.trim());
  if (!m) return null;
  const host = (m[1] as string).toLowerCase();
  const path = m[2] ?? '';
  const query = m[3] ?? '';
  if (host === 'mirrorlist.centos.org') return 'mirrorlist.centos.org no longer resolves';
  if (host === 'mirror.centos.org' && /^\/(?:centos(?:-6)?|\$contentdir|altarch)\/(?:6(?:\.\d+)?|\$releasever)(?:\/|$)/i.test(path)) {
    return 'mirror.centos.org no longer serves CentOS 6 (EOL 2020-11-30); the packages are on vault.centos.org/6.10/';
  }
  if (host === 'mirror.centos.org' && /\$releasever/.test(path)) {
    return 'mirror.centos.org no longer serves CentOS 6 ($releasever is 6 there)';
  }
  if (host === 'mirrors.fedoraproject.org' && /[?&]repo=epel-(?:6|\$releasever)(?:&|$)/.test(query)) {
    return 'the EPEL 6 metalink no longer lists mirrors (EPEL 6 is archived)';
  }
  if ((host === 'download.fedoraproject.org' || host === 'dl.fedoraproject.org') && /^\/pub\/epel\/(?:6|\$releasever)\//.test(path)) {
    return 'EPEL 6 has moved to archives.fedoraproject.org';
  }
  return null;
}

/**
 * A preset name or an http(s) base URL → the normalised base URL with warnings.
 * URLs must have a host, no credentials, no whitespace/control characters/quotes, no `$`
 * (yum would substitute variables: write 6.10 and x86_64), no query or fragment.
 */
export function resolveMirror(nameOrUrl: string): ResolvedMirror {
  assertOneLine('mirror', nameOrUrl);
  let name: MirrorName | null = null;
  let url: string;
  if (isMirrorName(nameOrUrl)) {
    name = nameOrUrl;
    url = MIRRORS[nameOrUrl];
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(nameOrUrl)) {
    url = normaliseUrl(nameOrUrl);
  } else {
    throw new TemplateError('unknown-mirror', nameOrUrl, `unknown mirror "${shown(nameOrUrl)}"; presets are ${MIRROR_NAMES.join(', ')}`, `or give the http:// base URL of the Xen 4.10 tree, e.g. ${MIRRORS.vault}`);
  }
  const host = hostOf(/^[a-z]+:\/\/([^/]*)/.exec(url)?.[1] ?? '') ?? '';
  return { name, url, host, warnings: mirrorWarnings(name, url, host) };
}

function normaliseUrl(raw: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw invalidUrl(raw, `has the scheme "${shown(scheme ?? '')}"; yum mirrors are http or https`, PRESET_HINT);
  if (/\s/.test(raw)) throw invalidUrl(raw, 'contains whitespace', 'percent-encode spaces (%20) or remove them');
  if (/["'`]/.test(raw)) throw invalidUrl(raw, 'contains a quote', 'remove the quotes around the URL');
  if (raw.includes('$')) throw invalidUrl(raw, 'contains "$", which yum expands as a variable', 'write the path out: 6.10 and x86_64 ($releasever is 6 on CentOS 6)');
  if (raw.includes('#')) throw invalidUrl(raw, 'has a fragment', 'give the base URL of the tree without #…');
  if (raw.includes('?')) throw invalidUrl(raw, 'has a query string', 'give the base URL of the tree without ?…; never a mirrorlist');
  if (!URL_CHARS.test(raw)) throw invalidUrl(raw, 'contains characters a URL may not have', 'percent-encode them, and write an IDN host in its xn-- form');
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) throw invalidUrl(raw, 'has a "%" that is not a %XX escape', 'percent-encode "%" as %25');
  const m = /^[A-Za-z]+:\/\/([^/]*)(.*)$/.exec(raw);
  if (!m) throw invalidUrl(raw, 'has no host', `write it as ${scheme}://host/path/`);
  const authority = m[1] as string;
  const path = m[2] as string;
  if (authority.includes('@')) throw invalidUrl(raw, 'contains credentials', 'use a mirror that needs no login; the .repo file is world-readable');
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw invalidUrl(raw, 'is not a valid URL', PRESET_HINT);
  }
  if (!parsed.hostname || authority === '' || authority.startsWith(':')) throw invalidUrl(raw, 'has no host', `write it as ${scheme}://host/path/`);
  if (hostOf(authority) === null) throw invalidUrl(raw, 'does not have a valid host name, IP address or port', `write it as ${scheme}://mirror.example.org/path/ (an IDN host in its xn-- form)`);
  const out = `${scheme}://${authority}${path === '' ? '/' : path}`;
  return out.endsWith('/') ? out : `${out}/`;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;

/** The host (lower case) of an authority `host[:port]`, or null when it is not a DNS name, IPv4 or [IPv6] with an optional port 1-65535. */
function hostOf(authority: string): string | null {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return null;
  const host = m[1] as string;
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  if (IPV6.test(host)) return host.toLowerCase();
  if (IPV4.test(host)) return host;
  if (host.length > 253 || !DNS_NAME.test(host)) return null;
  // an all-numeric last label is an IPv4 address in another spelling (http://123/ is 0.0.0.123)
  if (/(?:^|\.)\d+\.?$/.test(host)) return null;
  return host.toLowerCase();
}

function mirrorWarnings(name: MirrorName | null, url: string, host: string): RepoWarning[] {
  const w: RepoWarning[] = [];
  const dead = deadUrlReason(url);
  if (dead) w.push({ code: 'dead-mirror', message: `${url}: ${dead}` });
  if (name === 'tuna' || (host === 'mirrors.tuna.tsinghua.edu.cn' && /^https?:\/\/[^/]+\/centos\/6/.test(url))) {
    w.push({ code: 'moved-mirror', message: `${url}: Tsinghua (TUNA) now serves CentOS 6 under centos-vault/; this path of the source notes is likely gone (preset tuna-vault)` });
  }
  if (url.startsWith('https:')) {
    w.push({ code: 'https-old-tls', message: `${url}: CentOS 6's curl/NSS and CA bundle often fail against modern TLS; prefer http:// (gpgcheck still verifies the packages)` });
  }
  if (!/\/xen-410\/$/.test(url)) {
    w.push({ code: 'not-xen-410-tree', message: `${url}: does not end in /xen-410/; the Xen 4.10 tree of CentOS 6.10 is …/6.10/virt/x86_64/xen-410/` });
  }
  return w;
}
