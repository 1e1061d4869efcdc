/** A complaint Xen printed about its command line while booting. */
export interface XenCmdlineProblem {
  kind: 'unknown' | 'invalid-value' | 'bad-console';
  option: string;
  value?: string;
  /** The dmesg line, without a trailing CR. */
  line: string;
}

const UNKNOWN_RE = /parameter "(.*?)" unknown!/;
const INVALID_RE = /parameter "(.*?)" has invalid value "(.*)", rc=-?\d+!/;
const BAD_CONSOLE_RE = /Bad console= option '(.*)'/;
const CPUFREQ_RE = /cpufreq\/[^:]*: option '(.*)' not recognized/;

/**
 * Find Xen's command-line complaints in `xl dmesg` output: `parameter "X" unknown!`,
 * `parameter "X" has invalid value "V", rc=N!`, `Bad console= option 'V'`, and cpufreq's
 * `cpufreq/<gov>: option 'V' not recognized` (reported as an invalid cpufreq value).
 */
export function findXenCmdlineProblems(dmesg: string): XenCmdlineProblem[] {
  const out: XenCmdlineProblem[] = [];
  for (const raw of dmesg.split('\n')) {
    const line = raw.replace(/\r$/, '');
    let m = INVALID_RE.exec(line);
    if (m !== null) {
      out.push({ kind: 'invalid-value', option: m[1] ?? '', value: m[2] ?? '', line });
      continue;
    }
    m = UNKNOWN_RE.exec(line);
    if (m !== null) {
      out.push({ kind: 'unknown', option: m[1] ?? '', line });
      continue;
    }
    m = BAD_CONSOLE_RE.exec(line);
    if (m !== null) {
      out.push({ kind: 'bad-console', option: 'console', value: m[1] ?? '', line });
      continue;
    }
    m = CPUFREQ_RE.exec(line);
    if (m !== null) out.push({ kind: 'invalid-value', option: 'cpufreq', value: m[1] ?? '', line });
  }
  return out;
}
