"""The simulated host's rpm database and the `rpm` command (-q, -qa, -qf, -qi, --qf/--queryformat, --import).
The database is a JSON file inside the host (/var/lib/rpm/.testbed-rpmdb.json)."""
import os
import re
import sys
import time

from . import common, pgp

DB = common.RPMDB


def load():
    db = common.read_json(DB, None)
    if db is None:
        db = {'packages': []}
    return db


def save(db):
    os.makedirs(os.path.dirname(DB), exist_ok=True)
    common.write_json(DB, db)


def nvra(p):
    return '%s-%s-%s.%s' % (p['name'], p['version'], p['release'], p['arch']) if p['arch'] != '(none)' \
        else '%s-%s-%s' % (p['name'], p['version'], p['release'])


def pkg(name, version, release, arch, epoch=None, summary='', files=None, repo='anaconda-CentOS-201806291108.x86_64', size=0):
    return {'name': name, 'version': version, 'release': release, 'arch': arch, 'epoch': epoch,
            'summary': summary or name, 'files': files or [], 'installtime': int(time.time()),
            'repo': repo, 'size': size}


def installed(db, name):
    return [p for p in db['packages'] if p['name'] == name]


def add(db, p):
    db['packages'].append(p)


def remove(db, p):
    db['packages'] = [q for q in db['packages'] if not (q['name'] == p['name'] and q['version'] == p['version']
                                                       and q['release'] == p['release'] and q['arch'] == p['arch'])]


def match(db, spec):
    """Packages matching a query word: name, name-version, name-version-release, or full NVRA."""
    res = []
    for p in db['packages']:
        cands = {p['name'], '%s-%s' % (p['name'], p['version']), '%s-%s-%s' % (p['name'], p['version'], p['release']), nvra(p),
                 '%s.%s' % (p['name'], p['arch'])}
        if spec in cands:
            res.append(p)
    return res


def vercmp_key(s):
    parts = re.findall(r'\d+|[A-Za-z]+', s)
    return [(1, int(x)) if x.isdigit() else (0, x) for x in parts]


def newer(a, b):
    """Is version-release a newer than b (rpm-ish comparison)?"""
    return (vercmp_key(a[0]), vercmp_key(a[1])) > (vercmp_key(b[0]), vercmp_key(b[1]))


# ---- queryformat ---------------------------------------------------------------------------------
def _tag(p, tag):
    t = tag.upper()
    if t == 'NAME':
        return p['name']
    if t == 'VERSION':
        return p['version']
    if t == 'RELEASE':
        return p['release']
    if t == 'ARCH':
        return p['arch']
    if t == 'EPOCH':
        return '(none)' if p.get('epoch') in (None, '') else str(p['epoch'])
    if t == 'INSTALLTIME':
        return str(p.get('installtime', 0))
    if t == 'SUMMARY':
        return p.get('summary', '')
    if t == 'SIZE':
        return str(p.get('size', 0))
    if t == 'NVRA':
        return nvra(p)
    if t == 'NEVRA':
        e = p.get('epoch')
        return '%s-%s%s-%s.%s' % (p['name'], '%s:' % e if e not in (None, '') else '', p['version'], p['release'], p['arch'])
    return '(none)'


def queryformat(fmt, p):
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == '\\' and i + 1 < len(fmt):
            n = fmt[i + 1]
            out.append({'n': '\n', 't': '\t', '\\': '\\', 'r': '\r'}.get(n, n))
            i += 2
            continue
        if c == '%':
            m = re.match(r'%(-?\d*)\{([A-Za-z]+)(?::[a-z]+)?\}', fmt[i:])
            if m:
                val = _tag(p, m.group(2))
                w = m.group(1)
                if w:
                    n = int(w)
                    val = val.ljust(-n) if n < 0 else val.rjust(n)
                out.append(val)
                i += m.end()
                continue
            if fmt[i:i + 2] == '%%':
                out.append('%')
                i += 2
                continue
        out.append(c)
        i += 1
    return ''.join(out)


# ---- the rpm command -----------------------------------------------------------------------------
def main(argv):
    args = argv[1:]
    query = False
    all_ = False
    qf = None
    by_file = False
    info = False
    imports = []
    words = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ('-q', '--query'):
            query = True
        elif a in ('-qa', '-aq'):
            query = all_ = True
        elif a in ('-a', '--all'):
            all_ = True
        elif a in ('-qf', '-fq'):
            query = by_file = True
        elif a in ('-f', '--file'):
            by_file = True
        elif a in ('-qi', '-iq'):
            query = info = True
        elif a in ('-i', '--info'):
            info = True
        elif a in ('--qf', '--queryformat'):
            i += 1
            qf = args[i] if i < len(args) else ''
        elif a.startswith('--qf=') or a.startswith('--queryformat='):
            qf = a.split('=', 1)[1]
        elif a == '--import':
            i += 1
            while i < len(args):
                imports.append(args[i])
                i += 1
            break
        elif a in ('--quiet', '--nosignature', '--nodigest'):
            pass
        elif a.startswith('-'):
            common.err('rpm: %s: unknown option' % a)
            return 1
        else:
            words.append(a)
        i += 1
    db = load()
    if imports:
        return do_import(db, imports)
    if not query:
        common.err('rpm: only -q (query) and --import are simulated by the test bed')
        return 1
    fmt = qf if qf is not None else '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n'
    if all_:
        for p in db['packages']:
            if not words or any(p['name'] == w or nvra(p) == w for w in words):
                sys.stdout.write(queryformat(fmt, p))
        return 0
    if not words:
        common.err('rpm: no arguments given for query')
        return 1
    rc = 0
    for w in words:
        if by_file:
            path = os.path.normpath(w)
            hits = [p for p in db['packages'] if path in p.get('files', [])]
            if not hits:
                if os.path.exists(path):
                    common.out('file %s is not owned by any package' % path)
                else:
                    common.out('error: file %s: No such file or directory' % path)
                rc += 1
                continue
        else:
            hits = match(db, w)
            if not hits:
                common.out('package %s is not installed' % w)
                rc += 1
                continue
        for p in hits:
            if info:
                sys.stdout.write(
                    'Name        : %s\nVersion     : %s\nRelease     : %s\nArchitecture: %s\nInstall Date: %s\n'
                    'Size        : %d\nSummary     : %s\n' % (p['name'], p['version'], p['release'], p['arch'],
                                                           time.strftime('%a %d %b %Y %I:%M:%S %p %Z', time.localtime(p.get('installtime', 0))),
                                                           p.get('size', 0), p.get('summary', '')))
            else:
                sys.stdout.write(queryformat(fmt, p))
    sys.stdout.flush()
    return min(rc, 255)


def do_import(db, files):
    if os.geteuid() != 0:
        common.err('error: cannot open Packages database in /var/lib/rpm')
        return 1
    rc = 0
    for f in files:
        path = f[len('file://'):] if f.startswith('file://') else f
        try:
            with open(path, 'rb') as fh:
                data = fh.read()
        except OSError as e:
            common.err('error: %s: import read failed(%d).' % (f, e.errno or 2))
            rc = 1
            continue
        key = pgp.parse_key(data)
        if key is None:
            common.err('error: %s: import read failed(-1).' % f)
            rc = 1
            continue
        name_rel = (key['keyid'], key['created'])
        if not any(p['name'] == 'gpg-pubkey' and p['version'] == name_rel[0] for p in db['packages']):
            add(db, pkg('gpg-pubkey', name_rel[0], name_rel[1], '(none)', summary='gpg(%s)' % key.get('uid', ''), repo='(none)'))
    save(db)
    return rc


def key_imported(db, keyid):
    return any(p['name'] == 'gpg-pubkey' and p['version'].lower() == keyid.lower() for p in db['packages'])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
