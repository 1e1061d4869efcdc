"""`yum` of CentOS 6.10 (yum 3.2.29), simulated: repository checks against the post-EOL world
(mirror.centos.org and mirrorlist.centos.org are gone, vault.centos.org/6.10 and its mirrors work),
GPG checks, a dependency solver for the handful of packages a Xen Dom0 install involves, disk
space checks, and the package scriptlets (new-kernel-pkg, grub-bootxen.sh) that edit grub.conf.
Output mimics real yum and is written line by line with a small delay, so streaming can be seen."""
import configparser
import glob
import json
import os
import re
import subprocess
import sys
import time

from . import common, catalog, faultpoints, rpmdb, pgp

RELEASEVER = '6'
CACHE = '/var/cache/yum/.testbed-fetched.json'
LOCK = '/var/run/yum.pid'
PLUGINS = 'Loaded plugins: fastestmirror, security'


class YumExit(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class Out:
    def __init__(self, delay_ms, quiet=False):
        self.delay = delay_ms / 1000.0
        self.quiet = quiet

    def __call__(self, line='', err=False):
        if self.quiet and not err:
            return
        (sys.stderr if err else sys.stdout).write(line + '\n')
        (sys.stderr if err else sys.stdout).flush()
        if self.delay:
            time.sleep(self.delay)


# ---- repositories ------------------------------------------------------------------------------
def expand(s, arch):
    v = {'releasever': RELEASEVER, 'basearch': common.basearch(arch), 'arch': arch, 'infra': 'stock',
         'contentdir': 'centos'}
    return re.sub(r'\$(\w+)|\$\{(\w+)\}', lambda m: v.get(m.group(1) or m.group(2), m.group(0)), s)


def read_repos(arch):
    main = {'gpgcheck': '1'}
    cp = configparser.RawConfigParser(strict=False)
    try:
        cp.read('/etc/yum.conf')
        if cp.has_section('main'):
            main.update(dict(cp.items('main')))
    except configparser.Error:
        pass
    repos = []
    errors = []
    for path in sorted(glob.glob('/etc/yum.repos.d/*.repo')):
        cp = configparser.RawConfigParser(strict=False, comment_prefixes=('#', ';'), inline_comment_prefixes=None)
        try:
            with open(path, encoding='latin-1') as f:
                cp.read_file(f, path)
        except configparser.MissingSectionHeaderError:
            errors.append('File contains no section headers.\nfile: file://%s, line: 1' % path)
            continue
        except (configparser.Error, OSError) as e:
            errors.append('%s: %s' % (path, e))
            continue
        for sec in cp.sections():
            d = dict(cp.items(sec))
            repos.append({
                'id': sec, 'file': path, 'name': expand(d.get('name', sec), arch),
                'enabled': d.get('enabled', '1').strip() in ('1', 'yes', 'true', 'True'),
                'baseurl': [expand(u, arch) for u in re.split(r'[\s,]+', d.get('baseurl', '')) if u],
                'mirrorlist': expand(d.get('mirrorlist', ''), arch).strip(),
                'metalink': expand(d.get('metalink', ''), arch).strip(),
                'gpgcheck': d.get('gpgcheck', main.get('gpgcheck', '1')).strip() in ('1', 'yes', 'true'),
                'gpgkey': [expand(u, arch) for u in re.split(r'[\s,]+', d.get('gpgkey', '')) if u],
                'includepkgs': d.get('includepkgs', '').split(),
                'exclude': d.get('exclude', '').split(),
            })
    return repos, errors, main


def classify_url(url, arch):
    """(ok, kind or error). kind: 'os', 'updates', 'extras', 'xen-410', ... for a URL that serves
    repodata in 2026, or an error for a dead one."""
    m = re.match(r'(https?|ftp|file)://([^/]*)(/.*)?$', url)
    if not m:
        return False, 'bad-url'
    scheme, host, path = m.group(1), m.group(2).lower(), (m.group(3) or '/')
    if scheme == 'file':
        return (os.path.isdir(os.path.join(path, 'repodata')), 'local')
    if host in ('mirror.centos.org', 'mirrorlist.centos.org', 'buildlogs.centos.org'):
        return False, 'dns:' + host
    p = path.rstrip('/') + '/'
    m = re.search(r'(?:^|/)6\.10/(os|updates|extras|centosplus|fasttrack|contrib|cr|virt/([^/]+)/(xen-\d+))/([^/]*)/?$', p)
    if m:
        if m.group(2):
            if m.group(2) != common.basearch(arch) and m.group(2) != 'x86_64':
                return False, 'http404'
            return True, m.group(3)
        return True, m.group(1)
    return False, 'http404'


def check_repo(r, arch, out):
    """Fetch repomd.xml (simulated). Returns the repo kind, or raises YumExit after real-looking output."""
    if r['mirrorlist'] or r['metalink']:
        url = r['mirrorlist'] or r['metalink']
        if 'mirrors.fedoraproject.org' in url:
            out('Error: Cannot retrieve metalink for repository: %s. Please verify its path and try again' % r['id'], err=True)
            raise YumExit(1)
        if 'mirrorlist.centos.org' in url or not r['baseurl']:
            host = re.sub(r'^\w+://([^/]*).*$', r'\1', url)
            out('Could not retrieve mirrorlist %s error was' % url, err=True)
            out('14: PYCURL ERROR 6 - "Couldn\'t resolve host \'%s\'"' % host, err=True)
            if not r['baseurl']:
                out('Error: Cannot find a valid baseurl for repo: %s' % r['id'], err=True)
                raise YumExit(1)
    if not r['baseurl']:
        out('Error: Cannot find a valid baseurl for repo: %s' % r['id'], err=True)
        raise YumExit(1)
    last = None
    for u in r['baseurl']:
        ok, kind = classify_url(u, arch)
        if ok:
            return kind
        last = (u, kind)
        base = u.rstrip('/') + '/repodata/repomd.xml'
        if kind.startswith('dns:'):
            out('%s: [Errno 14] PYCURL ERROR 6 - "Couldn\'t resolve host \'%s\'"' % (base, kind[4:]), err=True)
        elif kind == 'bad-url':
            continue
        else:
            out('%s: [Errno 14] PYCURL ERROR 22 - "The requested URL returned error: 404 Not Found"' % base, err=True)
        out('Trying other mirror.', err=True)
    # the brief for this test bed: a dead CentOS 6 baseurl fails with "Cannot find a valid baseurl"
    out('Error: Cannot find a valid baseurl for repo: %s' % r['id'], err=True)
    raise YumExit(1)


# ---- helpers -------------------------------------------------------------------------------------
def fetched():
    return set(common.read_json(CACHE, []) or [])


def mark_fetched(ids):
    os.makedirs(os.path.dirname(CACHE), exist_ok=True)
    common.write_json(CACHE, sorted(set(ids)))


def size_str(b):
    k = b / 1024.0
    if k < 1024:
        return '%d k' % max(k, 1)
    return '%.1f M' % (k / 1024) if k / 1024 < 10 else '%d M' % (k / 1024)


def evr(p):
    return '%s-%s' % (p['version'], p['release'])


def fullname(p):
    return '%s-%s-%s.%s' % (p['name'], p['version'], p['release'], p['arch'])


def req_ok(req, db, plan):
    m = re.match(r'([\w.+-]+?)(>=)([\w.+-]+)$', req)
    name, ver = (m.group(1), m.group(3)) if m else (req, None)
    cands = [p for p in db['packages'] if p['name'] == name] + [p for p in plan if p['name'] == name]
    if ver is None:
        return bool(cands), name, ver
    for p in cands:
        if not rpmdb.newer((ver.split('-')[0], ver.split('-')[1] if '-' in ver else '0'), (p['version'], p['release'])):
            return True, name, ver
    return False, name, ver


# ---- transaction ---------------------------------------------------------------------------------
def install_file(path, kind, ident, size, noreplace):
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    if noreplace and os.path.exists(path):
        # %config(noreplace): rpm keeps the existing file and writes .rpmnew
        path = path + '.rpmnew'
    if kind in ('linux', 'xen', 'initramfs', 'data'):
        common.write_boot_file(path, kind, ident, size)
        if kind in ('linux',) or os.path.basename(path).startswith('System.map'):
            os.chmod(path, 0o755 if kind == 'linux' else 0o644)
    elif kind == 'symlink':
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(ident, path)
    elif kind in ('text', 'text+x'):
        with open(path, 'w') as f:
            f.write(ident)
        os.chmod(path, 0o755 if kind == 'text+x' else 0o644)
    elif kind == 'command':
        write_command(path, ident)


def write_command(path, name):
    """A program of the simulated host: a small script calling the test bed's implementation."""
    with open(path, 'w') as f:
        f.write('#!/usr/bin/python3 -IB\nimport sys\nsys.path.insert(0, "/usr/lib/dom0up-testbed")\n'
                'from tb import commands\nsys.exit(commands.run(%r, sys.argv))\n' % name)
    os.chmod(path, 0o755 if name != 'grub-bootxen.sh' else 0o744)


def run_script(which, p, out):
    """Package scriptlets (only the ones that matter for the boot configuration)."""
    k = '%s-%s.%s' % (p['version'], p['release'], p['arch'])
    if which == 'post:kernel':
        cmd = ['/sbin/new-kernel-pkg', '--package', 'kernel', '--install', k]
        env = None
    elif which in ('posttrans:kernel', 'posttrans:kernel-stock'):
        rc = _run(['/sbin/new-kernel-pkg', '--package', 'kernel', '--mkinitrd', '--dracut', '--depmod', '--update', k], None, out, which, p)
        # the Virt SIG kernel's %posttrans only (xen-centos6-facts.md 1.7): a stock kernel never calls it
        if which == 'posttrans:kernel' and os.path.exists('/etc/sysconfig/xen-kernel') and os.path.exists('/usr/bin/grub-bootxen.sh'):
            env = dict(os.environ, kver=k)
            _run(['/usr/bin/grub-bootxen.sh'], env, out, which, p)
        return rc
    elif which == 'post:xen-hypervisor':
        if not os.access('/usr/bin/grub-bootxen.sh', os.X_OK):
            return 0
        cmd = ['/usr/bin/grub-bootxen.sh']
        env = dict(os.environ)
        env.pop('kver', None)
    elif which == 'post:xen-runtime':
        state = common.read_json('/etc/chkconfig.testbed.json', {}) or {}
        for svc in ('xencommons', 'xendomains'):
            state[svc] = [2, 3, 4, 5] if svc == 'xencommons' else [2, 3, 5]
        common.write_json('/etc/chkconfig.testbed.json', state)
        return 0
    else:
        return 0
    return _run(cmd, env, out, which, p)


def _run(cmd, env, out, which, p):
    try:
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as e:
        out('warning: %%%s(%s) scriptlet failed: %s' % (which.split(':')[0], fullname(p), e.strerror))
        return 1
    for line in r.stdout.splitlines():
        out(line)
    if r.returncode != 0:
        out('warning: %%%s(%s) scriptlet failed, exit status %d' % (which.split(':')[0], fullname(p), r.returncode))
    return r.returncode


def boot_needs(pkgs):
    need = {}
    for p in pkgs:
        for f in p['files']:
            path, kind, size = f[0], f[1], f[3]
            mnt = '/boot' if path.startswith('/boot/') else '/'
            need.setdefault(mnt, {}).setdefault(fullname(p), 0)
            need[mnt][fullname(p)] += size
        if p['name'] == 'kernel':
            need.setdefault('/boot', {}).setdefault(fullname(p), 0)
            need['/boot'][fullname(p)] += 20_480_000     # the initramfs dracut builds in %posttrans
    return need


def free_bytes(mnt):
    try:
        st = os.statvfs(mnt)
        return st.f_bavail * st.f_frsize
    except OSError:
        return 1 << 40


def mount_of(path):
    try:
        return '/boot' if os.stat('/boot').st_dev != os.stat('/').st_dev else '/'
    except OSError:
        return '/'


# ---- the command ----------------------------------------------------------------------------------
def main(argv):
    cfg = common.host_config()
    arch = common.kernel_arch(cfg)
    opts = {'y': False, 'q': False, 'nogpg': False, 'disable': [], 'enable': [], 'showdup': False, 'C': False}
    words = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in ('-y', '--assumeyes'):
            opts['y'] = True
        elif a in ('-q', '--quiet'):
            opts['q'] = True
        elif a == '--nogpgcheck':
            opts['nogpg'] = True
        elif a == '-C' or a == '--cacheonly':
            opts['C'] = True
        elif a == '--showduplicates':
            opts['showdup'] = True
        elif a.startswith('--disablerepo='):
            opts['disable'] += a.split('=', 1)[1].split(',')
        elif a.startswith('--enablerepo='):
            opts['enable'] += a.split('=', 1)[1].split(',')
        elif a in ('--disablerepo', '--enablerepo', '-d', '-e', '-c', '--setopt', '-x', '--exclude', '--disableplugin',
                   '--enableplugin', '--releasever'):
            i += 1
            if a == '--disablerepo' and i < len(args):
                opts['disable'] += args[i].split(',')
            if a == '--enablerepo' and i < len(args):
                opts['enable'] += args[i].split(',')
        elif re.match(r'^-[de]\d+$', a) or a.startswith('--setopt=') or a.startswith('--exclude=') \
                or a.startswith('--disableplugin=') or a in ('-v', '--verbose', '--noplugins', '--obsoletes', '--skip-broken', '-t', '--tolerant'):
            pass
        elif a.startswith('-'):
            common.err('Usage: yum [options] COMMAND\n\nyum: error: no such option: %s' % a)
            return 1
        else:
            words.append(a)
        i += 1
    out = Out(int(cfg.get('yumLineDelayMs', 15)), opts['q'])
    fail = common.fault('yum-fail')
    if fail is not None:
        try:
            f = json.loads(fail)
        except ValueError:
            f = {'output': fail}
        text = f.get('output') or 'Error: yum failed (test bed fault knob yum-fail)'
        for line in text.rstrip('\n').split('\n'):
            out(line, err=bool(f.get('stderr', True)))
        return int(f.get('exitCode', 1))
    if not words:
        out('You need to give some command', err=True)
        return 1
    cmd, pkgs = words[0], words[1:]
    if cmd in ('install', 'update', 'upgrade', 'erase', 'remove', 'clean', 'makecache') and os.geteuid() != 0:
        out('You need to be root to perform this command.', err=True)
        return 1
    try:
        if cmd in ('install', 'update', 'upgrade', 'check-update', 'makecache', 'list', 'info', 'repolist'):
            return with_lock(lambda: run(cmd, pkgs, opts, out, arch), out) if cmd in ('install', 'update', 'upgrade', 'makecache') else run(cmd, pkgs, opts, out, arch)
        if cmd == 'clean':
            return clean(pkgs, out, arch)
        out('No such command: %s. Please use /usr/bin/yum --help' % cmd, err=True)
        return 1
    except YumExit as e:
        return e.code
    except KeyboardInterrupt:
        out('\n\nExiting on user cancel', err=True)
        return 1


def with_lock(fn, out):
    me = os.getpid()
    while True:
        try:
            fd = os.open(LOCK, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, str(me).encode())
            os.close(fd)
            break
        except FileExistsError:
            try:
                other = int(open(LOCK).read().strip() or 0)
            except (OSError, ValueError):
                other = 0
            if other and os.path.exists('/proc/%d' % other):
                out('Existing lock %s: another copy is running as pid %d.' % (LOCK, other))
                out('Another app is currently holding the yum lock; waiting for it to exit...')
                time.sleep(2)
                continue
            try:
                os.unlink(LOCK)
            except OSError:
                pass
    try:
        return fn()
    finally:
        try:
            os.unlink(LOCK)
        except OSError:
            pass


def active_repos(opts, arch):
    repos, errors, main = read_repos(arch)
    import fnmatch
    for r in repos:
        for pat in opts['disable']:
            if fnmatch.fnmatch(r['id'], pat):
                r['enabled'] = False
        for pat in opts['enable']:
            if fnmatch.fnmatch(r['id'], pat):
                r['enabled'] = True
    return [r for r in repos if r['enabled']], errors


def load_repos(opts, out, arch, header):
    enabled, errors = active_repos(opts, arch)
    for e in errors:
        out(e, err=True)
    if errors:
        raise YumExit(1)
    out(PLUGINS)
    if header:
        out(header)
    have = fetched()
    kinds = {}
    first = not all(r['id'] in have for r in enabled)
    if first:
        out('Determining fastest mirrors')
    else:
        out('Loading mirror speeds from cached hostfile')
    for r in enabled:
        kind = check_repo(r, arch, out)
        kinds[r['id']] = kind
        if r['id'] not in have and not opts['C']:
            out('%-57s| %6s     00:00     ' % (r['id'], '3.7 kB'))
            out('%-57s| %6s     00:00     ' % (r['id'] + '/primary_db', '4.7 MB' if kind == 'os' else '44 kB'))
            have.add(r['id'])
    mark_fetched(have)
    extra = []
    ku = common.fault('kernel-update')
    if ku:
        extra.append(ku.strip())
    offered = []
    for r in enabled:
        for p in catalog.repo_packages(kinds[r['id']], arch, extra):
            if r['includepkgs'] and p['name'] not in r['includepkgs']:
                continue
            q = dict(p)
            q['repoid'] = r['id']
            q['repo_obj'] = r
            q['repo_kind'] = kinds[r['id']]
            offered.append(q)
    return enabled, offered


def by_nevr(offered, spec):
    """The offered package a NAME-VERSION-RELEASE or NAME-VERSION spec names, else None."""
    for p in offered:
        if spec in ('%s-%s-%s' % (p['name'], p['version'], p['release']), '%s-%s' % (p['name'], p['version'])):
            return p
    return None


def latest(offered, name):
    c = [p for p in offered if p['name'] == name]
    best = None
    for p in c:
        if best is None or rpmdb.newer((p['version'], p['release']), (best['version'], best['release'])):
            best = p
    return best


def run(cmd, pkgs, opts, out, arch):
    db = rpmdb.load()
    if cmd == 'repolist':
        enabled, offered = load_repos(opts, out, arch, None)
        out('%-30s %-40s %s' % ('repo id', 'repo name', 'status'))
        for r in enabled:
            n = len([p for p in offered if p['repoid'] == r['id']])
            out('%-30s %-40s %d' % (r['id'], r['name'][:40], n))
        out('repolist: %d' % len(offered))
        return 0
    if cmd in ('list', 'info'):
        enabled, offered = load_repos(opts, out, arch, None)
        which = 'all'
        if pkgs and pkgs[0] in ('installed', 'available', 'all', 'updates'):
            which, pkgs = pkgs[0], pkgs[1:]
        names = set(pkgs)
        inst = [p for p in db['packages'] if not names or p['name'] in names]
        avail = [p for p in offered if (not names or p['name'] in names)]
        if not opts['showdup']:
            avail = [p for p in avail if p is latest(offered, p['name'])]
        avail = [p for p in avail if not any(q['name'] == p['name'] and q['version'] == p['version'] and q['release'] == p['release'] for q in db['packages'])]
        shown = False
        if which in ('all', 'installed') and inst:
            out('Installed Packages')
            for p in inst:
                out('%-40s %-30s %s' % ('%s.%s' % (p['name'], p['arch']), evr(p), '@' + p.get('repo', 'anaconda')))
            shown = True
        if which in ('all', 'available') and avail:
            out('Available Packages')
            for p in avail:
                out('%-40s %-30s %s' % ('%s.%s' % (p['name'], p['arch']), evr(p), p['repoid']))
            shown = True
        if not shown:
            out('Error: No matching Packages to list', err=True)
            return 1
        return 0
    if cmd == 'makecache':
        load_repos(opts, out, arch, None)
        out('Metadata Cache Created')
        return 0
    header = 'Setting up Install Process' if cmd == 'install' else 'Setting up Update Process'
    if cmd == 'check-update':
        header = None
    enabled, offered = load_repos(opts, out, arch, header)
    want = []
    if cmd == 'install':
        if not pkgs:
            out('Error: Need to pass a list of pkgs to install', err=True)
            return 1
        missing = False
        for name in pkgs:
            base = re.sub(r'\.(x86_64|noarch|i686)$', '', name)
            best = latest(offered, base)
            exact = None if best is not None else by_nevr(offered, base)
            if exact is not None:
                # NAME-VERSION-RELEASE (or NAME-VERSION): that package; an install-only one (kernel) goes in
                # beside the others even when a newer one is installed
                base, best = exact['name'], exact
                have = rpmdb.installed(db, base)
                if any(h['version'] == best['version'] and h['release'] == best['release'] for h in have):
                    out('Package %s already installed and latest version' % fullname(best))
                    continue
                if best['installonly'] or not have:
                    want.append(best)
                    continue
            have = rpmdb.installed(db, base)
            if best is None:
                if have:
                    out('Package %s already installed and latest version' % rpmdb.nvra(have[-1]))
                else:
                    out('No package %s available.' % name)
                    missing = True
                continue
            if have and not any(rpmdb.newer((best['version'], best['release']), (h['version'], h['release'])) for h in have):
                out('Package %s already installed and latest version' % fullname(have[-1]))
                continue
            want.append(best)
        if not want:
            # yum 3.2.29: an unavailable package makes "Nothing to do" an error
            out('Error: Nothing to do' if missing else 'Nothing to do', err=missing)
            return 1 if missing else 0
    else:
        names = pkgs or sorted({p['name'] for p in db['packages']})
        for name in names:
            have = rpmdb.installed(db, name)
            best = latest(offered, name)
            if not have or best is None:
                continue
            top = max(((h['version'], h['release']) for h in have), key=lambda v: (rpmdb.vercmp_key(v[0]), rpmdb.vercmp_key(v[1])))
            if rpmdb.newer((best['version'], best['release']), top):
                want.append(best)
        if cmd == 'check-update':
            for p in want:
                out('')
                out('%-40s %-30s %s' % ('%s.%s' % (p['name'], p['arch']), evr(p), p['repoid']))
            return 100 if want else 0
        if not want:
            out('No Packages marked for Update')
            return 0
    return transaction(want, offered, db, opts, out, arch)


def transaction(want, offered, db, opts, out, arch):
    out('Resolving Dependencies')
    out('--> Running transaction check')
    plan = []
    dep_of = {}
    queue = list(want)
    errors = []
    while queue:
        p = queue.pop(0)
        if any(q['name'] == p['name'] and q['version'] == p['version'] for q in plan):
            continue
        plan.append(p)
        have = rpmdb.installed(db, p['name'])
        updating = bool(have) and not p['installonly']
        out('---> Package %s.%s 0:%s will be %s' % (p['name'], p['arch'], evr(p), 'an update' if updating else 'installed'))
        for req in p['requires']:
            ok, name, ver = req_ok(req, db, plan)
            if ok:
                continue
            cand = latest(offered, name)
            if cand is None or (ver and rpmdb.newer((ver.split('-')[0], ver.split('-')[1] if '-' in ver else '0'), (cand['version'], cand['release']))):
                errors.append((p, req))
                continue
            out('--> Processing Dependency: %s for package: %s' % (req.replace('>=', ' >= '), fullname(p)))
            if cand not in queue:
                queue.append(cand)
                dep_of[cand['name']] = p
        if not queue:
            out('--> Running transaction check')
    if errors:
        out('--> Finished Dependency Resolution')
        for p, req in errors:
            out('Error: Package: %s (%s)' % (fullname(p), p['repoid']), err=True)
            out('           Requires: %s' % req.replace('>=', ' >= '), err=True)
        out(' You could try using --skip-broken to work around the problem', err=True)
        out(' You could try running: rpm -Va --nofiles --nodigest', err=True)
        return 1
    out('--> Finished Dependency Resolution')
    out('')
    out('Dependencies Resolved')
    out('')
    bar = '=' * 80
    out(bar)
    out(' %-18s %-9s %-32s %-12s %5s' % ('Package', 'Arch', 'Version', 'Repository', 'Size'))
    out(bar)
    sections = [('Installing:', [p for p in want if not (rpmdb.installed(db, p['name']) and not p['installonly'])]),
                ('Updating:', [p for p in want if rpmdb.installed(db, p['name']) and not p['installonly']]),
                ('Installing for dependencies:', [p for p in plan if p not in want and not (rpmdb.installed(db, p['name']) and not p['installonly'])]),
                ('Updating for dependencies:', [p for p in plan if p not in want and rpmdb.installed(db, p['name']) and not p['installonly']])]
    for title, ps in sections:
        if not ps:
            continue
        out(title)
        for p in ps:
            out(' %-18s %-9s %-32s %-12s %5s' % (p['name'], p['arch'], evr(p), p['repoid'], size_str(p['size'])))
    out('')
    out('Transaction Summary')
    out(bar)
    n_inst = len(sections[0][1]) + len(sections[2][1])
    n_upd = len(sections[1][1]) + len(sections[3][1])
    if n_inst:
        out('Install     %3d Package(s)' % n_inst)
    if n_upd:
        out('Upgrade     %3d Package(s)' % n_upd)
    out('')
    total = sum(p['size'] for p in plan)
    out('Total download size: %s' % size_str(total).replace(' ', ' '))
    out('Installed size: %s' % size_str(total * 3))
    if not opts['y']:
        sys.stdout.write('Is this ok [y/N]: ')
        sys.stdout.flush()
        ans = sys.stdin.readline()
        if ans.strip().lower() not in ('y', 'yes'):
            out('Exiting on user Command')
            return 1
    out('Downloading Packages:')
    for n, p in enumerate(plan, 1):
        out('(%d/%d): %-45s | %6s     00:00     ' % (n, len(plan), fullname(p) + '.rpm', size_str(p['size'])))
    out('-' * 80)
    out('%-47s %.1f MB/s | %6s     00:01     ' % ('Total', 9.3, size_str(total)))
    # GPG
    if not opts['nogpg']:
        checked = set()
        for p in plan:
            r = p['repo_obj']
            if not r['gpgcheck'] or r['id'] in checked:
                continue
            checked.add(r['id'])
            need = catalog.key_for_repo_kind(p['repo_kind'])
            if rpmdb.key_imported(db, need[0]):
                continue
            out('warning: rpmts_HdrFromFdno: Header V4 RSA/SHA1 Signature, key ID %s: NOKEY' % need[0])
            if not r['gpgkey']:
                out('', err=True)
                out('', err=True)
                out('Public key for %s.rpm is not installed' % fullname(p), err=True)
                return 1
            found = []
            for url in r['gpgkey']:
                out('Retrieving key from %s' % url)
                key, problem = fetch_key(url)
                if key is None:
                    out('', err=True)
                    out('', err=True)
                    out('GPG key retrieval failed: %s' % problem, err=True)
                    return 1
                found.append((url, key))
            good = [(u, k) for u, k in found if k['keyid'] == need[0]]
            for u, k in found:
                if k['keyid'] != need[0] and not rpmdb.key_imported(db, k['keyid']):
                    pass
            if not good:
                out('', err=True)
                out('', err=True)
                out('The GPG keys listed for the "%s" repository are already installed but they are not correct for this package.' % r['name'], err=True)
                out('Check that the correct key URLs are configured for this repository.', err=True)
                return 1
            u, k = good[0]
            out('Importing GPG key 0x%s:' % k['keyid'].upper())
            out(' Userid : %s' % k['uid'])
            out(' From   : %s' % (u[len('file://'):] if u.startswith('file://') else u))
            rpmdb.add(db, rpmdb.pkg('gpg-pubkey', k['keyid'], k['created'], '(none)', summary='gpg(%s)' % k['uid'], repo='(none)'))
            rpmdb.save(db)
    out('Running rpm_check_debug')
    out('Running Transaction Test')
    # disk space, like rpm's transaction check
    need = boot_needs(plan)
    problems = []
    boot_sep = mount_of('/boot') == '/boot'
    for mnt, per in need.items():
        real = mnt if (mnt == '/' or boot_sep) else '/'
        free = free_bytes(real)
        tot = sum(per.values())
        if tot > free:
            for name, b in per.items():
                problems.append((name, b, real, tot - free))
    if problems:
        out('', err=True)
        out('', err=True)
        out('Transaction Check Error:', err=True)
        for name, b, real, short in problems:
            out('  installing package %s needs %dMB on the %s filesystem' % (name, (b + (1 << 20) - 1) >> 20, real), err=True)
        out('', err=True)
        out('Error Summary', err=True)
        out('-------------', err=True)
        out('Disk Requirements:', err=True)
        short = max(s for *_, s in problems)
        out('  At least %dMB more space needed on the %s filesystem.' % ((short + (1 << 20) - 1) >> 20, problems[0][2]), err=True)
        out('', err=True)
        return 1
    out('Transaction Test Succeeded')
    out('Running Transaction')
    order = order_plan(plan)
    total_steps = len(order) + len([p for p in order if rpmdb.installed(db, p['name']) and not p['installonly']])
    step = 0
    failed = []
    posttrans = []
    for p in order:
        step += 1
        olds = [h for h in rpmdb.installed(db, p['name'])] if not p['installonly'] else []
        fault_point('before', p, out)
        out('  %-10s : %-55s %d/%d ' % ('Updating' if olds else 'Installing', fullname(p), step, total_steps))
        try:
            for path, kind, ident, size in p['files']:
                install_file(path, kind, ident, size, path in p.get('noreplace', []))
        except OSError as e:
            out('error: unpacking of archive failed on file %s: cpio: write failed - %s' % (path, e.strerror), err=True)
            out('error: %s: install failed' % fullname(p), err=True)
            failed.append(p)
            continue
        for o in olds:
            rpmdb.remove(db, o)
        rec = rpmdb.pkg(p['name'], p['version'], p['release'], p['arch'], summary=p['summary'],
                        files=[f[0] for f in p['files']], repo=p['repoid'], size=p['size'] * 3)
        rpmdb.add(db, rec)
        rpmdb.save(db)
        for s in p['scripts']:
            if s.startswith('post:'):
                run_script(s, p, out)
            elif s.startswith('posttrans:'):
                posttrans.append((s, p))
        p['_olds'] = olds
        fault_point('after', p, out)
    for p in order:
        for o in p.get('_olds', []):
            step += 1
            out('  %-10s : %-55s %d/%d ' % ('Cleanup', rpmdb.nvra(o), step, total_steps))
    for s, p in posttrans:
        run_script(s, p, out)
        fault_point('posttrans', p, out)
    for n, p in enumerate(order, 1):
        out('  %-10s : %-55s %d/%d ' % ('Verifying', fullname(p), n, len(order)))
    out('')
    inst = [p for p in want if not p.get('_olds') and p not in failed]
    upd = [p for p in want if p.get('_olds') and p not in failed]
    dinst = [p for p in plan if p not in want and not p.get('_olds') and p not in failed]
    dupd = [p for p in plan if p not in want and p.get('_olds') and p not in failed]
    for title, ps in (('Installed:', inst), ('Updated:', upd), ('Dependency Installed:', dinst), ('Dependency Updated:', dupd)):
        if ps:
            out(title)
            out('  ' + '  '.join('%s.%s 0:%s' % (p['name'], p['arch'], evr(p)) for p in ps))
            out('')
    if failed:
        out('Failed:')
        out('  ' + '  '.join('%s.%s 0:%s' % (p['name'], p['arch'], evr(p)) for p in failed))
        out('')
    out('Complete!')
    return 1 if failed else 0


def fault_point(when, p, out):
    """A test's fault point in the middle of the transaction (host/tb/faultpoints.py): `fail` stops
    yum right here with the rule's exit code; the rest of the transaction never runs."""
    d = faultpoints.fire('yum', when, p['name'])
    if d[0] == 'fail':
        raise YumExit(d[2])


def order_plan(plan):
    """Dependencies first (what rpm's transaction ordering does for these packages)."""
    names = {p['name']: p for p in plan}
    done = []
    seen = set()

    def visit(p):
        if p['name'] in seen:
            return
        seen.add(p['name'])
        for req in p['requires']:
            n = re.split(r'>=', req)[0]
            if n in names:
                visit(names[n])
        done.append(p)
    for p in sorted(plan, key=lambda p: p['name']):
        visit(p)
    return done


def fetch_key(url):
    if url.startswith('file://'):
        path = url[len('file://'):]
        try:
            with open(path, 'rb') as f:
                data = f.read()
        except OSError:
            return None, '[Errno 14] Could not open/read %s' % url
        k = pgp.parse_key(data)
        if k is None:
            return None, 'Invalid GPG Key from %s: No key found in given key data' % url
        return k, None
    known = catalog.KEY_URLS.get(url, 'missing')
    if known == 'missing' or known is None:
        host = re.sub(r'^\w+://([^/]*).*$', r'\1', url)
        if host in ('mirror.centos.org', 'dl.fedoraproject.org'):
            return None, '[Errno 14] PYCURL ERROR 6 - "Couldn\'t resolve host \'%s\'"' % host
        return None, '[Errno 14] PYCURL ERROR 22 - "The requested URL returned error: 404 Not Found"'
    return {'keyid': known[0], 'created': known[1], 'uid': known[2]}, None


def clean(what, out, arch):
    repos, _, _ = read_repos(arch)
    ids = [r['id'] for r in repos if r['enabled']]
    out(PLUGINS)
    out('Cleaning repos: ' + ' '.join(ids))
    if not what or what[0] in ('all', 'metadata', 'dbcache', 'expire-cache'):
        try:
            os.unlink(CACHE)
        except OSError:
            pass
    out('Cleaning up Everything' if not what or what[0] == 'all' else '%d metadata files removed' % (len(ids) * 3))
    if not what or what[0] == 'all':
        out('Cleaning up list of fastest mirrors')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
