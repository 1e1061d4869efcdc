"""hostile_shell.py -- the hostile mode of a simulated host (test/testbed/hostile.ts).

sshd runs every command through this script (ForceCommand). Without rules it execs the user's shell
exactly as sshd would (`$SHELL -c "$SSH_ORIGINAL_COMMAND"`). With rules in /run/testbed/faults/hostile
(JSON, written from outside, read at every command), the first rule whose `match` (a regex) is found in
the command decides how the host answers it:

  {"match": "REGEX", "fact": NAME?, "mode": MODE, ...}

  replace   answer `stdout` (text) and exit `rc` instead of running the command
  numbers   every number of the answer becomes `number` (default 9999999999)
  flood     after the answer, `bytes` more bytes of `fill` (default 64 MiB of 'A')
  binary    `bytes` random bytes instead of the answer
  escapes   `text` (default ESC ] 0 ; pwned BEL ESC [ 1 A ESC [ 2 K) after every newline
  truncate  the answer cut after `at` (0..1) of it, exit status 0
  hang      no answer for `seconds` (default 3600)
  drop      the first `at` of the answer, then the connection dropped (the session's sshd killed)

With `fact`, the mode applies to that fact's section of dom0up's facts command only (between its
nonce markers); `rc` there is the section's status. Rules with `"once": true` apply to the first
matching command only (a marker file under /run/testbed/hostile-used remembers it).
"""
import json
import os
import pwd
import random
import re
import signal
import subprocess
import sys
import time

RULES = '/run/testbed/faults/hostile'
USED = '/run/testbed/hostile-used'
EVIL = '\x1b]0;pwned\x07\x1b[1A\x1b[2K'


def load_rules():
    try:
        with open(RULES) as f:
            rules = json.load(f)
        return rules if isinstance(rules, list) else []
    except (OSError, ValueError):
        return []


def shell_of_user():
    try:
        return pwd.getpwuid(os.getuid()).pw_shell or '/bin/sh'
    except KeyError:
        return '/bin/sh'


def pick(rules, cmd):
    for i, r in enumerate(rules):
        if not re.search(r.get('match', ''), cmd):
            continue
        if r.get('once'):
            marker = os.path.join(USED, str(i))
            try:
                os.makedirs(USED, exist_ok=True)
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.close(fd)
            except FileExistsError:
                continue
            except OSError:
                pass
        return r
    return None


def mutate(rule, data, rc):
    """The answer (bytes) and exit status after a mode that rewrites it; None for streaming modes."""
    mode = rule.get('mode')
    if mode == 'replace':
        return rule.get('stdout', '').encode('latin-1', 'replace'), int(rule.get('rc', 0))
    if mode == 'numbers':
        n = str(rule.get('number', '9999999999')).encode()
        return re.sub(rb'\d+', n, data), rc
    if mode == 'binary':
        r = random.Random(rule.get('seed', 1))
        return bytes(r.randrange(256) for _ in range(int(rule.get('bytes', 512)))), rc
    if mode == 'escapes':
        t = rule.get('text', EVIL).encode('latin-1', 'replace')
        return data.replace(b'\n', b'\n' + t), rc
    if mode == 'truncate':
        return data[:int(len(data) * float(rule.get('at', 0.5)))], rc
    return data, rc


def in_fact(rule, data):
    """Apply the rule to one fact's section of the facts command's answer."""
    m = re.search(rb'\n@@([0-9a-f]{16}) ', data)
    if not m:
        return data
    nonce = m.group(1)
    name = rule['fact'].encode()
    pat = re.compile(rb'(\n@@' + nonce + rb' ' + re.escape(name) + rb'\n)([\s\S]*?)(\n@@' + nonce + rb' rc )(\d+)(\n)')
    sm = pat.search(data)
    if not sm:
        return data
    body, rc = mutate(rule, sm.group(2), int(sm.group(4)))
    if rule.get('mode') == 'flood':
        body = sm.group(2) + rule.get('fill', 'A').encode('latin-1') * int(rule.get('bytes', 1 << 20))
    if 'rc' in rule and rule.get('mode') != 'replace':
        rc = int(rule['rc'])
    return data[:sm.start()] + sm.group(1) + body + sm.group(3) + str(rc).encode() + sm.group(5) + data[sm.end():]


def drop_connection():
    """Kill the sshd processes of this session (not the listener): the client sees the connection drop."""
    pid = os.getppid()
    mine = []
    while pid > 1:
        try:
            with open('/proc/%d/stat' % pid) as f:
                st = f.read()
            comm = st[st.index('(') + 1:st.rindex(')')]
            ppid = int(st[st.rindex(')') + 2:].split()[1])
        except (OSError, ValueError):
            break
        if comm == 'sshd':
            mine.append((pid, ppid))
        pid = ppid
    # the outermost sshd is the listener (its parent is not sshd): keep it
    for pid, ppid in mine[:-1] if len(mine) > 1 else mine:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def main():
    cmd = os.environ.get('SSH_ORIGINAL_COMMAND')
    shell = shell_of_user()
    if cmd is None:
        os.execv(shell, [shell, '-l'])
    rule = pick(load_rules(), cmd)
    if rule is None:
        os.execv(shell, [shell, '-c', cmd])
    mode = rule.get('mode')
    if mode == 'hang':
        time.sleep(float(rule.get('seconds', 3600)))
        return 0
    if mode == 'replace' and not rule.get('fact'):
        sys.stdout.buffer.write(rule.get('stdout', '').encode('latin-1', 'replace'))
        sys.stdout.buffer.flush()
        return int(rule.get('rc', 0))
    p = subprocess.run([shell, '-c', cmd], stdin=sys.stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    data, rc, err = p.stdout, p.returncode, p.stderr
    if rule.get('fact'):
        data = in_fact(rule, data)
    elif mode not in ('flood', 'drop'):
        data, rc = mutate(rule, data, rc)
    out = sys.stdout.buffer
    if mode == 'drop':
        out.write(data[:int(len(data) * float(rule.get('at', 0.5)))])
        out.flush()
        time.sleep(0.2)
        drop_connection()
        time.sleep(5)
        return 0
    out.write(data)
    if mode == 'flood' and not rule.get('fact'):
        fill = rule.get('fill', 'A').encode('latin-1') * (1 << 16)
        left = int(rule.get('bytes', 64 << 20))
        try:
            while left > 0:
                chunk = fill[:left]
                out.write(chunk)
                left -= len(chunk)
        except BrokenPipeError:
            return 1
    out.flush()
    sys.stderr.buffer.write(err)
    return rc


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
