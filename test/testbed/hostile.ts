// The hostile mode of the test bed: a simulated host whose sshd runs every command through
// host/tb/hostile_shell.py (ForceCommand), which answers normally until rules say otherwise — then
// with huge numbers, megabytes, binary, escape sequences, truncated output, a hang, or a dropped
// connection, for any command or any one fact of dom0up's facts command. Plugged in from outside
// (the host's sshd_config and a rules file in its fault directory): index.ts is unchanged.
//
//   const fleet = await startHosts([{ name: 'evil' }]);
//   await makeHostile(fleet.hosts[0]);                       // reboots the host once
//   setHostile(h, [{ match: '@@', fact: 'xl_info', mode: 'numbers', number: '9999999999' }]);
//   ... run dom0up ...
//   setHostile(h, null);                                     // answers normally again
import fs from 'node:fs';
import path from 'node:path';
import { hostState, powerCut, powerOn, readHostFile, waitUp, writeHostFile, type TestHost } from './index.js';

export type HostileMode = 'replace' | 'numbers' | 'flood' | 'binary' | 'escapes' | 'truncate' | 'hang' | 'drop';

export interface HostileRule {
  /** A regular expression (Python syntax) searched for in the command sshd received. */
  match: string;
  /** Only this fact's section of dom0up's facts command. */
  fact?: string;
  mode: HostileMode;
  /** replace: the answer; rc: its exit status. */
  stdout?: string;
  rc?: number;
  /** numbers: what every number becomes. */
  number?: string;
  /** flood / binary: how many bytes; fill: of what. */
  bytes?: number;
  fill?: string;
  /** escapes: inserted after every newline. */
  text?: string;
  /** truncate / drop: the fraction of the answer that is sent. */
  at?: number;
  /** hang: seconds without an answer. */
  seconds?: number;
  seed?: number;
  /** Only the first matching command. */
  once?: boolean;
}

const FORCE = 'ForceCommand /usr/bin/python3 -I -B /usr/lib/dom0up-testbed/tb/hostile_shell.py';

function rulesFile(h: TestHost): string {
  return path.join(h.dir, 'ctl', 'faults', 'hostile');
}

/** Puts the host in hostile mode (sshd's ForceCommand; the host is power-cycled once to restart sshd). */
export async function makeHostile(h: TestHost): Promise<void> {
  const cfg = await readHostFile(h, '/etc/ssh/sshd_config');
  if (cfg === null) throw new Error(`hostile: ${h.name} has no sshd_config`);
  if (!cfg.includes(FORCE)) {
    // before any Match block, so it applies to every user
    const lines = cfg.split('\n');
    const at = lines.findIndex((l) => /^Match\b/.test(l));
    lines.splice(at < 0 ? lines.length : at, 0, FORCE);
    await writeHostFile(h, '/etc/ssh/sshd_config', lines.join('\n'), 0o600);
  }
  setHostile(h, null);
  await powerCut(h);
  await powerOn(h);
  await waitUp(h);
  if ((await hostState(h)) !== 'up') throw new Error(`hostile: ${h.name} did not come back`);
}

/** The rules the host answers by from now on (null: answer normally). Read at every command. */
export function setHostile(h: TestHost, rules: HostileRule[] | null): void {
  const f = rulesFile(h);
  if (rules === null) fs.rmSync(f, { force: true });
  else {
    const tmp = `${f}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(rules));
    fs.renameSync(tmp, f);
  }
}
