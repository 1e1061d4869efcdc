/**
 * The package's `templates/` directory: found relative to this module (it sits at the
 * package root, two levels above both `src/repo/` and `dist/repo/`), read once on first use,
 * then served from memory. Nunjucks renders with autoescape off and undefined = error.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { TemplateError } from './template-error.js';

/** A file every templates directory of this package has; used to recognise it. */
const MARKER = 'xen4centos.repo.njk';
const MAX_LEVELS = 5;

let cache: { dir: string; files: ReadonlyMap<string, string>; compiled: Map<string, nunjucks.Template> } | undefined;

const env = new nunjucks.Environment(null, {
  autoescape: false,
  throwOnUndefined: true,
  trimBlocks: true,
  lstripBlocks: true,
});

/** Walks up from this module to the first directory that has `templates/<MARKER>`. */
export function findTemplatesDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i <= MAX_LEVELS; i++) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, MARKER))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new TemplateError(
    'templates-missing',
    from,
    `no templates/ directory with ${MARKER} above ${from}`,
    'the package ships templates/ at its root; reinstall dom0up',
  );
}

function load() {
  if (cache) return cache;
  const dir = findTemplatesDir();
  const files = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files.set(name, readFileSync(path, 'utf8'));
  }
  cache = { dir, files, compiled: new Map() };
  return cache;
}

/** The text of a file in templates/, exactly as shipped. */
export function templateFile(name: string): string {
  const text = load().files.get(name);
  if (text === undefined) {
    throw new TemplateError('templates-missing', name, `templates/${name} is missing`, 'the package ships templates/ at its root; reinstall dom0up');
  }
  return text;
}

/** Renders templates/<name> with `context`. Same input, same bytes. */
export function renderTemplate(name: string, context: Record<string, string | number | boolean>): string {
  const c = load();
  let t = c.compiled.get(name);
  if (!t) {
    t = new nunjucks.Template(templateFile(name), env, name, true);
    c.compiled.set(name, t);
  }
  try {
    return t.render(context);
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
    throw new TemplateError('render-failed', name, `templates/${name} failed to render: ${msg}`, 'this is a bug in dom0up or a modified templates/ directory');
  }
}
