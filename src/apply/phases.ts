/** The phase a run is in, seen through its events (for errors that do not name one themselves). */
import type { ProvisionContext, ProvisionEvents } from './provision.js';

export function trackPhases(ctx: ProvisionContext): { ctx: ProvisionContext; current(): string } {
  let phase = 'facts';
  const ev: ProvisionEvents = ctx.events ?? { phase() {}, progress() {}, done() {}, log() {} };
  const events: ProvisionEvents = {
    phase(id, text) {
      // releasing the lock after a failure is bookkeeping: the error belongs to the phase before it
      if (id !== 'unlock') phase = id;
      ev.phase(id, text);
    },
    progress: (t) => ev.progress(t),
    done: (id, status, text) => ev.done(id, status, text),
    log: (t) => ev.log(t),
  };
  const confirm: ProvisionContext['confirm'] = async (plan) => {
    phase = 'confirm';
    return ctx.confirm(plan);
  };
  return { ctx: { ...ctx, events, confirm }, current: () => phase };
}
