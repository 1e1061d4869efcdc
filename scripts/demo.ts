// npm run demo: the README's main job. Starts one simulated CentOS 6.10 host from the test bed
// (a real sshd on 127.0.0.x, the source notes' LVM layout), then runs the real `dom0up facts`,
// `dom0up apply` and `dom0up verify` against it over SSH, and stops the host. Needs root (the
// simulated host uses namespaces and mounts); installs openssh-server/sudo when missing.
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startHosts, testbedUnavailableReason, type Fleet } from '../test/testbed/index.js';
import { serveXenRepoMetadata, type RepoServer } from '../test/testbed/repo-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'dist', 'bin', 'dom0up.js');

// Ctrl-C reaches dom0up too (same terminal, same process group): it stops after its current step and
// releases the host lock. The host must stay up until then, so the demo waits for dom0up, and only
// then stops the host and exits 130. Without a dom0up running it stops the host at once.
let running: ReturnType<typeof spawn> | null = null;
let interrupted = false;

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    process.stderr.write(`\n$ dom0up ${args.join(' ')}\n`);
    const p = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
    running = p;
    p.on('exit', (code, signal) => {
      running = null;
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('npm run demo needs root: the simulated CentOS host runs in its own namespaces with its own mounts.\n');
    return 1;
  }
  execFileSync('bash', [path.join(root, 'test', 'testbed', 'ensure-deps.sh')], { stdio: 'inherit' });
  const why = testbedUnavailableReason();
  if (why) {
    process.stderr.write(`the simulated host cannot run here: ${why}\n`);
    return 1;
  }
  process.stderr.write('starting a simulated CentOS 6.10 host (the source notes\' LVM layout) on loopback…\n');
  let fleet: Fleet | undefined;
  let mirror: RepoServer | undefined;
  const stop = async () => {
    await fleet?.stop();
    fleet = undefined;
    await mirror?.close();
    mirror = undefined;
  };
  process.on('SIGINT', () => {
    if (running && !interrupted) {
      interrupted = true;
      process.stderr.write('\ndemo: Ctrl-C: waiting for dom0up to stop after its current step; the simulated host is stopped then\n');
      return;
    }
    interrupted = true;
    if (!running) void stop().then(() => process.exit(130));
  });
  try {
    fleet = await startHosts([{ name: 'demo-centos610', layout: 'seed-lvm', memMiB: 4096, cpus: 4 }]);
    // the Xen repository's metadata, served on loopback: the plan reads the kernel version yum will install from it
    mirror = await serveXenRepoMetadata();
    const h = fleet.hosts[0]!;
    const ssh = ['--identity', h.privateKeyPath, '--known-hosts', fleet.knownHostsPath, '-p', String(h.port), '--ssh-config', '/dev/null'];
    const target = `root@${h.host}`;
    const dom0 = ['--dom0-mem', '1024M', '--dom0-vcpus', '2', '--pin', '--xen-arg', 'cpufreq=xen'];
    const steps = [
      ['facts', target, ...ssh],
      ['apply', target, ...ssh, ...dom0, '--mirror', mirror.url, '--yes'],
      ['verify', target, ...ssh, ...dom0],
      ['plan', target, ...ssh, ...dom0, '--mirror', mirror.url, '--detailed-exitcode'],
    ];
    let rc = 0;
    for (const step of steps) {
      if (rc !== 0 || interrupted) break;
      rc = await run(step);
    }
    if (interrupted) {
      process.stderr.write(`\ndemo: interrupted (dom0up exited ${rc}); stopping the simulated host\n`);
      return 130;
    }
    process.stderr.write(rc === 0 ? '\ndemo: the host runs Xen with the requested Dom0, and a second plan has nothing to change.\n' : `\ndemo: a step failed (exit ${rc})\n`);
    return rc;
  } finally {
    await stop();
  }
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write(`demo: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(70);
});
