/**
 * LocalTransport: runs `/bin/sh -c <script>` on this machine. Used for offline work on local files
 * and in tests. `sudo: true` is refused unless the process already runs as root (then a no-op).
 */
import { spawn } from 'node:child_process';
import { abortError, TransportError } from './errors.js';
import type { CloseReason, ExecOptions, ExecResult, Transport } from './transport.js';

export interface LocalTransportOptions {
  /** Display name (default "local"). */
  target?: string;
  /** Shell to run scripts with (default /bin/sh). */
  shell?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class LocalTransport implements Transport {
  readonly target: string;
  roundTrips = 0;
  private readonly shell: string;
  private readonly cwd: string | undefined;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private closed = false;
  private readonly closeCbs: ((reason: CloseReason, err?: Error) => void)[] = [];
  private readonly running = new Set<number>();

  constructor(opts: LocalTransportOptions = {}) {
    this.target = opts.target ?? 'local';
    this.shell = opts.shell ?? '/bin/sh';
    this.cwd = opts.cwd;
    this.env = opts.env;
  }

  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new TransportError('lost', this.target, 'transport is closed'));
    if (opts.sudo && process.getuid?.() !== 0) {
      return Promise.reject(
        new TransportError('sudo-failed', this.target, 'sudo is not available on the local transport unless dom0up runs as root', {
          hint: 'run as root, or work on a copy of the file that you can write',
        }),
      );
    }
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    if (script.includes('\0')) {
      return Promise.reject(new TransportError('unsafe-argument', this.target, 'the script contains a NUL character'));
    }
    this.roundTrips++;
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      // Own process group, so a timeout can kill the whole tree the script started.
      const child = spawn(this.shell, ['-c', script], {
        cwd: this.cwd,
        env: this.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let aborted = false;
      let timer: NodeJS.Timeout | undefined;
      const pid = child.pid;
      if (pid !== undefined) this.running.add(pid);

      const killTree = (): void => {
        if (pid === undefined) return;
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          try {
            child.kill('SIGKILL');
          } catch {
            /* already gone */
          }
        }
      };
      const onAbort = (): void => {
        aborted = true;
        killTree();
      };
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          killTree();
        }, opts.timeoutMs);
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout.on('data', (c: Buffer) => {
        out.push(c);
        opts.onStdout?.(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        err.push(c);
        opts.onStderr?.(c);
      });
      child.stdin.on('error', () => {
        /* EPIPE when the script does not read its stdin */
      });
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (pid !== undefined) this.running.delete(pid);
        reject(new TransportError('config', this.target, `cannot run ${this.shell}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (pid !== undefined) this.running.delete(pid);
        if (aborted) {
          reject(abortError(opts.signal));
          return;
        }
        resolve({
          code: timedOut ? null : code,
          signal: timedOut ? null : signal,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
          lost: false,
          timedOut,
          durationMs: performance.now() - started,
        });
      });
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pid of this.running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const cb of this.closeCbs.splice(0)) cb('closed');
  }

  onClose(cb: (reason: CloseReason, err?: Error) => void): void {
    if (this.closed) queueMicrotask(() => cb('closed'));
    else this.closeCbs.push(cb);
  }
}
