"""The power-on of a host whose power cycle is real (host spec `realBoot`): called by lab/boot.py instead of the
test bed's own firmware model (host/tb/machine.py).

The real work is done by test/realboot/host-firmware.ts (Node, through tsx): the host's /boot becomes a disk image
that QEMU boots with Red Hat's GRUB and real Xen; what GRUB writes (the stage2 word) comes back to the host's /boot.
It runs in a PID namespace of its own with its own /proc (so that the PIDs it reads in /proc are its own), and prints
one JSON object: every power-on of the run (a Xen or Dom0 crash resets the machine, which boots again by itself),
with what the booted system reported. This module turns that into the test bed's boot records, console lines and
the answers the host gives while it is up (see boot.py)."""
import json
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FIRMWARE = os.path.join(REPO, 'test', 'realboot', 'host-firmware.ts')


def ts():
    t = time.time()
    return time.strftime('%H:%M:%S', time.localtime(t)) + '.%03d' % int((t % 1) * 1000)


def run_firmware(hostdir, rootdir, spec, console):
    rb = spec.get('realBoot') or {}
    limit = int(rb.get('timeoutMs') or 240000) / 1000.0 + 180
    cmd = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', '--',
           'node', '--import', 'tsx', FIRMWARE, 'boot', hostdir, rootdir]
    try:
        r = subprocess.run(cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {'powerOns': [], 'error': 'the real-boot firmware did not finish within %d s' % limit}
    if r.stderr.strip():
        console.extend('[firmware] ' + l for l in r.stderr.strip().splitlines()[-40:])
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {'powerOns': [], 'error': 'the real-boot firmware printed no result (exit %s)' % r.returncode}


def record_of(p):
    """A power-on of the firmware's JSON as the test bed's boot record (the fields boot.py and bootLog use)."""
    rec = {
        'entryIndex': p.get('entryIndex'), 'title': p.get('title'), 'hypervisor': p.get('hypervisor', 'none'),
        'kernelRelease': p.get('kernelRelease'), 'result': p.get('result', 'bootfail'), 'error': p.get('error'),
        'attempts': [], 'xenCmdline': p.get('xenCmdline'), 'dom0Cmdline': p.get('dom0Cmdline'), 'cmdline': p.get('cmdline'),
        'once': p.get('once'), 'rebootAfterPanic': False,
    }
    if p.get('entryIndex') is not None:
        rec['attempts'] = [{'entryIndex': p['entryIndex'], 'title': p.get('title'), 'error': None if p.get('result') == 'up' else p.get('error')}]
    if rec['hypervisor'] == 'xen' and p.get('dom0MemMiB') is not None:
        rec['xen'] = {'dom0_mem_mib': p['dom0MemMiB'], 'vcpus': p.get('dom0Vcpus') or 0}
    return rec


def power_on(hostdir, rootdir, spec, log):
    """Boot the host for real. Returns (rec, earlier, real): the record of the power-on that decides the host's state
    (the last one), the records of the power-ons before it in the same run (crashes that reset the machine), and the
    run (the firmware's JSON) with the report of the last power-on."""
    console = []
    t0 = time.time()
    run = run_firmware(hostdir, rootdir, spec, console)
    ons = run.get('powerOns') or []
    if run.get('grubInstalled'):
        log.append("[real] Red Hat's GRUB installed on the host (as anaconda does): /boot/grub/stage1, stage2, "
                   "e2fs_stage1_5; /sbin/grub runs %s" % run['grubInstalled'])
    t = run.get('timings') or {}
    q = run.get('qemu') or {}
    log.append('[real] disk image of /boot built in %.1f s; QEMU (%s) ran %.1f s (waited %.1f s for the machine), '
               '%d power-on(s), %d reset(s)%s; serial log %s' % (
                   (t.get('diskBuildMs') or 0) / 1000.0, q.get('accel') or '?', (t.get('qemuMs') or 0) / 1000.0,
                   (t.get('waitForSlotMs') or 0) / 1000.0, len(ons), q.get('resets') or 0,
                   ', killed: %s' % q['killedBy'] if q.get('killedBy') else '', run.get('serialLog')))
    st = run.get('stage2') or {}
    if run.get('serialLog'):
        log.append('[real] stage2 word 0x%x at power-on, 0x%x after the boot (%d byte(s) written back to /boot/grub/stage2)'
                   % (st.get('wordBefore') or 0, st.get('wordAfter') or 0, len(st.get('bytesWritten') or [])))
    log.extend(console)
    records = []
    for i, p in enumerate(ons):
        for line in (p.get('serial') or '').splitlines():
            if line.strip():
                log.append('[serial %d] %s' % (i + 1, line.rstrip()))
        rec = record_of(p)
        rec['real'] = {
            'outcome': p.get('outcome'), 'unameR': p.get('realUnameR'), 'initrd': p.get('initrd'), 'panic': p.get('panic'),
            'menuWaitS': p.get('menuWaitS'), 'serialLog': run.get('serialLog'), 'powerOn': i + 1, 'powerOns': len(ons),
            'wordBefore': st.get('wordBefore'), 'wordAfter': st.get('wordAfter'), 'qemuMs': t.get('qemuMs'),
            'diskBuildMs': t.get('diskBuildMs'), 'firmwareMs': int((time.time() - t0) * 1000), 'maxRssKiB': q.get('maxRssKiB'),
            'waitMs': t.get('waitForSlotMs'), 'resets': q.get('resets'),
        }
        records.append(rec)
    if not records:
        rec = record_of({'result': 'bootfail', 'error': run.get('error') or 'the real boot produced no power-on'})
        rec['real'] = {'outcome': None, 'serialLog': run.get('serialLog'), 'firmwareMs': int((time.time() - t0) * 1000)}
        log.append('[real] ' + rec['error'])
        records.append(rec)
    last = ons[-1] if ons else {}
    run['report'] = last.get('report')
    run['bootId'] = last.get('bootId')
    return records[-1], records[:-1], run
