// Bundles the CLI entry (dist/bin/dom0up.js) so `dom0up grub plan` starts fast: loading
// yargs and its help-text dependencies as hundreds of separate modules cost ~100 ms.
// Commands stay lazy (code splitting); packages only the SSH commands need stay external.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// string-width → an ASCII fast path in front of the real module (see fast-string-width.mjs)
const fastStringWidth = {
  name: 'fast-string-width',
  setup(b) {
    // b.resolve() runs every plugin's onResolve again: the inner look-up of the real module is marked so
    // the first rule lets it through (without the mark it resolved to the wrapper itself and recursed).
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      args.pluginData?.realStringWidth ? undefined : { path: fileURLToPath(new URL('./fast-string-width.mjs', import.meta.url)) });
    b.onResolve({ filter: /^string-width\/index\.js$/ }, async (args) => {
      const r = await b.resolve('string-width', { kind: args.kind, resolveDir: root, pluginData: { realStringWidth: true } });
      if (r.errors.length > 0 || r.path.endsWith('fast-string-width.mjs')) throw new Error(`fast-string-width: cannot resolve the real string-width (${r.path})`);
      return { path: r.path };
    });
  },
};
const { rm } = await import('node:fs/promises');
await rm(new URL('../dist/bin', import.meta.url), { recursive: true, force: true }); // no stale chunks
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
  plugins: [fastStringWidth],
});
const { chmod } = await import('node:fs/promises');
await chmod(new URL('../dist/bin/dom0up.js', import.meta.url), 0o755);
