import type { HostResult } from '../fleet/rollout.js';
import type { Palette } from './io.js';
import { visible } from './escape.js';

/** The final table of a fleet run: host, result, kernel, Domain-0 mem/vcpus, duration, reason. */
export function renderFleetSummary(results: HostResult[], p: Palette): string {
  const rows = results.map((r) => {
    const v = r.report?.verify;
    const mem = v?.checks.find((c) => c.id === 'dom0-memory')?.actual;
    const vcpus = v?.checks.find((c) => c.id === 'dom0-vcpus')?.actual;
    const good = r.outcome === 'verified' || r.outcome === 'unchanged' || (r.outcome === 'pending' && r.ok);
    return [
      visible(r.target.name),
      good ? p.green(r.outcome) : r.outcome === 'skipped' || r.outcome === 'cancelled' ? p.yellow(r.outcome) : p.red(r.outcome),
      visible(v?.kernel ?? ''),
      mem && vcpus && /^\d+$/.test(mem) && /^\d+$/.test(vcpus) ? `${mem} MiB / ${vcpus}` : '',
      `${(r.durationMs / 1000).toFixed(1)} s`,
      good ? '' : visible(r.message),
    ];
  });
  const head = ['host', 'result', 'kernel', 'Domain-0', 'time', 'reason'];
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => plain(r[i] as string).length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] as number) - plain(c).length))).join('  ').trimEnd();
  const count = (o: string) => results.filter((r) => r.outcome === o).length;
  const totals = ['verified', 'unchanged', 'pending', 'refused', 'unreachable', 'failed', 'error', 'xen-boot-failed', 'verify-failed', 'skipped', 'cancelled', 'reboot-pending']
    .filter((o) => count(o) > 0).map((o) => `${count(o)} ${o}`).join(', ');
  return ['', p.bold(fmt(head)), ...rows.map(fmt), '', `${results.length} host(s): ${totals}`, ''].join('\n');
}
