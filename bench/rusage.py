#!/usr/bin/env python3
"""rusage.py OUT.json -- CMD [ARG...]: run CMD and write what it cost the controller as JSON.

The wrapper is a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so processes that CMD leaves
behind are reparented to it instead of init: ssh's ControlPersist masters (Ansible's default
ssh_args) daemonize and would otherwise escape the accounting although they do the connections'
crypto. When CMD exits, its wall time is taken, leftover descendants get SIGTERM, every child is
reaped, and getrusage(RUSAGE_CHILDREN) then holds the CPU time of CMD and all its descendants.

Memory: maxRssKiB is the largest single process (ru_maxrss); peakTreeRssKiB / peakTreePssKiB are
the peak sums over the whole process tree, sampled every 200 ms (PSS shares copy-on-write pages
of forked workers fairly, RSS counts them once per process).

Output: {"exit", "signal", "startEpochMs", "wallMs", "userMs", "sysMs", "maxRssKiB", "peakTreeRssKiB",
"peakTreePssKiB", "peakProcs", "leftovers"}. stdin/stdout/stderr are CMD's.
"""
import ctypes
import json
import os
import resource
import signal
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36


def children_of(pid):
    out = []
    try:
        tasks = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return out
    for t in tasks:
        try:
            with open('/proc/%d/task/%s/children' % (pid, t)) as f:
                out.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            pass
    return out


def descendants(pid):
    seen, todo = [], children_of(pid)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo.extend(children_of(p))
    return seen


def mem_of(pid):
    rss = pss = 0
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Rss:'):
                    rss = int(line.split()[1])
                elif line.startswith('Pss:'):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def main(argv):
    if len(argv) < 4 or argv[2] != '--':
        sys.stderr.write(__doc__)
        return 2
    out_path, cmd = argv[1], argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.stderr.write('rusage.py: prctl(PR_SET_CHILD_SUBREAPER) failed\n')
        return 2
    me = os.getpid()
    peak = {'rss': 0, 'pss': 0, 'procs': 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            procs = descendants(me)
            rss = pss = 0
            for p in procs:
                r, s = mem_of(p)
                rss += r
                pss += s
            peak['rss'] = max(peak['rss'], rss)
            peak['pss'] = max(peak['pss'], pss)
            peak['procs'] = max(peak['procs'], len(procs))
            done.wait(0.2)

    epoch0 = time.time()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    # a SIGTERM/SIGINT to the wrapper goes to CMD (the caller's timeout)
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda signum, frame: os.kill(pid, signum))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    wall = time.monotonic() - t0
    done.set()
    sampler.join()
    left = descendants(me)
    for p in left:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while True:
        try:
            r, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if r == 0:
            if time.monotonic() > deadline:
                for p in descendants(me):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + 10
            time.sleep(0.02)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = {
        'exit': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        'signal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        'startEpochMs': round(epoch0 * 1000, 1),
        'wallMs': round(wall * 1000, 1),
        'userMs': round(ru.ru_utime * 1000, 1),
        'sysMs': round(ru.ru_stime * 1000, 1),
        'maxRssKiB': ru.ru_maxrss,
        'peakTreeRssKiB': peak['rss'],
        'peakTreePssKiB': peak['pss'],
        'peakProcs': peak['procs'],
        'leftovers': len(left),
    }
    with open(out_path, 'w') as f:
        json.dump(res, f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
