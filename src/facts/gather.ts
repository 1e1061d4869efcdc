/**
 * Runs many facts in ONE remote command: each fact's command runs in its own subshell between
 * marker lines that carry a random nonce (file contents are base64, so nothing a host holds can
 * fake a marker), and each section is handed to that fact's parser.
 */
import { randomBytes } from 'node:crypto';
import type { ExecResult, Transport } from '../transport/index.js';
import { inPhase, RemoteError } from '../errors.js';
import type { Fact, FactOutput } from './fact.js';

export type FactResults<T extends Record<string, Fact<unknown>>> = { [K in keyof T]: ReturnType<T[K]['parse']> };

export function buildGatherScript(facts: readonly Fact<unknown>[], nonce: string, prefix?: string): string {
  const parts = ['LC_ALL=C; export LC_ALL; PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin; export PATH'];
  if (prefix) parts.push(prefix, `printf '\\n@@${nonce} facts\\n'`);
  for (const f of facts) {
    parts.push(`printf '\\n@@${nonce} %s\\n' ${f.name}`);
    parts.push(`( ${f.command}\n) 2>/dev/null`);
    parts.push(`printf '\\n@@${nonce} rc %s\\n' $?`);
  }
  return parts.join('\n') + '\n';
}

export function splitGatherOutput(stdout: string, names: readonly string[], nonce: string): Map<string, FactOutput> {
  const out = new Map<string, FactOutput>();
  const re = new RegExp(`\\n@@${nonce} (\\S+)\\n([\\s\\S]*?)\\n@@${nonce} rc (\\d+)\\n`, 'g');
  for (const m of stdout.matchAll(re)) {
    const name = m[1] as string;
    if (names.includes(name)) out.set(name, { stdout: m[2] as string, rc: Number(m[3]) });
  }
  return out;
}

export interface GatherRun<T extends Record<string, Fact<unknown>>> {
  /** Every fact parsed, or null when the script stopped before the facts (see `preamble` and `exec`). */
  results: FactResults<T> | null;
  /** What the prefix printed (before the facts). */
  preamble: string;
  exec: ExecResult;
  nonce: string;
}

/**
 * One round trip: `prefix` (shell text, e.g. a lock or a yum run) and then the facts. Nothing is
 * thrown for what the prefix did: the caller reads `preamble` and `exec.code` first.
 */
export async function gatherWith<T extends Record<string, Fact<unknown>>>(
  transport: Transport,
  facts: T,
  o: { phase: string; timeoutMs?: number; prefix?: string; stdin?: Buffer; onStdout?: (chunk: Buffer) => void; nonce?: string },
): Promise<GatherRun<T>> {
  const nonce = o.nonce ?? randomBytes(8).toString('hex');
  const list = Object.values(facts);
  const r = await transport.exec(buildGatherScript(list, nonce, o.prefix), { sudo: true, timeoutMs: o.timeoutMs ?? 60_000, ...(o.stdin ? { stdin: o.stdin } : {}), ...(o.onStdout ? { onStdout: o.onStdout } : {}) }).catch((e: unknown) => {
    throw inPhase(e, transport.target, o.phase);
  });
  const out = r.stdout.toString('latin1');
  const marker = `\n@@${nonce} facts\n`;
  const at = o.prefix ? out.indexOf(marker) : 0;
  const preamble = o.prefix ? (at >= 0 ? out.slice(0, at) : out) : '';
  if (o.prefix && at < 0) return { results: null, preamble: Buffer.from(preamble, 'latin1').toString('utf8'), exec: r, nonce };
  const sections = splitGatherOutput(o.prefix ? out.slice(at + marker.length - 1) : out, list.map((f) => f.name), nonce);
  const results: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(facts)) {
    const section = sections.get(f.name);
    if (!section) return { results: null, preamble: Buffer.from(preamble, 'latin1').toString('utf8'), exec: r, nonce };
    // base64 sections are ASCII; the rest is decoded as UTF-8 where it is valid
    const text = Buffer.from(section.stdout, 'latin1');
    try {
      results[key] = f.parse({ stdout: text.toString('utf8').includes('\ufffd') ? section.stdout : text.toString('utf8'), rc: section.rc });
    } catch (e) {
      // the parsers only see what the host sent: an answer they cannot read is the host's, never a bug,
      // and nothing may be planned from it
      const why = e instanceof Error ? e.message : String(e);
      throw new RemoteError(transport.target, o.phase, `cannot read the host's answer: ${f.name}: ${why.split('\n')[0]!.slice(0, 300)}`, 'the host answers what a CentOS 6 host would not; check it (dom0up facts HOST --json shows the rest)');
    }
  }
  return { results: results as FactResults<T>, preamble: Buffer.from(preamble, 'latin1').toString('utf8'), exec: r, nonce };
}

/** Gathers the given facts with one command (as root); throws RemoteError naming the phase. */
export async function gatherFacts<T extends Record<string, Fact<unknown>>>(
  transport: Transport,
  facts: T,
  phase = 'facts',
  timeoutMs = 60_000,
  prefix?: string,
): Promise<FactResults<T>> {
  const g = await gatherWith(transport, facts, { phase, timeoutMs, ...(prefix ? { prefix } : {}) });
  const r = g.exec;
  if (r.lost) throw new RemoteError(transport.target, phase, 'the connection was lost while reading the host', 'check the host and run again');
  if (r.timedOut) throw new RemoteError(transport.target, phase, `reading the host took longer than ${timeoutMs / 1000}s`);
  if (!g.results) {
    const missing = Object.values(facts).map((f) => f.name)[0];
    throw new RemoteError(transport.target, phase, `no output for "${missing}" (exit ${r.code})`, 'is /bin/sh a POSIX shell on this host?', 1, r.stderr.toString('utf8').trim().slice(0, 2000) || undefined);
  }
  return g.results;
}
