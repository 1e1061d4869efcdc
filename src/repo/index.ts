// Repository and sysconfig rendering: the tool's .repo file and the Virt SIG key, mirror
// presets, reading the host's repo files, and the sysconfig/xl.conf edits. Pure, except
// that templates/ is read once on first use.
export { TemplateError, type TemplateErrorCode } from './template-error.js';
export {
  MIRRORS,
  MIRROR_NAMES,
  DEFAULT_MIRROR,
  isMirrorName,
  resolveMirror,
  deadUrlReason,
  type MirrorName,
  type ResolvedMirror,
  type RepoWarning,
  type RepoWarningCode,
} from './mirrors.js';
export {
  renderRepoFile,
  renderGpgKey,
  validateRepoId,
  DEFAULT_REPO_ID,
  REPO_DIR,
  GPG_KEY_NAME,
  GPG_KEY_PATH,
  GPG_KEY_URL,
  VIRT_SIG_KEY,
  type RepoFileOptions,
  type RenderedFile,
  type RenderedRepoFile,
} from './render-repo-file.js';
export { parseRepoFile, yumBool, yumList, type RepoFile, type RepoSection, type RepoParseProblem } from './parse-repo-file.js';
export {
  auditRepos,
  findXenRepo,
  type RepoAudit,
  type RepoAuditEntry,
  type RepoFileInput,
  type AuditOptions,
  type DeadCode,
  type XenRepoMatch,
} from './audit-repos.js';
export {
  updateXenKernelSysconfig,
  parseXenKernelSysconfig,
  updateKernelSysconfig,
  parseKernelSysconfig,
  setKernelUpdateDefault,
  setXlConfAutoballoon,
  readXlConfAutoballoon,
  XEN_KERNEL_SYSCONFIG_PATH,
  KERNEL_SYSCONFIG_PATH,
  XL_CONF_PATH,
  DEFAULT_HYPERVISOR,
  type XenKernelSysconfig,
  type KernelSysconfig,
  type KernelHypervisor,
  type AutoballoonMode,
} from './sysconfig.js';
export { parseShellVars, shellWordValue } from './shell-vars.js';
export { findTemplatesDir } from './templates.js';
