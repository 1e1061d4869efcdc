import { spawnSync } from 'node:child_process';

/** A python3 (>= 3.10) to compare against, or undefined (the differential tests are then skipped). */
export const PYTHON: string | undefined = (() => {
  for (const bin of ['python3', 'python']) {
    const r = spawnSync(bin, ['-c', 'import sys; print(sys.version_info >= (3, 10))'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === 'True') return bin;
  }
  return undefined;
})();

/** Run a python script that reads JSON from stdin and prints JSON. */
export function python(script: string, input: unknown): unknown {
  const r = spawnSync(PYTHON as string, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Ansible's INI `_parse_value` + `_parse_recursive_coerce_types_and_tag`, minus the tagging. */
export const ANSIBLE_PARSE_VALUE = `
import ast, json, sys, warnings
def coerce(v):
    if isinstance(v, bytes):
        return v.decode('utf-8', 'replace')
    if isinstance(v, (list, tuple, set)):
        return [coerce(x) for x in v]
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else json.dumps(coerce(k))): coerce(x) for k, x in v.items()}
    if v is ...:
        return '...'
    if isinstance(v, complex):
        return str(v)
    return v
def parse_value(v):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', SyntaxWarning)
            v = ast.literal_eval(v)
    except (ValueError, SyntaxError):
        pass
    except (TypeError, MemoryError, RecursionError):
        return {'__error__': True}
    return coerce(v)
out = []
for s in json.load(sys.stdin):
    r = parse_value(s)
    # ints beyond 2**53 are not comparable with JS numbers
    out.append(r if not (isinstance(r, int) and not isinstance(r, bool) and abs(r) > 2**53) else {'__bigint__': True})
print(json.dumps(out))
`;

export const PY_SHLEX = `
import json, shlex, sys
out = []
for s in json.load(sys.stdin):
    try:
        out.append(shlex.split(s, comments=True, posix=True))
    except ValueError:
        out.append(None)
print(json.dumps(out))
`;

/**
 * Ansible's command-line tools (Debian's `ansible` package), or undefined. Tests that compare with
 * Ansible run when it is there; in CI (`CI` set) they run anyway, so that a missing Ansible fails
 * instead of silently skipping (.ci/run installs it).
 */
export const ANSIBLE_BIN_DIR: string | undefined = (() => {
  const r = spawnSync('ansible-inventory', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const w = spawnSync('sh', ['-c', 'command -v ansible-inventory'], { encoding: 'utf8' });
  const p = w.stdout.trim();
  return p ? p.slice(0, p.lastIndexOf('/')) : undefined;
})();
export const RUN_ANSIBLE_TESTS = ANSIBLE_BIN_DIR !== undefined || !!process.env.CI;
export const ANSIBLE_MISSING = 'Ansible is not installed (apt-get install ansible; .ci/run does it): in CI the Ansible comparisons must run';
