// argv → options, table-driven (the CLI file only declares commands and flags).
import { describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';

const fleetCli = vi.fn(async () => 0);
vi.mock('../../src/commands/fleet.js', () => ({ fleetCli }));
const { run } = await import('../../src/cli.js');

async function parsed(argv: string[]) {
  fleetCli.mockClear();
  const code = await run(argv, { stdout: new PassThrough(), stderr: new PassThrough(), env: {} });
  expect(code).toBe(0);
  return (fleetCli.mock.calls[0] as unknown as [unknown, Record<string, unknown>])[1];
}

describe('remote command arguments', () => {
  it('repeatable options do not swallow the hosts that follow', async () => {
    const o = await parsed(['apply', '--xen-arg', 'cpufreq=xen', 'root@h1', '--xen-arg', 'cpuinfo', 'h2', '-i', 'key', '--yes']);
    expect(o.hosts).toEqual(['root@h1', 'h2']);
    expect((o.req as { xenArg: string[] }).xenArg).toEqual(['cpufreq=xen', 'cpuinfo']);
    expect(o.identityOrInventory).toEqual(['key']);
    expect(o.yes).toBe(true);
  });
  it('maps Dom0, repo, fleet and reboot flags', async () => {
    const o = await parsed(['tune', 'h', '--dom0-mem', '2G', '--no-dom0-mem-max', '--dom0-vcpus', '1-4', '--no-pin', '--no-reboot', '--no-once', '--forks', '4', '--serial', '10%', '--max-fail', '2', '--limit', 'rack1', '--inventory', 'inv.ini']);
    expect(o.req).toMatchObject({ dom0Mem: '2G', dom0MemMax: false, dom0Vcpus: '1-4', pin: false, once: false });
    expect(o).toMatchObject({ command: 'tune', noReboot: true, forks: 4, serial: '10%', maxFail: '2', limit: 'rack1', inventories: ['inv.ini'] });
  });
  it('defaults: 32 forks, batches of 25%, no failure allowed, one-shot boot on', async () => {
    const o = await parsed(['apply', 'h']);
    expect(o).toMatchObject({ forks: 32, serial: '25%', maxFail: '0', noReboot: false, yes: false });
    expect((o.req as { once?: boolean }).once).toBe(true);
  });
  it('repo options', async () => {
    const o = await parsed(['plan', 'h', '--mirror', 'tuna-vault', '--no-gpgcheck', '--repo-id', 'x']);
    expect(o.req).toMatchObject({ mirror: 'tuna-vault', gpgcheck: false, repoId: 'x' });
  });
});
