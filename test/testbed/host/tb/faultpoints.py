"""Fault points of a simulated host: the decision helper behind lab/faultpoints.c, and the in-process
hook yum uses.

Rules come from /run/testbed/faults/points.json (written from outside by addFaultPoint, index.ts):
    {"ID": {"at": "rename|write|exec|yum", "match": GLOB, "when": "before|after|posttrans",
            "action": "drop|kill|power-cut|reset|fail|hang", "times": 1, "exitCode": 1,
            "errno": 5, "message": "...", "fromSsh": false}}
Each firing is claimed atomically (O_EXCL files under /run/testbed/fired, so concurrent processes
never fire a rule more often than `times`), recorded there as JSON BEFORE the action runs (the
record survives a power cut: it is on the lab's disk), then the action:

  drop       every SSH connection of the host is cut (its sshd session processes are killed, as
             with a network loss); the program carries on (a rename still happens, yum goes on).
  kill       the connections are cut AND every process they started dies (the whole session), as
             does the program at the point: nothing after the point runs.
  power-cut  the host loses power at once (its PID 1 is told to end the boot): it stays off until
             powerOn(). Nothing after the point runs.
  reset      like power-cut, but the machine boots again after its downtime (a hardware reset).
  fail       the operation fails: rename/open return -1 with `errno` (default EIO); an exec'd
             program or yum prints `message` on stderr and exits with `exitCode` (default 1).
  hang       the operation never returns (the program blocks until it is killed or the host goes).

Modes (run by the C hooks with TB_FP_OFF=1 in the environment, so nothing here is hooked):
  faultpoints.py point ID AT WHEN PID SUBJECT     prints continue | hang | fail ERRNO CODE
  faultpoints.py exec ID WHEN SIGIGN SEARCH PATH ARGV...   runs in place of the program
"""
import errno as errno_mod
import fnmatch
import json
import os
import signal
import sys
import time

RULES = '/run/testbed/faults/points.json'
FIRED = '/run/testbed/fired'
POWER = '/run/testbed/power-action'


def rules():
    try:
        with open(RULES) as f:
            return json.load(f) or {}
    except (OSError, ValueError):
        return {}


def _read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return b''


def _argv(pid):
    return [a.decode('utf-8', 'replace') for a in _read('/proc/%d/cmdline' % pid).split(b'\0') if a]


def claim(rid, rule):
    """The firing number n (0-based) this process gets, or None when the rule is used up."""
    times = int(rule.get('times', 1) or 0)
    n = 0
    while times <= 0 or n < times:
        p = os.path.join(FIRED, '%s.%d.json' % (rid, n))
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            n += 1
            continue
        os.close(fd)
        if times > 0 and n == times - 1:
            with open(os.path.join(FIRED, '%s.done' % rid), 'w'):
                pass
        return n
    return None


def record(rid, n, rule, when, subject, pid):
    rec = {
        'id': rid, 'n': n, 'at': rule.get('at'), 'when': when, 'action': rule.get('action'),
        'subject': subject, 'pid': pid, 'argv': _argv(pid),
        'comm': _read('/proc/%d/comm' % pid).decode('utf-8', 'replace').strip(),
        'bootId': _read('/proc/sys/kernel/random/boot_id').decode().strip() or None,
        'time': int(time.time() * 1000),
    }
    p = os.path.join(FIRED, '%s.%d.json' % (rid, n))
    with open(p + '.tmp', 'w') as f:
        json.dump(rec, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(p + '.tmp', p)


# ---- processes of this host (its own PID namespace: PID 1 is the boot's init) -----------------------
def processes():
    out = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        st = _read('/proc/%s/stat' % d).decode('latin-1')
        if not st:
            continue
        try:
            comm = st[st.index('(') + 1:st.rindex(')')]
            ppid = int(st[st.rindex(')') + 2:].split()[1])
        except (ValueError, IndexError):
            continue
        out[int(d)] = (comm, ppid)
    return out


def connections(ps):
    """The sshd processes of every connection (not the listener, whose parent is init)."""
    return [p for p, (comm, ppid) in ps.items() if comm == 'sshd' and ppid != 1]


def descendants(ps, roots):
    kids = {}
    for p, (_, pp) in ps.items():
        kids.setdefault(pp, []).append(p)
    out, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.add(p)
        todo.extend(kids.get(p, []))
    return out


def ancestors(ps, pid):
    out = []
    while pid in ps and pid > 1:
        out.append(pid)
        pid = ps[pid][1]
    return out


def signal_all(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except OSError:
            pass


def act(rule, pid):
    """Carry out the rule's action for the process `pid`. Returns the decision for the caller:
    ('continue',) | ('hang',) | ('fail', errno, code)."""
    action = rule.get('action')
    me = os.getpid()
    if action == 'drop':
        signal_all(connections(processes()), signal.SIGKILL)
        return ('continue',)
    if action == 'kill':
        ps = processes()
        conns = connections(ps)
        victims = (descendants(ps, conns) | set(ancestors(ps, pid)) | descendants(ps, [pid])) - {1, me}
        # the listener stays: new connections still work
        victims -= {p for p, (c, pp) in ps.items() if c == 'sshd' and pp == 1}
        signal_all(victims, signal.SIGSTOP)
        signal_all(victims, signal.SIGKILL)
        if pid == me:
            os.kill(me, signal.SIGKILL)   # the program at the point is this process (exec, yum)
        return ('hang',)
    if action in ('power-cut', 'reset'):
        with open(POWER + '.tmp', 'w') as f:
            f.write('cut' if action == 'power-cut' else 'reset')
        os.replace(POWER + '.tmp', POWER)
        os.kill(1, signal.SIGPWR)
        return ('hang',)
    if action == 'fail':
        msg = rule.get('message')
        if msg:
            sys.stderr.write(msg.rstrip('\n') + '\n')
            sys.stderr.flush()
        return ('fail', int(rule.get('errno') or errno_mod.EIO), int(rule.get('exitCode', 1)))
    if action == 'hang':
        return ('hang',)
    return ('continue',)


def fire_rule(rid, rule, when, subject, pid):
    n = claim(rid, rule)
    if n is None:
        return ('continue',)
    record(rid, n, rule, when, subject, pid)
    return act(rule, pid)


def hang_forever():
    while True:
        time.sleep(3600)


# ---- in process (yum) -------------------------------------------------------------------------------
def fire(at, when, subject):
    """Fire every live rule of `at`/`when` whose glob matches `subject`, in this process.
    Returns ('continue',) or ('fail', errno, code); hangs for 'hang' (and while the power goes)."""
    if os.environ.get('TB_FP_OFF'):
        return ('continue',)
    out = ('continue',)
    for rid, rule in sorted(rules().items()):
        if rule.get('at') != at or rule.get('when', 'before') != when:
            continue
        if not fnmatch.fnmatchcase(subject, rule.get('match', '')):
            continue
        if os.path.exists(os.path.join(FIRED, '%s.done' % rid)):
            continue
        d = fire_rule(rid, rule, when, subject, os.getpid())
        if d[0] == 'hang':
            hang_forever()
        if d[0] == 'fail':
            out = d
    return out


# ---- helper modes ---------------------------------------------------------------------------------
def point(argv):
    rid, at, when, pid, subject = argv[2:7]
    rule = rules().get(rid)
    d = ('continue',) if rule is None else fire_rule(rid, rule, when, subject, int(pid))
    sys.stdout.write(' '.join(str(x) for x in d) + '\n')
    sys.stdout.flush()
    return 0


def _restore(sigign):
    ign = {s for s in sigign.split(',') if s and s != '-'}
    for name in ('PIPE', 'XFSZ'):
        signal.signal(getattr(signal, 'SIG' + name), signal.SIG_IGN if name in ign else signal.SIG_DFL)
    env = dict(os.environ)
    env.pop('TB_FP_OFF', None)
    return env


def _exec(search, path, args, env):
    if search == 'search':
        os.execvpe(path, args, env)
    os.execve(path, args, env)


def _exit_like(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def exec_mode(argv):
    rid, when, sigign, search, path = argv[2:7]
    args = argv[7:]
    subject = ' '.join([path] + args[1:])
    rule = rules().get(rid)
    env = _restore(sigign)
    me = os.getpid()
    if rule is None:
        _exec(search, path, args, env)
    if when != 'after':
        d = fire_rule(rid, rule, 'before', subject, me)
        if d[0] == 'hang':
            hang_forever()
        if d[0] == 'fail':
            os._exit(d[2])
        _exec(search, path, args, env)
    # after: run the program as a child, act once it has exited
    child = os.fork()
    if child == 0:
        try:
            _exec(search, path, args, env)
        except OSError as e:
            sys.stderr.write('%s: %s\n' % (path, e.strerror))
            os._exit(127 if e.errno == errno_mod.ENOENT else 126)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    d = fire_rule(rid, rule, 'after', subject, me)
    if d[0] == 'hang':
        hang_forever()
    if d[0] == 'fail':
        os._exit(d[2])
    _exit_like(status)


def main(argv):
    try:
        if len(argv) >= 7 and argv[1] == 'point':
            return point(argv)
        if len(argv) >= 8 and argv[1] == 'exec':
            return exec_mode(argv)
    except Exception as e:  # noqa: BLE001 -- never break the host's program; leave a trace
        try:
            with open(os.path.join(FIRED, 'helper-errors.log'), 'a') as f:
                f.write('%s %r: %s: %s\n' % (time.strftime('%H:%M:%S'), argv[1:], type(e).__name__, e))
        except OSError:
            pass
        if len(argv) >= 8 and argv[1] == 'exec':
            _exec(argv[5], argv[6], argv[7:], _restore(argv[4]))
        sys.stdout.write('continue\n')
        return 0
    sys.stderr.write('usage: faultpoints.py point ID AT WHEN PID SUBJECT | exec ID WHEN SIGIGN SEARCH PATH ARGV...\n')
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
