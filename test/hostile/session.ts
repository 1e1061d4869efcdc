// Recorded host sessions and the transports that record and replay them (the hostile-host suite).
//
// A session is every command one dom0up run sent to a simulated CentOS host of the test bed over
// real SSH (test/hostile/record.ts), with the host's exact answers. Replaying it gives dom0up the
// same host without SSH, in milliseconds, and a mutator (mutate.ts) can change any answer: so
// thousands of host behaviours per CI run are cheap, and each one starts from a real host's answers.
//
// Commands are matched by shape, not by position: a script is normalised (nonces, run ids, stamps,
// times, boot ids, hashes and process ids become placeholders) and each shape has a queue of answers
// in recording order. The facts command (one script, many facts between nonce markers) is replayed
// per fact, with the current nonce, so a mutation can hit one fact of the many.
import type { CloseReason, ExecOptions, ExecResult, Transport } from '../../src/transport/index.js';

export interface RecordedResult {
  code: number | null;
  signal: string | null;
  stdout: string; // base64
  stderr: string; // base64
  lost: boolean;
  timedOut: boolean;
}

export interface FactSection {
  name: string;
  stdout: string; // base64 (the bytes between the markers)
  rc: number;
}

export interface RecordedCall {
  /** Which connection (0 = the first; each reconnect adds one). */
  conn: number;
  key: string;
  script: string;
  sudo: boolean;
  timeoutMs: number | null;
  /**
   * The facts command: its sections, replayed per fact with the current nonce, and what the script
   * printed before them (a prefix such as the lock or yum) and after them (base64).
   */
  gather?: { nonce: string; sections: FactSection[]; head?: string; tail?: string };
  result: RecordedResult;
  /** The connection dropped after this answer (e.g. the host went down for the reboot). */
  lostAfter?: boolean;
}

export interface Session {
  name: string;
  description: string;
  kind: 'apply' | 'facts' | 'verify';
  mode: 'apply' | 'tune';
  req: Record<string, unknown>;
  /** The outcome of the recorded run (provisionHost's report.outcome, or 'ok'). */
  outcome: string;
  /** The run's timing options as recorded (some end up in the scripts: replay with the same). */
  timing?: { rebootDeadlineMs: number; xlReadyMs: number };
  /** Who ran it (their lengths end up in the scripts, e.g. the size of the run's meta.json). */
  who?: { controller: string; command: string };
  calls: RecordedCall[];
}

const GATHER_NONCE = /@@([0-9a-f]{16}) /;

/** The shape of a script: everything that changes from run to run replaced by a placeholder. */
export function shapeOf(script: string, sudo: boolean | undefined): string {
  const s = script
    .replace(/@@[0-9a-f]{16}/g, '@@NONCE')
    .replace(/\b[0-9a-f]{16}\b/g, 'NONCE')
    .replace(/\d{8}T\d{6}Z(?:-[0-9a-f]{6})?/g, 'STAMP')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, 'TIME')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/[0-9a-f]{64}/g, 'SHA256')
    .replace(/pid:\[\d+\]/g, 'pid:[NS]')
    .replace(/"pid":\d+/g, '"pid":PID')
    .replace(/"start":"\d+"/g, '"start":"T"')
    .replace(/"controller":"[^"]*"/g, '"controller":"C"')
    .replace(/"command":"[^"]*"/g, '"command":"C"')
    .replace(/\b\d{12,}\b/g, 'MS')
    // the run journal's records describe what happened (durations, counts): their text varies
    .replace(/'\{"t":"TIME"[^']*\}'/g, "'RECORD'")
    // waiting on the host for xl (src/apply/host-scripts.ts waitForXlScript) prints nothing: the facts
    // are the same with or without it, and its length depends on the time left
    .replace(/i=0\nwhile grep -qs control_d \/proc\/xen\/capabilities[^\n]*done\n?/g, '')
    // …and the marker that separates a prefix's output from the facts
    .replace(/printf '\\n@@NONCE facts\\n'\n/g, '');
  return `${sudo ? 'sudo' : 'user'}|${s}`;
}

/** Fact names of a facts command, in order (printf '\n@@NONCE %s\n' NAME). */
export function gatherNames(script: string): { nonce: string; names: string[] } | null {
  const m = GATHER_NONCE.exec(script);
  if (!m) return null;
  const nonce = m[1] as string;
  const names = [...script.matchAll(new RegExp(`printf '\\\\n@@${nonce} %s\\\\n' (\\S+)`, 'g'))].map((x) => x[1] as string);
  return names.length ? { nonce, names } : null;
}

/** The sections of the facts `names` (in that order) and what came before the first and after the last. */
export function splitSections(stdout: Buffer, nonce: string, names: readonly string[]): { sections: FactSection[]; head: Buffer; tail: Buffer } {
  const text = stdout.toString('latin1');
  const sections: FactSection[] = [];
  let at = -1;
  let end = 0;
  for (const name of names) {
    const open = `\n@@${nonce} ${name}\n`;
    const i = text.indexOf(open, end);
    if (i < 0) break;
    if (at < 0) at = i;
    const close = new RegExp(`\\n@@${nonce} rc (\\d+)\\n`, 'g');
    close.lastIndex = i + open.length;
    const m = close.exec(text);
    if (!m) break;
    sections.push({ name, stdout: Buffer.from(text.slice(i + open.length, m.index), 'latin1').toString('base64'), rc: Number(m[1]) });
    end = m.index + m[0].length;
  }
  return { sections, head: Buffer.from(at < 0 ? text : text.slice(0, at), 'latin1'), tail: Buffer.from(at < 0 ? '' : text.slice(end), 'latin1') };
}

export function joinSections(sections: readonly { name: string; stdout: Buffer; rc: number | null }[], nonce: string): Buffer {
  const parts: Buffer[] = [];
  for (const s of sections) {
    parts.push(Buffer.from(`\n@@${nonce} ${s.name}\n`, 'latin1'), s.stdout);
    // a section without an rc line: the command's output was cut off
    if (s.rc !== null) parts.push(Buffer.from(`\n@@${nonce} rc ${s.rc}\n`, 'latin1'));
  }
  return Buffer.concat(parts);
}

export function toRecorded(r: ExecResult): RecordedResult {
  return { code: r.code, signal: r.signal, stdout: r.stdout.toString('base64'), stderr: r.stderr.toString('base64'), lost: r.lost, timedOut: r.timedOut };
}

export function fromRecorded(r: RecordedResult): ExecResult {
  return { code: r.code, signal: r.signal, stdout: Buffer.from(r.stdout, 'base64'), stderr: Buffer.from(r.stderr, 'base64'), lost: r.lost, timedOut: r.timedOut, durationMs: 1 };
}

/** Wraps a real transport and records every command with its answer. */
export class RecordingTransport implements Transport {
  roundTrips = 0;
  constructor(
    private readonly inner: Transport,
    private readonly conn: number,
    private readonly calls: RecordedCall[],
  ) {
    inner.onClose((reason) => {
      if (reason !== 'lost') return;
      const last = [...calls].reverse().find((c) => c.conn === conn);
      if (last) last.lostAfter = true;
    });
  }
  get target(): string {
    return this.inner.target;
  }
  get hostKeySha256(): string | undefined {
    return this.inner.hostKeySha256;
  }
  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.roundTrips++;
    const r = await this.inner.exec(script, opts);
    const call: RecordedCall = { conn: this.conn, key: shapeOf(script, opts.sudo), script, sudo: opts.sudo === true, timeoutMs: opts.timeoutMs ?? null, result: toRecorded(r) };
    const g = gatherNames(script);
    if (g) {
      // the sections are the answer (replayed with the nonce of the replaying run)
      const split = splitSections(r.stdout, g.nonce, g.names);
      call.gather = { nonce: g.nonce, sections: split.sections, head: split.head.toString('base64'), tail: split.tail.toString('base64') };
      call.result.stdout = '';
    }
    this.calls.push(call);
    return r;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  onClose(cb: (reason: CloseReason, err?: Error) => void): void {
    this.inner.onClose(cb);
  }
}

/** One exec as the replaying host saw it: what dom0up asked, what the host answered. */
export interface ReplayedExec {
  conn: number;
  key: string;
  script: string;
  opts: ExecOptions;
  /** The recorded call it was answered from (null: a command the recording does not know). */
  recorded: RecordedCall | null;
  result: ExecResult | null;
  /** The answer was changed by the mutator. */
  mutated: string | null;
  /** Date.now() (fake timers: virtual) when the command was sent and when its answer was complete. */
  startedAt: number;
  endedAt: number | null;
}

/** What the mutator may do to one answer (see mutate.ts). */
export interface AnswerContext {
  /** Index of this exec in the run (0-based). */
  index: number;
  key: string;
  script: string;
  opts: ExecOptions;
  /** The facts command: its sections as the recording has them (mutable copies). */
  sections: { name: string; stdout: Buffer; rc: number | null }[] | null;
  /** What the facts command printed before and after its sections (a prefix's output: the lock, yum). */
  around: { head: Buffer; tail: Buffer } | null;
  nonce: string | null;
}

/**
 * How the hostile host answers: given the recorded answer (or null for an unknown command), return
 * the answer to give, or 'hang' (no answer until the command's own timeout), or 'drop' (the
 * connection drops before an exit status, with the given partial output).
 */
export interface Mutation {
  result: ExecResult;
  label: string | null;
  /** No answer until the command's own timeout (none: never). */
  hang?: boolean;
  /** The connection drops after the output given (no exit status). */
  drop?: boolean;
  /** After the output, this many more bytes of `fill` (streamed in chunks, as a real channel would). */
  flood?: { bytes: number; fill: Buffer };
}

export type Mutator = (ctx: AnswerContext, answer: ExecResult) => Mutation;

export const identity: Mutator = (_ctx, answer) => ({ result: answer, label: null });

/** Shared state of one replayed run across its connections (the reconnect after a reboot). */
export class ReplayHost {
  readonly log: ReplayedExec[] = [];
  private readonly queues = new Map<string, RecordedCall[]>();
  private readonly used = new Map<string, number>();
  conns = 0;
  /** The largest flood that nothing stopped (a transport without bounds reads it all). */
  flooded = 0;
  constructor(
    readonly session: Session,
    readonly mutator: Mutator = identity,
    readonly target = 'root@hostile.example',
  ) {
    for (const c of session.calls) {
      const q = this.queues.get(c.key) ?? [];
      q.push(c);
      this.queues.set(c.key, q);
    }
  }

  /** The next recorded answer for a shape (the last one again once the queue is used up). */
  private next(key: string): RecordedCall | null {
    const q = this.queues.get(key);
    if (!q || q.length === 0) return null;
    const n = this.used.get(key) ?? 0;
    this.used.set(key, n + 1);
    return q[Math.min(n, q.length - 1)] as RecordedCall;
  }

  connect(): ReplayTransport {
    return new ReplayTransport(this, this.conns++);
  }

  answer(conn: number, script: string, opts: ExecOptions): { m: Mutation; lostAfter: boolean; entry: ReplayedExec } {
    const key = shapeOf(script, opts.sudo);
    const rec = this.next(key);
    const g = gatherNames(script);
    let sections: AnswerContext['sections'] = null;
    let around: AnswerContext['around'] = null;
    let base: ExecResult;
    if (rec) {
      base = fromRecorded(rec.result);
      if (g && rec.gather) {
        const byName = new Map(rec.gather.sections.map((s) => [s.name, s]));
        sections = g.names.map((name) => {
          const s = byName.get(name);
          return s ? { name, stdout: Buffer.from(s.stdout, 'base64'), rc: s.rc } : { name, stdout: Buffer.alloc(0), rc: 127 };
        });
        const renonce = (b64: string | undefined) => Buffer.from(Buffer.from(b64 ?? '', 'base64').toString('latin1').replaceAll(rec.gather!.nonce, g.nonce), 'latin1');
        // the marker between a prefix's output and the facts: there when this script prints it
        const marker = `\n@@${g.nonce} facts\n`;
        let head = renonce(rec.gather.head).toString('latin1').replaceAll(marker, '');
        if (script.includes(`@@${g.nonce} facts\\n'`)) head += marker;
        around = { head: Buffer.from(head, 'latin1'), tail: renonce(rec.gather.tail) };
      }
    } else {
      // a command the recorded host never saw: what a shell says about it
      base = { code: 127, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.from('sh: unexpected command\n'), lost: false, timedOut: false, durationMs: 1 };
    }
    const ctx: AnswerContext = { index: this.log.length, key, script, opts, sections, around, nonce: g?.nonce ?? null };
    const m = this.mutator(ctx, base);
    let result = m.result;
    // the facts sections (possibly mutated) are serialised with the nonce of this run
    if (sections && g && result === base) result = { ...base, stdout: Buffer.concat([around?.head ?? Buffer.alloc(0), joinSections(sections, g.nonce), around?.tail ?? Buffer.alloc(0)]) };
    const entry: ReplayedExec = { conn, key, script, opts, recorded: rec, result, mutated: m.label, startedAt: Date.now(), endedAt: null };
    this.log.push(entry);
    return { m: { ...m, result }, lostAfter: rec?.lostAfter === true, entry };
  }
}

export class ReplayTransport implements Transport {
  roundTrips = 0;
  readonly hostKeySha256 = 'SHA256:hostilehostilehostilehostilehostilehostile0';
  /** What connectSsh's transport also has (openHost pins it for reconnects). */
  readonly hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostileHostileHostileHostileHostileHostile0';
  readonly directAddress = undefined;
  private state: 'open' | 'closed' | 'lost' = 'open';
  private readonly closeCbs: ((reason: CloseReason, err?: Error) => void)[] = [];
  constructor(
    private readonly host: ReplayHost,
    readonly conn: number,
  ) {}
  get target(): string {
    return this.host.target;
  }

  private lose(): void {
    if (this.state !== 'open') return;
    this.state = 'lost';
    for (const cb of this.closeCbs.splice(0)) cb('lost', new Error('connection lost'));
  }

  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const { TransportError, abortError } = await import('../../src/transport/errors.js');
    if (this.state === 'closed') throw new TransportError('lost', this.target, 'transport is closed');
    if (opts.signal?.aborted) throw abortError(opts.signal);
    this.roundTrips++;
    if (this.state === 'lost') return { code: null, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), lost: true, timedOut: false, durationMs: 0 };
    const { m, lostAfter, entry } = this.host.answer(this.conn, script, opts);
    const done = (r: ExecResult): ExecResult => {
      entry.result = r;
      entry.endedAt = Date.now();
      return r;
    };
    const aborted = () => opts.signal?.aborted === true;
    let result = m.result;
    if (result.stdout.length) opts.onStdout?.(result.stdout);
    if (result.stderr.length) opts.onStderr?.(result.stderr);
    if (aborted()) {
      entry.endedAt = Date.now();
      throw abortError(opts.signal);
    }
    if (m.flood) {
      // megabytes more, in 256 KiB chunks, as long as nobody stops the command (the bounds do); only
      // microtasks in between, so a run stays deterministic under fake timers
      const chunk = Buffer.alloc(Math.min(256 * 1024, m.flood.bytes), m.flood.fill);
      let sent = 0;
      while (sent < m.flood.bytes) {
        const c = sent + chunk.length <= m.flood.bytes ? chunk : chunk.subarray(0, m.flood.bytes - sent);
        sent += c.length;
        opts.onStdout?.(c);
        await Promise.resolve();
        if (aborted()) {
          entry.endedAt = Date.now();
          throw abortError(opts.signal);
        }
      }
      // what a transport that keeps everything would return (only reached when nothing stopped it)
      this.host.flooded = Math.max(this.host.flooded, m.flood.bytes);
      result = { ...result, stdout: Buffer.concat([result.stdout, Buffer.alloc(m.flood.bytes, m.flood.fill)]) };
    }
    if (m.hang) {
      // a host that never answers: the command ends when its own timeout does (none: never)
      const t = opts.timeoutMs;
      await new Promise<void>((resolve) => {
        const timer = t !== undefined && t > 0 ? setTimeout(resolve, t) : undefined;
        opts.signal?.addEventListener('abort', () => {
          if (timer) clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      if (aborted()) {
        entry.endedAt = Date.now();
        throw abortError(opts.signal);
      }
      return done({ ...result, code: null, signal: null, timedOut: true, lost: false });
    }
    if (m.drop || result.lost) {
      this.lose();
      return done({ ...result, code: null, lost: true, timedOut: false });
    }
    if (lostAfter) queueMicrotask(() => this.lose());
    return done(result);
  }

  async close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closed';
      for (const cb of this.closeCbs.splice(0)) cb('closed');
    } else this.state = 'closed';
  }

  onClose(cb: (reason: CloseReason, err?: Error) => void): void {
    if (this.state !== 'open') queueMicrotask(() => cb(this.state === 'lost' ? 'lost' : 'closed'));
    else this.closeCbs.push(cb);
  }
}
