"""The test bed's GRUB stand-ins (test/testbed/host/tb), asked the same questions as the real GRUB of the real-boot
tier, so the tier can compare their answers with real boots and the real grub shell.

  python3 testbed-grub.py decide   < {"conf": TEXT, "word": N}   -> the firmware's boot decision (grub0.parse)
  python3 testbed-grub.py shell    < {"stage2": PATH, "commands": [LINE, ...]}  -> the `grub --batch` stand-in's
                                      output on that stage2 file (tb.grubshell, with STAGE2 pointed at PATH)
"""
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'testbed', 'host'))
from tb import grub0, grubshell  # noqa: E402


def decide(req):
    cfg = grub0.parse(req['conf'], req.get('word', 0))
    e = cfg.entries[cfg.default_entry] if 0 <= cfg.default_entry < len(cfg.entries) else None
    return {'default': cfg.default_entry, 'title': e['title'] if e else None, 'timeout': cfg.timeout,
            'once': cfg.once, 'savedWordOut': cfg.new_saved_word, 'notes': cfg.notes}


def shell(req):
    grubshell.STAGE2 = req['stage2']
    out = io.StringIO()
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(''.join(c + '\n' for c in req['commands'])), out
    try:
        rc = grubshell.main(['grub', '--batch', '--no-floppy'])
    finally:
        sys.stdin, sys.stdout = old_in, old_out
    return {'rc': rc, 'output': out.getvalue()}


if __name__ == '__main__':
    req = json.load(sys.stdin)
    print(json.dumps({'decide': decide, 'shell': shell}[sys.argv[1]](req)))
