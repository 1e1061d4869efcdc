// The shipped bin (dist/bin/dom0up.js, bundled by esbuild with an ASCII fast path for
// string-width) behaves exactly like the unbundled build. `npm test` builds first.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = root + 'dist/bin/dom0up.js';
const plain = root + 'dist/main.js';
const built = existsSync(bin) && existsSync(plain);

describe.skipIf(!built)('the bundled bin', () => {
  it.each([{ args: ['--help'] }, { args: ['apply', '--help'] }, { args: ['grub', 'plan', '--help'] }])('$args: the same help text as the unbundled build', ({ args }) => {
    const env = { ...process.env, COLUMNS: '100', NO_COLOR: '1' };
    const a = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
    const b = spawnSync(process.execPath, [plain, ...args], { env, encoding: 'utf8' });
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/Exit codes:/);
  });
  it('runs grub plan and exits with the right code', () => {
    const out = execFileSync(process.execPath, [bin, 'grub', 'plan', root + 'golden/fresh-after-yum/input.conf', '--dom0-mem', '1024M'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toMatch(/^--- a\/etc\/grub\.conf$/m);
    const r = spawnSync(process.execPath, [bin, 'grub', 'plan', root + 'golden/fresh-after-yum/input.conf', '--dom0-mem', '1024'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^dom0up: error: .*KiB/m);
  });
});
