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
