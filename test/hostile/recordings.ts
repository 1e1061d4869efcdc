// The recorded sessions (test/hostile/record.ts writes them).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Session } from './session.js';

const DIR = fileURLToPath(new URL('./recordings/', import.meta.url));

export const sessions: Session[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(DIR + f, 'utf8')) as Session);

export function session(name: string): Session {
  const s = sessions.find((x) => x.name === name);
  if (!s) throw new Error(`no recorded session ${name} in test/hostile/recordings (run: npx tsx test/hostile/record.ts)`);
  return s;
}

/**
 * The host's facts as one recorded facts command answered them (parsed by dom0up's own parsers):
 * `which` = 'first' (before anything changed), 'after-yum' (read with yum, in the same command), or
 * the index of the facts command in the session.
 */
export async function recordedFacts(name: string, which: 'first' | 'after-yum' | number = 'first'): Promise<import('../../src/facts/index.js').HostFacts> {
  const { HOST_FACTS, xlFacts } = await import('../../src/facts/index.js');
  const { hostFactsOf } = await import('../../src/apply/waits.js');
  const s = session(name);
  const gathers = s.calls.filter((c) => c.gather && c.gather.sections.some((x) => x.name === 'kernel'));
  const call = which === 'first' ? gathers[0] : which === 'after-yum' ? gathers.find((c) => c.script.includes('yum_rc')) : gathers[which];
  if (!call) throw new Error(`${name}: no such facts command (${which})`);
  const byName = new Map(call.gather!.sections.map((x) => [x.name, x]));
  const all: Record<string, unknown> = {};
  for (const [key, f] of Object.entries({ ...HOST_FACTS, ...xlFacts })) {
    const sec = byName.get(f.name);
    if (!sec) throw new Error(`${name}: the recorded facts have no ${f.name}`);
    const bytes = Buffer.from(sec.stdout, 'base64');
    const utf8 = bytes.toString('utf8');
    all[key] = f.parse({ stdout: utf8.includes('\ufffd') ? bytes.toString('latin1') : utf8, rc: sec.rc });
  }
  return hostFactsOf(all as Parameters<typeof hostFactsOf>[0]);
}
