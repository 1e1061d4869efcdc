// Shared helpers for the SSH tier: run the real CLI in-process against simulated hosts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Fleet, TestHost } from '../testbed/index.js';
import { runCli, type CliRun } from '../helpers/run-cli.js';

export const logDir = mkdtempSync(path.join(tmpdir(), 'dom0up-itest-logs-'));

export function target(h: TestHost, opts: { sudo?: boolean } = {}): string {
  return `${opts.sudo ? h.sudo!.username : 'root'}@${h.host}`;
}

export function sshArgs(fleet: Fleet, h: TestHost, opts: { sudo?: boolean; knownHosts?: string } = {}): string[] {
  return ['--identity', opts.sudo ? h.sudo!.privateKeyPath : h.privateKeyPath, '--known-hosts', opts.knownHosts ?? fleet.knownHostsPath, '-p', String(h.port), '--ssh-config', '/dev/null'];
}

export async function dom0up(fleet: Fleet, h: TestHost, cmd: string, args: string[] = [], opts: { sudo?: boolean; knownHosts?: string } = {}): Promise<CliRun & { out: string }> {
  const r = await runCli([cmd, target(h, opts), ...sshArgs(fleet, h, opts), ...args], { DOM0UP_LOG_DIR: logDir, HOME: process.env.HOME ?? '/root', DOM0UP_REPO_METADATA: 'off' });
  return { ...r, out: r.stdout.toString('utf8') };
}

export const XEN_ARGS = ['--dom0-mem', '1024M', '--dom0-vcpus', '2', '--pin'];
