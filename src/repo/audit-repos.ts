/**
 * What the yum repositories of a CentOS 6 host point at: the Xen 4.10 tree, and sources that
 * can no longer answer (which make every later yum call fail or stall).
 */
import { deadUrlReason } from './mirrors.js';
import { parseRepoFile, yumBool, yumList, type RepoParseProblem } from './parse-repo-file.js';

export interface RepoFileInput {
  readonly path: string;
  readonly text: string;
}

export type DeadCode = 'dead-url' | 'no-url';

export interface RepoAuditEntry {
  readonly file: string;
  readonly id: string;
  readonly baseurls: readonly string[];
  readonly mirrorlist: string | null;
  /** yum's default for a repo section is enabled. */
  readonly enabled: boolean;
  /** null when the section does not say (yum then uses [main] of yum.conf; CentOS ships gpgcheck=1). */
  readonly gpgcheck: boolean | null;
  readonly gpgkey: readonly string[];
  /** A baseurl in a …/xen-410 tree, or a mirrorlist for repo=virt-xen-410. */
  readonly xen410: boolean;
  /** Set when no source of the section can still answer; says why. */
  readonly dead?: string;
  readonly deadCode?: DeadCode;
}

export interface RepoAudit {
  readonly entries: readonly RepoAuditEntry[];
  /** Lines yum cannot parse, per file (yum refuses such a file). */
  readonly problems: readonly (RepoParseProblem & { file: string })[];
}

export interface AuditOptions {
  /** Also list disabled sections (default: only enabled ones). */
  includeDisabled?: boolean;
}

/** Sections yum skips in repo files. */
const NOT_REPOS = new Set(['main', 'installonly']);

const XEN410_URL = /\/xen-410(?:\/|$)/;
const XEN410_MIRRORLIST = /[?&]repo=virt-xen-410(?:&|$)/;

export function auditRepos(files: readonly RepoFileInput[], opts: AuditOptions = {}): RepoAudit {
  const entries: RepoAuditEntry[] = [];
  const problems: (RepoParseProblem & { file: string })[] = [];
  for (const f of files) {
    const parsed = parseRepoFile(f.text);
    for (const p of parsed.problems) problems.push({ ...p, file: f.path });
    for (const s of parsed.sections) {
      if (NOT_REPOS.has(s.id)) continue;
      // yum accepts letters, digits and - _ . : in a repo id ("Bad id for repo" otherwise) and skips the
      // section; such an id (a file from a hostile host) never reaches a yum command line either
      if (!/^[A-Za-z0-9._:-]{1,200}$/.test(s.id)) {
        problems.push({ file: f.path, line: s.line, message: `[${JSON.stringify(s.id.slice(0, 40)).slice(1, -1)}] is not a repo id yum accepts (letters, digits and - _ . :); yum skips it` });
        continue;
      }
      const enabled = yumBool(s.keys.get('enabled')) ?? true;
      if (!enabled && !opts.includeDisabled) continue;
      const baseurls = yumList(s.keys.get('baseurl'));
      const mirrorlist = s.keys.get('mirrorlist')?.trim() || null;
      const gpgcheck = yumBool(s.keys.get('gpgcheck')) ?? null;
      const gpgkey = yumList(s.keys.get('gpgkey'));
      const xen410 = baseurls.some((u) => XEN410_URL.test(u)) || (mirrorlist !== null && (XEN410_MIRRORLIST.test(mirrorlist) || XEN410_URL.test(mirrorlist)));
      const entry: RepoAuditEntry = { file: f.path, id: s.id, baseurls, mirrorlist, enabled, gpgcheck, gpgkey, xen410 };
      const dead = deadness(baseurls, mirrorlist);
      entries.push(dead ? { ...entry, dead: dead.reason, deadCode: dead.code } : entry);
    }
  }
  return { entries, problems };
}

/** Dead when every source is dead: yum falls back between baseurls and the mirrorlist. */
function deadness(baseurls: readonly string[], mirrorlist: string | null): { code: DeadCode; reason: string } | null {
  const sources = [...baseurls, ...(mirrorlist === null ? [] : [mirrorlist])];
  if (sources.length === 0) return { code: 'no-url', reason: 'no baseurl and no mirrorlist (yum: "Cannot find a valid baseurl")' };
  const reasons: string[] = [];
  for (const u of sources) {
    const r = deadUrlReason(u);
    if (r === null) return null;
    if (!reasons.includes(r)) reasons.push(r);
  }
  return { code: 'dead-url', reason: reasons.join('; ') };
}

export interface XenRepoMatch {
  /** The enabled section with the tool's repo id (the first one, when yum sees it more than once). */
  readonly own: RepoAuditEntry | null;
  /** Other sections with the same id: yum warns "listed more than once" and uses one of them. */
  readonly duplicates: readonly RepoAuditEntry[];
  /** Other sections that serve the Xen 4.10 tree (e.g. centos-release-xen's centos-virt-xen-410). */
  readonly others: readonly RepoAuditEntry[];
}

function isEntryList(a: RepoAudit | readonly RepoAuditEntry[]): a is readonly RepoAuditEntry[] {
  return Array.isArray(a);
}

export function findXenRepo(audit: RepoAudit | readonly RepoAuditEntry[], repoId: string): XenRepoMatch {
  const entries: readonly RepoAuditEntry[] = isEntryList(audit) ? audit : audit.entries;
  const same = entries.filter((e) => e.id === repoId);
  return {
    own: same[0] ?? null,
    duplicates: same.slice(1),
    others: entries.filter((e) => e.id !== repoId && e.xen410),
  };
}
