// CI honesty: in CI (CI set to anything but '', 'false' or '0') a missing tier, corpus or tool fails
// the run with the reason; on a developer's machine the tests that need it skip themselves.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const inCI = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase());

/** null when `cmd --version` runs, else why not. */
export function toolMissing(cmd: string, args: string[] = ['--version']): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `${cmd} is not installed (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  if (r.status !== 0) return `${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || '').trim().split('\n')[0]}`;
  return null;
}

/** null when gcc builds a shared library (what the test bed's preload needs: gcc and libc headers). */
export function gccMissing(): string | null {
  const gone = toolMissing('gcc');
  if (gone) return gone;
  const d = mkdtempSync(path.join(tmpdir(), 'dom0up-gcc-'));
  try {
    writeFileSync(path.join(d, 'x.c'), '#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\nint tb_x(void) { return dlsym(RTLD_NEXT, "open") != NULL; }\n');
    const r = spawnSync('gcc', ['-shared', '-fPIC', '-o', path.join(d, 'x.so'), path.join(d, 'x.c'), '-ldl'], { encoding: 'utf8' });
    return r.status === 0 ? null : `gcc cannot build a shared library: ${(r.stderr || '').trim().split('\n')[0]} (apt-get install gcc libc6-dev)`;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
