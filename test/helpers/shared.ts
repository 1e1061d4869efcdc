// The workplace's shared material (../shared/corpus next to the repository, or in any parent
// directory of it; DOM0UP_CORPUS_DIR overrides). It is read in place, never copied in.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

export function findCorpus(): string | null {
  const env = process.env.DOM0UP_CORPUS_DIR;
  if (env) return existsSync(env) ? path.resolve(env) + path.sep : null;
  for (let dir = path.resolve(repo); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'corpus');
    if (existsSync(path.join(candidate, 'grubby'))) return candidate + path.sep;
    if (path.dirname(dir) === dir) return null;
  }
}

export const corpusDir = findCorpus();
if (!corpusDir) console.warn('\n*** grub corpus not found (../shared/corpus or DOM0UP_CORPUS_DIR): corpus tests are SKIPPED ***\n');
