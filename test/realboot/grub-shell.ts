// Runs a GRUB Legacy shell (Debian's grub-legacy or Red Hat's grub-0.97-99.el6). Both are 32-bit (i386) programs:
// they run natively where the kernel can run 32-bit programs (CONFIG_IA32_EMULATION), and under `qemu-i386`
// (Debian package qemu-user) where it cannot ("Exec format error"). The choice is made once per process, logged
// once, and can be forced with DOM0UP_REALBOOT_GRUB_EXEC=native|qemu-i386 (auto by default), so the emulated path
// can be tested on any machine.
import { execFile, execFileSync } from 'node:child_process';

export type GrubExecMode = 'native' | 'qemu-i386';

export interface GrubExec {
  mode: GrubExecMode;
  /** why this mode was chosen (for the log and for skip messages) */
  reason: string;
  /** the qemu-i386 binary (when mode is qemu-i386) */
  qemu: string | null;
}

function which(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Does this 32-bit program run natively? (`echo quit | PROG --batch` ends with its own prompt) */
export function runsNatively(shell: string): { ok: boolean; why: string } {
  try {
    const out = execFileSync(shell, ['--batch', '--no-floppy', '--device-map=/nonexistent-dom0up-map'], {
      input: 'quit\n', encoding: 'utf8', timeout: 20_000, stdio: ['pipe', 'pipe', 'pipe'],
    });
    return /grub> quit/.test(out) ? { ok: true, why: 'the kernel runs 32-bit programs' } : { ok: false, why: `unexpected output: ${out.slice(-200)}` };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOEXEC') return { ok: false, why: 'Exec format error: this kernel cannot run 32-bit programs (no IA32 emulation)' };
    return { ok: false, why: `${err.code ?? ''} ${err.message}`.trim() };
  }
}

const decided = new Map<string, GrubExec>();
let logged = false;

/** How to run the 32-bit GRUB shell `shell` on this machine (decided once per binary, logged once). */
export function grubExec(shell: string, log: (line: string) => void = (l) => console.log(l)): GrubExec {
  const forced = process.env.DOM0UP_REALBOOT_GRUB_EXEC;
  const key = `${forced ?? 'auto'}:${shell}`;
  const hit = decided.get(key);
  if (hit) return hit;
  let ex: GrubExec;
  if (forced === 'qemu-i386') {
    const q = which('qemu-i386');
    if (!q) throw new Error('DOM0UP_REALBOOT_GRUB_EXEC=qemu-i386 but qemu-i386 is not installed (Debian package qemu-user)');
    ex = { mode: 'qemu-i386', reason: 'forced by DOM0UP_REALBOOT_GRUB_EXEC=qemu-i386', qemu: q };
  } else if (forced === 'native') {
    ex = { mode: 'native', reason: 'forced by DOM0UP_REALBOOT_GRUB_EXEC=native', qemu: null };
  } else if (forced && forced !== 'auto') {
    throw new Error(`DOM0UP_REALBOOT_GRUB_EXEC=${forced}: use native, qemu-i386 or auto`);
  } else {
    const n = runsNatively(shell);
    if (n.ok) ex = { mode: 'native', reason: n.why, qemu: null };
    else {
      const q = which('qemu-i386');
      if (!q) throw new Error(`the 32-bit GRUB shell cannot run here (${n.why}) and qemu-i386 is missing: apt-get install qemu-user`);
      ex = { mode: 'qemu-i386', reason: n.why, qemu: q };
    }
  }
  decided.set(key, ex);
  if (!logged) {
    logged = true;
    log(`realboot: GRUB shells run ${ex.mode === 'native' ? 'natively' : `under ${ex.qemu}`} (${ex.reason})`);
  }
  return ex;
}

/** argv to run `shell args…` in the chosen mode */
export function grubArgv(ex: GrubExec, shell: string, args: string[]): [string, string[]] {
  return ex.mode === 'native' ? [shell, args] : [ex.qemu!, [shell, ...args]];
}

/** Run a GRUB shell in batch mode with `script` on stdin. The shell exits 0 even on errors: callers check the text. */
export function runGrubShell(shell: string, args: string[], script: string, ex = grubExec(shell)): Promise<string> {
  const [cmd, argv] = grubArgv(ex, shell, args);
  return new Promise<string>((resolve, reject) => {
    const child = execFile(cmd, argv, { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`grub shell failed (${ex.mode}): ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout + stderr);
    });
    child.stdin?.end(script);
  });
}
