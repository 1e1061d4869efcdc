// Every error of a remote run names the host and the phase, also when it comes from the transport
// (an answer past the output bound, a closed connection) rather than from dom0up's own checks.
import { describe, expect, it } from 'vitest';
import { provisionHost, readHostFacts, silentEvents } from '../../src/apply/provision.js';
import { bounded } from '../../src/transport/bounded.js';
import { inPhase, RemoteError, UserError } from '../../src/errors.js';
import { TransportError } from '../../src/transport/errors.js';
import { ReplayHost, type Mutator } from '../hostile/session.js';
import { session } from '../hostile/recordings.js';
import { classify } from '../hostile/mutate.js';

/** Floods the n-th command of a class with 20 MiB (past the 16 MiB bound). */
const flood = (cls: string, nth = 0): Mutator => {
  let seen = 0;
  return (ctx, answer) => (classify(ctx.script) === cls && seen++ === nth ? { result: answer, label: 'flood', flood: { bytes: 20 << 20, fill: Buffer.from('A') } } : { result: answer, label: null });
};

const run = (name: string, m: Mutator) => {
  const host = new ReplayHost(session(name), m);
  const s = session(name);
  return provisionHost({
    target: host.target, transport: bounded(host.connect()), reconnect: async () => bounded(host.connect()), req: s.req, mode: s.mode,
    confirm: async () => true, events: silentEvents, ...s.timing,
    runId: `20260404T000000Z-${Math.random().toString(16).slice(2, 8).padEnd(6, '0')}`, ...s.who!,
  });
};

describe('errors name the host and the phase', () => {
  it('facts: an answer past the output bound', async () => {
    const t = bounded(new ReplayHost(session('tune-xen'), flood('facts')).connect());
    await expect(readHostFacts(t, 'facts')).rejects.toThrow(/^root@hostile\.example: facts: the command's output went past 16 MiB/);
  });

  it('apply: the first change of the run (lock, journal, repo and key) whose answer floods', async () => {
    await expect(run('apply-fresh', flood('lock'))).rejects.toThrow(/^root@hostile\.example: [a-z][\w .()-]*: the command's output went past 16 MiB/);
  });

  it('apply: the commit whose answer floods', async () => {
    await expect(run('apply-fresh', flood('write'))).rejects.toThrow(/^root@hostile\.example: grub-commit: the command's output went past 16 MiB/);
  });

  it('apply: yum whose output floods', async () => {
    await expect(run('apply-fresh', flood('yum'))).rejects.toThrow(/^root@hostile\.example: yum: the command's output went past 16 MiB/);
  });

  it('inPhase: keeps RemoteErrors and bugs, adds the phase to the rest', () => {
    const r = new RemoteError('h', 'lock', 'x');
    expect(inPhase(r, 'h', 'facts')).toBe(r);
    const bug = new TypeError('x is undefined');
    expect(inPhase(bug, 'h', 'facts')).toBe(bug);
    expect((inPhase(new TransportError('lost', 'h', 'transport is closed'), 'h', 'verify') as Error).message).toBe('h: verify: transport is closed');
    const u = inPhase(new UserError('no grub.conf on the host', 'pass options'), 'h', 'verify') as RemoteError;
    expect([u.message, u.hint, u.phase]).toEqual(['h: verify: no grub.conf on the host', 'pass options', 'verify']);
  });
});
