// The pure Xen module: hypervisor command-line options (Xen 4.10) and `xl` output parsers.
export { XenOptionError, XlParseError, printable, type XenOptionErrorCode } from './xen-option-error.js';
export {
  KNOWN_XEN_OPTIONS,
  BOOLEAN_XEN_OPTIONS,
  BOOLEAN_LIKE_XEN_OPTIONS,
  isKnownXenOption,
  isBooleanXenOption,
} from './known-xen-options.js';
export {
  tokenizeXenArgs,
  formatXenArgs,
  parseXenToken,
  makeXenToken,
  canonicalName,
  lexXenArgs,
  type XenToken,
  type XenArgPiece,
} from './tokenize-xen-args.js';
export { suggestXenOption, damerauLevenshtein } from './suggest-xen-option.js';
export { parseSizeToKiB, simpleStrtoull } from './parse-size-to-kib.js';
export {
  validateXenToken,
  parseXenBool,
  XEN_MAX_TOKEN_LENGTH,
  type XenWarning,
  type XenWarningCode,
  type XenHostInfo,
  type ValidateXenOptions,
} from './validate-xen-token.js';
export { lintXenArgs, XEN_MAX_CMDLINE_LENGTH } from './lint-xen-args.js';
export { buildXenChanges, withMemMax, type Dom0Request, type XenChanges } from './build-xen-changes.js';
export { applyXenChanges, xenKey } from './apply-xen-changes.js';
export { xenArgsSatisfy, effectiveXenValue } from './xen-args-satisfy.js';
export { expectedDom0, type ExpectedDom0 } from './expected-dom0.js';
export { parseXlList, type XlDomain } from './parse-xl-list.js';
export { parseXlInfo, type XlInfo } from './parse-xl-info.js';
export { parseXlVcpuList, type XlVcpu } from './parse-xl-vcpu-list.js';
export { parseCpuSet, formatCpuSet } from './parse-cpu-set.js';
export { checkPinning, type VcpuPinning, type PinningCheck } from './check-pinning.js';
export { findXenCmdlineProblems, type XenCmdlineProblem } from './find-xen-cmdline-problems.js';
export { classifyXlFailure, type XlFailure } from './classify-xl-failure.js';
export { MAX_XEN_CPUS, MAX_XEN_CPU_ID, MAX_XEN_VCPUS, MAX_XEN_DOMID, MAX_XEN_MEMORY_MIB, boundedInt } from './limits.js';
