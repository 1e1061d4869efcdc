// Bundles the CLI entry (dist/bin/dom0up.js) so `dom0up grub plan` starts fast: loading
// yargs and its help-text dependencies as hundreds of separate modules cost ~100 ms.
// Commands stay lazy (code splitting); packages only the SSH commands need stay external.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { dom0up: 'src/main.ts' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['ssh2', 'nunjucks', 'ora', 'cpu-features'],
  banner: { js: "import { createRequire as __dom0upRequire } from 'node:module'; const require = __dom0upRequire(import.meta.url);" },
  logLevel: 'warning',
});
const { chmod } = await import('node:fs/promises');
await chmod(new URL('../dist/bin/dom0up.js', import.meta.url), 0o755);
