/**
 * How a host of an inventory is reached: the precedence between the inventory's connection
 * settings, dom0up's command line and ssh_config (src/fleet/targets.ts), resolved for real by the
 * transport's ssh -G step (no connection is made).
 */
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../src/inventory/index.js';
import { targetFor } from '../../src/fleet/targets.js';
import { sshOptions, type SshCliOptions } from '../../src/remote/connect.js';
import { parseDestination, resolveSshConfig } from '../../src/transport/ssh-config.js';

const ini = (text: string) => parseInventory(text, { format: 'ini', source: 'hosts.ini' }).hosts;
const cli: SshCliOptions = { user: 'cliuser', port: 2022, identity: ['/cli/key'], knownHosts: ['/cli/known_hosts'], acceptNewHostKey: true, sshConfig: '/dev/null', connectTimeoutS: 3 };

/** What ssh -G makes of a target's options (as the transport asks it). */
async function resolved(t: ReturnType<typeof targetFor>) {
  const o = sshOptions(t.destination, t.ssh);
  return resolveSshConfig(t.destination, { args: o.sshArgs ?? [], ...(o.configFile ? { configFile: o.configFile } : {}), ...(o.user ? { user: o.user } : {}), ...(o.port ? { port: o.port } : {}), identityFiles: o.identityFiles ?? [] });
}

describe('targetFor: inventory connection settings beat the command line', () => {
  it('the pinned-known_hosts inventory: its known_hosts, strict checking and keys only, whatever the command line says', async () => {
    const [h] = ini('web1 ansible_host=127.0.0.11 ansible_port=2222 ansible_user=root ansible_ssh_private_key_file=/inv/key ansible_ssh_common_args="-o UserKnownHostsFile=/srv/pinned/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"\n');
    const t = targetFor(h!, cli, {});
    expect(t.refusal).toBeUndefined();
    expect(t.notes).toEqual([]);
    expect(t.destination).toBe('127.0.0.11');
    // the command line's values for the same settings are left out; the rest stays
    expect(t.ssh).toMatchObject({ identity: ['/cli/key'], sshConfig: '/dev/null', connectTimeoutS: 3 });
    expect(t.ssh.user).toBeUndefined();
    expect(t.ssh.port).toBeUndefined();
    expect(t.ssh.knownHosts).toBeUndefined();
    expect(t.ssh.acceptNewHostKey).toBeUndefined();
    const c = await resolved(t);
    expect(c).toMatchObject({ hostname: '127.0.0.11', user: 'root', port: 2222, userKnownHostsFiles: ['/srv/pinned/known_hosts'], strictHostKeyChecking: 'true', identitiesOnly: true });
    expect(c.identityFiles.slice(0, 1)).toEqual(['/inv/key']);
  });

  it('the command line fills in what the inventory leaves open', async () => {
    const [h] = ini('web2 ansible_host=127.0.0.12\n');
    const t = targetFor(h!, cli, {});
    expect(t.ssh).toMatchObject({ user: 'cliuser', port: 2022, knownHosts: ['/cli/known_hosts'], acceptNewHostKey: true });
    const c = await resolved(t);
    expect(c).toMatchObject({ user: 'cliuser', port: 2022 });
  });

  it('a refused setting refuses the host (with the variable named); ignored ones are notes', () => {
    const hosts = ini(['a ansible_password=hunter2', 'b ansible_ssh_common_args="-o ForwardAgent=yes -o ProxyCommand=\'ssh -W %h:%p bastion\'"', 'c ansible_ssh_extra_args="-A" ansible_ssh_retries=3', ''].join('\n'));
    const [a, b, c] = hosts.map((h) => targetFor(h, cli, {}));
    expect(a!.refusal).toMatch(/^ansible_password: dom0up does no password logins/);
    expect(a!.refusal).not.toContain('hunter2');
    expect(b!.refusal).toMatch(/^ansible_ssh_common_args -o ProxyCommand=ssh -W %h:%p bastion: ProxyCommand is not supported/);
    expect(b!.notes).toEqual([expect.stringMatching(/^ansible_ssh_common_args -o ForwardAgent=yes: dom0up does not forward the SSH agent/)]);
    expect(c!.refusal).toBeUndefined();
    expect(c!.notes).toEqual([expect.stringMatching(/^ansible_ssh_retries: /), expect.stringMatching(/^ansible_ssh_extra_args -A: /)]);
  });

  it('BatchMode=yes: no passphrase question', () => {
    const [h] = ini('d ansible_ssh_common_args="-o BatchMode=yes"\n');
    const t = targetFor(h!, { ...cli, askPassphrase: async () => 'x' }, {});
    expect(t.ssh.askPassphrase).toBeUndefined();
  });

  it('hosts of plain lists keep user@host:port as the destination: --user/--port beat it, as with ssh -l/-p', () => {
    const [h, v6] = parseInventory('alice@h1:2200\n[2001:db8::1]:2201\n', { format: 'list' }).hosts;
    const t = targetFor(h!, cli, {});
    expect(t.destination).toBe('alice@h1:2200');
    expect(t.ssh).toMatchObject({ port: 2022, user: 'cliuser' });
    expect(t.ssh.args).toBeUndefined();
    expect(targetFor(v6!, {}, {}).destination).toBe('[2001:db8::1]:2201');
    // what the transport connects to: --port (opts.port) over the destination's port, as ssh -p
    const o = sshOptions(t.destination, t.ssh);
    expect(parseDestination(o.host)).toEqual({ user: 'alice', host: 'h1', port: 2200 });
    expect(o.port).toBe(2022);
  });
});
