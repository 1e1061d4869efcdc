// The recorded hosts, replayed without a mutation, answer dom0up exactly as the real simulated hosts
// did: every run ends as it did over SSH. When this fails, the commands dom0up sends have changed and
// the recordings are stale: run `npx tsx test/hostile/record.ts` (as root, where the test bed runs).
import { describe, expect, it } from 'vitest';
import { provisionHost, readHostFacts, silentEvents } from '../../src/apply/provision.js';
import { verifyRunning } from '../../src/commands/remote.js';
import { ReplayHost } from './session.js';
import { sessions } from './recordings.js';

const STALE = 'the recorded session no longer matches the commands dom0up sends: re-record with `npx tsx test/hostile/record.ts`';

describe('recorded sessions replay as recorded', () => {
  it('there are sessions for apply, tune and verify', () => {
    expect(sessions.map((s) => s.name)).toEqual(expect.arrayContaining(['apply-fresh', 'tune-xen', 'verify-xen', 'apply-helper']));
  });

  for (const s of sessions) {
    it(`${s.name}: ${s.description}`, async () => {
      const host = new ReplayHost(s);
      if (s.kind === 'apply') {
        const report = await provisionHost({
          target: host.target, transport: host.connect(), reconnect: async () => host.connect(), req: s.req, mode: s.mode,
          confirm: async () => true, events: silentEvents, ...s.timing,
          runId: '20260202T000000Z-123456', ...s.who!,
        });
        expect(report.outcome, `${STALE}\n${report.message}`).toBe(s.outcome);
      } else {
        const t = host.connect();
        const f = await readHostFacts(t, 'verify', { waitForXlS: 30 });
        const { rep } = await verifyRunning(t, f, {});
        expect(rep.ok ? 'ok' : 'not-ok', STALE).toBe(s.outcome);
      }
      const unknown = host.log.filter((e) => e.recorded === null).map((e) => e.key.slice(0, 120));
      expect(unknown, STALE).toEqual([]);
    });
  }
});
