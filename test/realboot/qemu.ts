// Runs one QEMU (TCG) boot of a disk image and watches its serial log.
// - The serial line goes to a file; QEMU gets no stdin. SeaBIOS's serial console (sercon) is switched on and no VGA
//   is emulated, so GRUB's screen (menu, `Error 15: File not found`) reaches the serial log even for configs that
//   have no `serial`/`terminal` lines (CentOS's don't).
// - A watcher kills QEMU by its PID: on a GRUB error or GRUB prompt (GRUB would wait forever), after a panic when
//   the guest does not reset by itself, after the dom0 report when the guest does not power off, and on the hard
//   timeout. QEMU is started through `setpriv --pdeathsig KILL`, so it also dies if this process dies.
// - QMP events are recorded: SHUTDOWN tells a guest poweroff (`guest-shutdown`) from a reset (`guest-reset`,
//   e.g. Xen rebooting after "Hardware Dom0 crashed"; -no-reboot turns it into an exit).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readSync, readFileSync, writeFileSync, appendFileSync, fstatSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cleanSerial } from './serial.js';

export type KillReason = 'timeout' | 'bootloader-error' | 'grub-prompt' | 'panic-no-reset' | 'report-no-poweroff' | 'aborted';

export interface QemuOptions {
  image: string;
  runDir: string;
  serialLog: string;
  memMiB: number;
  cpus: number;
  timeoutMs: number;
  /** keys to type at GRUB's menu (QMP send-key), e.g. to pick an entry without touching grub.conf */
  menuKeys?: string[];
  signal?: AbortSignal;
  /** 'tcg' (default) or 'kvm' (only where the set-up's probe boot showed that KVM boots this stack) */
  accel?: 'tcg' | 'kvm';
  /** false: the guest writes to the image (GRUB's own write of the stage2 word must survive for the next boot) */
  snapshot?: boolean;
  /**
   * true: a guest reset reboots the machine (no -no-reboot), as a real host's firmware does after Xen resets it;
   * the run ends with the next boot's report and poweroff. Default false: a reset ends the run.
   */
  allowReset?: boolean;
}

export interface QemuResult {
  pid: number | null;
  exitCode: number | null;
  exitSignal: string | null;
  killedBy: KillReason | null;
  /** QMP SHUTDOWN event reason, e.g. guest-shutdown, guest-reset; null if none was seen */
  shutdownReason: string | null;
  /** guest resets the machine survived (allowReset) */
  resets: number;
  /** peak resident set of the QEMU process (VmHWM), KiB */
  maxRssKiB: number | null;
  /** ms after QEMU start when each milestone was first seen on the serial line */
  marks: Partial<Record<Milestone, number>>;
  wallMs: number;
  stderr: string;
}

export type Milestone = 'serial' | 'grub' | 'grubBooting' | 'xen' | 'report' | 'reportEnd' | 'grubError' | 'panic' | 'menuKeysSent';

const MILESTONES: [Milestone, RegExp][] = [
  ['grub', /GRUB Loading stage2|Press `ESC' to enter the menu|Press any key to enter the menu|GNU GRUB\s+version/],
  ['grubBooting', /Booting '/],
  ['xen', /\(XEN\) /],
  ['report', /=== TEST-BEGIN/],
  ['reportEnd', /=== TEST-END/],
  ['grubError', /Error \d+: /],
  ['panic', /Kernel panic - not syncing|Hardware Dom0 crashed|Panic on CPU \d+/],
];

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) if (c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
}

function vmHwmKiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

class Qmp {
  private sock: net.Socket | null = null;
  private buf = '';
  shutdownReason: string | null = null;
  /** guest resets that rebooted the machine (QMP RESET events; only without -no-reboot) */
  resets = 0;
  constructor(private readonly socketPath: string, private readonly eventLog: string) {}

  async connect(deadlineMs: number): Promise<void> {
    while (Date.now() < deadlineMs) {
      if (existsSync(this.socketPath)) {
        const ok = await new Promise<boolean>((resolve) => {
          const s = net.connect(this.socketPath);
          s.once('connect', () => { this.sock = s; resolve(true); });
          s.once('error', () => resolve(false));
        });
        if (ok && this.sock) {
          this.sock.setEncoding('utf8');
          this.sock.on('data', (d: string) => this.onData(d));
          this.sock.on('error', () => { /* QEMU went away */ });
          this.send({ execute: 'qmp_capabilities' });
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      appendFileSync(this.eventLog, line + '\n');
      try {
        const msg = JSON.parse(line) as { event?: string; data?: { reason?: string } };
        if (msg.event === 'SHUTDOWN' && this.shutdownReason === null) this.shutdownReason = msg.data?.reason ?? 'unknown';
        if (msg.event === 'RESET' && msg.data?.reason === 'guest-reset') this.resets += 1;
      } catch { /* not JSON */ }
    }
  }

  send(cmd: object): void {
    this.sock?.write(JSON.stringify(cmd) + '\n');
  }

  sendKey(key: string): void {
    this.send({ execute: 'send-key', arguments: { keys: [{ type: 'qcode', data: key }] } });
  }

  close(): void {
    this.sock?.destroy();
  }
}

export async function runQemu(o: QemuOptions): Promise<QemuResult> {
  installExitHook();
  writeFileSync(o.serialLog, '');
  const sercon = path.join(o.runDir, 'sercon-port.bin');
  writeFileSync(sercon, Buffer.from([0xf8, 0x03])); // SeaBIOS etc/sercon-port = 0x3f8 (COM1), little-endian
  const qmpSock = path.join(o.runDir, 'qmp.sock');
  const qmpPath = qmpSock.length < 100 ? qmpSock : null; // sun_path limit
  const args = [
    '--pdeathsig', 'KILL', '--',
    'qemu-system-x86_64',
    '-accel', o.accel ?? 'tcg', '-cpu', 'qemu64', // -cpu max breaks PV dom0 under TCG
    '-m', String(o.memMiB), '-smp', String(o.cpus),
    ...(o.allowReset ? [] : ['-no-reboot']), '-display', 'none', '-vga', 'none', '-monitor', 'none', '-net', 'none',
    '-serial', `file:${o.serialLog}`,
    '-fw_cfg', `name=etc/sercon-port,file=${sercon}`,
    '-drive', `file=${o.image},format=raw,if=ide,index=0${o.snapshot === false ? '' : ',snapshot=on'}`,
    '-boot', 'c',
    ...(qmpPath ? ['-qmp', `unix:${qmpPath},server=on,wait=off`] : []),
  ];
  writeFileSync(path.join(o.runDir, 'qemu-cmdline.txt'), ['setpriv', ...args].join(' ') + '\n');
  const t0 = Date.now();
  const child = spawn('setpriv', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => { stderr += String(err); resolve({ code: null, signal: null }); });
  });
  let running = true;
  void exited.then(() => { running = false; live.delete(child); });

  const qmp = qmpPath ? new Qmp(qmpPath, path.join(o.runDir, 'qmp-events.jsonl')) : null;
  if (qmp) await qmp.connect(Date.now() + 3000);

  const marks: QemuResult['marks'] = {};
  let killedBy: KillReason | null = null;
  let killAt: number | null = null;
  let killWhy: KillReason | null = null;
  let maxRss: number | null = null;
  let text = '';
  let offset = 0;
  let menuKeysPending = (o.menuKeys?.length ?? 0) > 0;
  const fd = openSync(o.serialLog, 'r');
  const chunk = Buffer.alloc(1 << 16);

  const scheduleKill = (why: KillReason, afterMs: number) => {
    const at = Date.now() + afterMs;
    if (killAt === null || at < killAt) { killAt = at; killWhy = why; }
  };
  const kill = (why: KillReason) => {
    if (!running || killedBy) return;
    killedBy = why;
    if (child.pid) {
      try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
      const pid = child.pid;
      setTimeout(() => { if (running) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, 3000).unref();
    }
  };
  const onAbort = () => kill('aborted');
  o.signal?.addEventListener('abort', onAbort);

  try {
    while (running) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 200))]);
      if (child.pid && running) {
        const rss = vmHwmKiB(child.pid);
        if (rss !== null) maxRss = Math.max(maxRss ?? 0, rss);
      }
      // read what the serial line added
      for (;;) {
        const size = fstatSync(fd).size;
        if (size <= offset) break;
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
        if (n <= 0) break;
        offset += n;
        text += chunk.subarray(0, n).toString('latin1');
      }
      const now = Date.now() - t0;
      if (offset > 0 && marks.serial === undefined) marks.serial = now;
      const clean = cleanSerial(text);
      const reportAt = clean.indexOf('=== TEST-BEGIN');
      const beforeReport = reportAt < 0 ? clean : clean.slice(0, reportAt);
      for (const [m, re] of MILESTONES) {
        // Xen's and GRUB's own lines count only before dom0's report (its `xl dmesg` repeats Xen's log)
        const hay = m === 'xen' || m === 'grubError' ? beforeReport : clean;
        if (marks[m] === undefined && re.test(hay)) marks[m] = now;
      }
      if (menuKeysPending && qmp && /Press `ESC' to enter the menu|Press any key to enter the menu|Use the \^ and v keys/.test(clean)) {
        menuKeysPending = false;
        for (const k of o.menuKeys ?? []) {
          qmp.sendKey(k);
          await new Promise((r) => setTimeout(r, 150));
        }
        marks.menuKeysSent = Date.now() - t0;
      }
      if (marks.grubError !== undefined && marks.xen === undefined && marks.report === undefined) scheduleKill('bootloader-error', 1500);
      if (/(^|\n)grub> /.test(clean) && marks.report === undefined) scheduleKill('grub-prompt', 1500);
      // Xen resets 5 s after a dom0 crash; with allowReset the machine then boots again (the watcher waits for that
      // boot's report, or the hard timeout)
      if (marks.panic !== undefined && !o.allowReset) scheduleKill('panic-no-reset', 10_000);
      if (marks.reportEnd !== undefined) scheduleKill('report-no-poweroff', 20_000);
      if (now > o.timeoutMs) scheduleKill('timeout', 0);
      if (killAt !== null && Date.now() >= killAt && killWhy) kill(killWhy);
    }
    const { code, signal } = await exited;
    // drain the serial file once more
    for (;;) {
      const size = fstatSync(fd).size;
      if (size <= offset) break;
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
      if (n <= 0) break;
      offset += n;
    }
    await new Promise((r) => setTimeout(r, 50)); // let the last QMP event arrive
    return {
      pid: child.pid ?? null,
      exitCode: code,
      exitSignal: signal,
      killedBy,
      shutdownReason: qmp?.shutdownReason ?? null,
      resets: qmp?.resets ?? 0,
      maxRssKiB: maxRss,
      marks,
      wallMs: Date.now() - t0,
      stderr,
    };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    closeSync(fd);
    qmp?.close();
    if (running && child.pid) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
