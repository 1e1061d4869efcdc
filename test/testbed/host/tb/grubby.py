"""grubby 7.0.15-7.el6, new-kernel-pkg and Xen4CentOS' grub-bootxen.sh: the parts the kernel and xen
packages use on CentOS 6, re-implemented from their documented behaviour (grub-legacy-semantics.md
sections 2 and 4, xen-centos6-facts.md sections 1.6-1.8):

* grubby's line model: an entry is a `title` line plus every following line up to the next title
  (comments and unknown lines included); every title counts; `default=N` must be exactly two words.
* `--add-kernel ... --copy-default`: the new entry goes on top, built from the default entry (the
  "template"): root and unknown lines copied, kernel arguments copied and merged key-wise with --args;
  `--add-multiboot/--mbargs` make it a Xen entry (kernel /xen.gz ARGS, module KERNEL ARGS, module INITRD);
  `--make-default` makes it the default, otherwise the old default entry stays default (index bumped).
* `--remove-kernel=TITLE=...` removes entries with exactly that title (a re-install replaces them).
* writes go to the one-level-resolved target of /etc/grub.conf via a temp file + rename (mode kept).
Not modelled: grubby's whitespace losses on untouched lines, blkid root checks of templates."""
import os
import re
import sys

from . import common

KEYWORDS = {'title', 'root', 'default', 'fallback', 'kernel', 'initrd', 'module'}


class Line:
    def __init__(self, raw):
        self.raw = raw                       # without the trailing newline
        body = raw.rstrip('\r')
        self.cr = raw[len(body):]
        m = re.match(r'[ \t]*', body)
        self.indent = m.group(0)
        rest = body[len(self.indent):]
        self.kind = 'other'
        self.words = []
        self.sep = ' '
        if not rest or rest.startswith('#'):
            self.kind = 'comment'
            return
        m = re.match(r'([^ \t=]+)([ \t=]*)(.*)$', rest)
        first, self.sep, tail = m.group(1), m.group(2) or ' ', m.group(3)
        self.words = [first] + [w for w in re.split(r'[ \t]+', tail) if w]
        self.tail = tail
        if first in KEYWORDS:
            self.kind = first

    @staticmethod
    def make(indent, words, sep=' '):
        ln = Line('')
        ln.indent = indent
        ln.words = list(words)
        ln.kind = words[0] if words[0] in KEYWORDS else 'other'
        ln.sep = sep
        ln.cr = ''
        ln.raw = None
        return ln

    def text(self):
        if self.raw is not None:
            return self.raw
        return self.indent + self.words[0] + (self.sep + ' '.join(self.words[1:]) if len(self.words) > 1 else '') + self.cr

    def touch(self):
        self.raw = None


class Entry:
    def __init__(self, lines):
        self.lines = lines

    @property
    def title(self):
        t = self.lines[0]
        if t.raw is not None:
            body = t.raw.rstrip('\r')[len(t.indent):]
            return re.sub(r'^title[ \t=]*', '', body)
        return ' '.join(t.words[1:])

    def first(self, kind):
        for ln in self.lines[1:]:
            if ln.kind == kind:
                return ln
        return None

    def all(self, kind):
        return [ln for ln in self.lines[1:] if ln.kind == kind]

    @property
    def multiboot(self):
        return self.first('module') is not None and self.first('kernel') is not None

    def kernel_path(self):
        """The Linux kernel image of the entry (first module of a Xen entry)."""
        if self.multiboot:
            m = self.first('module')
            return m.words[1] if len(m.words) > 1 else None
        k = self.first('kernel')
        return k.words[1] if k and len(k.words) > 1 else None

    def kernel_args_line(self):
        return self.first('module') if self.multiboot else self.first('kernel')

    def initrd_path(self):
        if self.multiboot:
            mods = self.all('module')
            return mods[1].words[1] if len(mods) > 1 and len(mods[1].words) > 1 else None
        i = self.first('initrd')
        return i.words[1] if i and len(i.words) > 1 else None


class Config:
    def __init__(self, text):
        self.trailing_newline = text.endswith('\n')
        raw = text.split('\n')
        if self.trailing_newline:
            raw = raw[:-1]
        self.head = []
        self.entries = []
        for r in raw:
            ln = Line(r)
            if ln.kind == 'title':
                self.entries.append(Entry([ln]))
            elif self.entries:
                self.entries[-1].lines.append(ln)
            else:
                self.head.append(ln)

    def text(self):
        lines = self.head + [ln for e in self.entries for ln in e.lines]
        return '\n'.join(ln.text() for ln in lines) + ('\n' if self.trailing_newline or not lines else '\n')

    def default_line(self):
        for ln in self.head:
            if ln.kind == 'default':
                return ln
        return None

    def default_index(self):
        ln = self.default_line()
        if ln is None or len(ln.words) != 2:
            return 0
        if ln.words[1] == 'saved':
            return 'saved'
        try:
            return int(ln.words[1])
        except ValueError:
            return 0

    def set_default(self, idx):
        ln = self.default_line()
        if ln is not None:
            if len(ln.words) >= 2:
                ln.words = ['default', str(idx)]
            else:
                ln.words.append(str(idx))
            ln.sep = ln.sep if ln.sep.strip(' \t') else ln.sep
            ln.touch()
        elif idx != 0:
            new = Line.make('', ['default', str(idx)], '=')
            # after the last non-comment line before the first title
            pos = 0
            for i, l in enumerate(self.head):
                if l.kind != 'comment':
                    pos = i + 1
            self.head.insert(pos, new)


# ---- paths ---------------------------------------------------------------------------------------
def boot_is_separate():
    try:
        return os.stat('/').st_dev != os.stat('/boot').st_dev
    except OSError:
        return False


def to_config_path(path):
    """/boot/vmlinuz-X -> /vmlinuz-X when /boot is its own partition."""
    if boot_is_separate() and path.startswith('/boot/'):
        return path[len('/boot'):]
    return path


def to_os_path(path):
    p = re.sub(r'^\([^)]*\)', '', path or '')
    if boot_is_separate():
        return '/boot' + p
    return p


def same_image(config_path, os_path):
    """Does a kernel/module path of grub.conf name the file os_path (/boot/... as the OS sees it)?"""
    if not config_path or not os_path:
        return False
    return re.sub(r'^\([^)]*\)', '', config_path) == to_config_path(os_path)


def config_target(path='/etc/grub.conf'):
    """grubby resolves one level of symbolic link (relative to the link's directory)."""
    if os.path.islink(path):
        t = os.readlink(path)
        if not t.startswith('/'):
            t = os.path.normpath(os.path.join(os.path.dirname(path), t))
        return t
    return path


def read_config(path='/etc/grub.conf'):
    with open(path, 'r', encoding='latin-1', newline='') as f:
        return Config(f.read())


def write_config(cfg, path='/etc/grub.conf'):
    target = config_target(path)
    tmp = target + '-'
    try:
        mode = os.stat(target).st_mode & 0o7777
    except OSError:
        mode = 0o600
    data = cfg.text().encode('latin-1')
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.rename(tmp, target)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        common.err('grubby fatal error: unable to write new configuration %s: %s' % (tmp, e.strerror))
        return False
    return True


# ---- argument merging ---------------------------------------------------------------------------
def arg_key(a):
    return a.split('=', 1)[0]


def merge_args(old, new):
    out = list(old)
    for a in new:
        k = arg_key(a)
        for i, o in enumerate(out):
            if arg_key(o) == k:
                out[i] = a
                break
        else:
            out.append(a)
    return out


def remove_args(old, rm):
    keys = {arg_key(a) for a in rm}
    return [o for o in old if arg_key(o) not in keys]


# ---- operations ---------------------------------------------------------------------------------
def suitable(entry):
    k = entry.kernel_path()
    return bool(k) and os.path.exists(to_os_path(k))


def find_template(cfg, bad_image_okay=False):
    d = cfg.default_index()
    if isinstance(d, int) and 0 <= d < len(cfg.entries):
        e = cfg.entries[d]
        if bad_image_okay or suitable(e):
            return e
    for e in cfg.entries:
        if bad_image_okay or suitable(e):
            return e
    return None


def add_kernel(cfg, kernel, initrd=None, title=None, copy_default=False, make_default=False, args=None,
               multiboot=None, mbargs=None, remove_title=None, bad_image_okay=False):
    args = args or []
    mbargs = mbargs or []
    old_default = cfg.default_index()
    old_default_entry = cfg.entries[old_default] if isinstance(old_default, int) and 0 <= old_default < len(cfg.entries) else None
    template = find_template(cfg, bad_image_okay) if copy_default else None
    if copy_default and template is None and cfg.entries:
        common.err('grubby fatal error: unable to find a suitable template')
        return False
    kpath = to_config_path(kernel)
    ipath = to_config_path(initrd) if initrd else None
    hpath = to_config_path(multiboot) if multiboot else None
    new = [Line.make('', ['title', title or 'Linux'])]
    ind = '\t'
    if template is not None:
        placed_initrd = False
        mods = template.all('module')
        for ln in template.lines[1:]:
            if ln.kind == 'kernel':
                ind = ln.indent
                targs = ln.words[2:]
                if template.multiboot:
                    if hpath:
                        new.append(Line.make(ln.indent, ['kernel', hpath] + merge_args(targs, mbargs)))
                    continue
                if hpath:
                    new.append(Line.make(ln.indent, ['kernel', hpath] + mbargs))
                    new.append(Line.make(ln.indent, ['module', kpath] + merge_args(targs, args)))
                else:
                    new.append(Line.make(ln.indent, ['kernel', kpath] + merge_args(targs, args)))
            elif ln.kind == 'module':
                if ln is mods[0]:
                    targs = ln.words[2:]
                    new.append(Line.make(ln.indent, ['module' if hpath else 'kernel', kpath] + merge_args(targs, args)))
                elif len(mods) > 1 and ln is mods[1]:
                    if ipath:
                        new.append(Line.make(ln.indent, ['module' if hpath else 'initrd', ipath]))
                        placed_initrd = True
            elif ln.kind == 'initrd':
                if ipath:
                    new.append(Line.make(ln.indent, ['module' if hpath else 'initrd', ipath]))
                    placed_initrd = True
            elif ln.kind == 'title':
                continue
            else:
                new.append(Line(ln.raw if ln.raw is not None else ln.text()))
        if ipath and not placed_initrd:
            insert_at_end(new, Line.make(ind, ['module' if hpath else 'initrd', ipath]))
    else:
        if hpath:
            new.append(Line.make(ind, ['kernel', hpath] + mbargs))
            new.append(Line.make(ind, ['module', kpath] + args))
            if ipath:
                new.append(Line.make(ind, ['module', ipath]))
        else:
            new.append(Line.make(ind, ['kernel', kpath] + args))
            if ipath:
                new.append(Line.make(ind, ['initrd', ipath]))
    if remove_title is not None:
        cfg.entries = [e for e in cfg.entries if e.title.strip() != remove_title]
    entry = Entry(new)
    cfg.entries.insert(0, entry)
    if make_default:
        cfg.set_default(0)
    elif old_default == 'saved':
        pass
    elif old_default_entry is not None and old_default_entry in cfg.entries:
        cfg.set_default(cfg.entries.index(old_default_entry))
    else:
        cfg.set_default(0)
    return True


def insert_at_end(lines, ln):
    """Append a line to an entry, before its trailing comment/blank lines."""
    pos = len(lines)
    while pos > 1 and lines[pos - 1].kind == 'comment':
        pos -= 1
    lines.insert(pos, ln)


def select(cfg, spec):
    """Entries for --info/--update-kernel/--remove-kernel: ALL, DEFAULT, index, TITLE=..., or a kernel path."""
    if spec == 'ALL':
        return list(cfg.entries)
    if spec == 'DEFAULT':
        d = cfg.default_index()
        return [cfg.entries[d]] if isinstance(d, int) and d < len(cfg.entries) else []
    if spec.startswith('TITLE='):
        t = spec[6:]
        return [e for e in cfg.entries if e.title.strip() == t]
    if re.fullmatch(r'\d+(,\d+)*', spec):
        idx = [int(x) for x in spec.split(',')]
        return [e for i, e in enumerate(cfg.entries) if i in idx]
    res = []
    for e in cfg.entries:
        paths = [ln.words[1] for ln in e.lines[1:] if ln.kind in ('kernel', 'module') and len(ln.words) > 1]
        if any(same_image(p, spec) for p in paths):
            res.append(e)
    return res


def update_kernel(cfg, spec, initrd=None, args=None, remove=None, mbargs=None, remove_mb=None):
    for e in select(cfg, spec):
        kl = e.kernel_args_line()
        if kl is not None and (args or remove):
            w = kl.words[2:]
            if remove:
                w = remove_args(w, remove)
            if args:
                w = merge_args(w, args)
            kl.words = kl.words[:2] + w
            kl.touch()
        if e.multiboot and (mbargs or remove_mb):
            hl = e.first('kernel')
            w = hl.words[2:]
            if remove_mb:
                w = remove_args(w, remove_mb)
            if mbargs:
                w = merge_args(w, mbargs)
            hl.words = hl.words[:2] + w
            hl.touch()
        if initrd:
            ip = to_config_path(initrd)
            if e.multiboot:
                mods = e.all('module')
                if len(mods) > 1:
                    mods[1].words = ['module', ip]
                    mods[1].touch()
                else:
                    insert_at_end(e.lines, Line.make(mods[0].indent, ['module', ip]))
            else:
                il = e.first('initrd')
                if il is not None:
                    il.words = ['initrd', ip]
                    il.touch()
                else:
                    k = e.first('kernel')
                    insert_at_end(e.lines, Line.make(k.indent if k else '\t', ['initrd', ip]))


def remove_kernel(cfg, spec):
    doomed = select(cfg, spec)
    if not doomed:
        return
    old = cfg.default_index()
    old_entry = cfg.entries[old] if isinstance(old, int) and old < len(cfg.entries) else None
    cfg.entries = [e for e in cfg.entries if e not in doomed]
    if isinstance(old, int):
        if old_entry in cfg.entries:
            cfg.set_default(cfg.entries.index(old_entry))
        else:
            cfg.set_default(0)


def info(cfg, spec):
    out = []
    for e in select(cfg, spec):
        i = cfg.entries.index(e)
        out.append('index=%d' % i)
        kl = e.first('kernel')
        if kl is not None and len(kl.words) > 1:
            out.append('kernel=%s' % to_os_path(kl.words[1]))
            out.append('args="%s"' % ' '.join(kl.words[2:]))
        al = e.kernel_args_line()
        if al is not None:
            roots = [w[5:] for w in al.words[2:] if w.startswith('root=')]
            if roots:
                out.append('root=%s' % roots[-1])
        if e.multiboot:
            for n, m in enumerate(e.all('module')):
                out.append('mbmodule%d=%s' % (n, ' '.join([to_os_path(m.words[1])] + m.words[2:])))
        elif e.initrd_path():
            out.append('initrd=%s' % to_os_path(e.initrd_path()))
        out.append('title=%s' % e.title)
    return out


# ---- CLI: grubby ---------------------------------------------------------------------------------
def grubby_main(argv):
    opts = {}
    args = argv[1:]
    flags = {'--copy-default', '--make-default', '--default-kernel', '--bad-image-okay', '--grub'}
    i = 0
    while i < len(args):
        a = args[i]
        if a in flags:
            opts[a] = True
        elif a.startswith('--') and '=' in a:
            k, v = a.split('=', 1)
            opts[k] = v
        elif a in ('-c', '-o', '--config-file', '--output-file', '--initrd', '--title', '--args', '--mbargs',
                   '--add-kernel', '--remove-kernel', '--update-kernel', '--add-multiboot', '--info',
                   '--set-default', '--remove-args', '--remove-mbargs', '--boot-filesystem'):
            i += 1
            opts[{'-c': '--config-file', '-o': '--output-file'}.get(a, a)] = args[i] if i < len(args) else ''
        else:
            common.err('grubby: bad argument %s: unknown option' % a)
            return 1
        i += 1
    conf = opts.get('--config-file', '/etc/grub.conf')
    try:
        cfg = read_config(conf)
    except OSError as e:
        common.err('grubby: error reading %s: %s' % (conf, e.strerror))
        return 1
    if opts.get('--default-kernel'):
        d = cfg.default_index()
        if isinstance(d, int) and d < len(cfg.entries):
            kl = cfg.entries[d].first('kernel')
            if kl is not None and len(kl.words) > 1:
                common.out(to_os_path(kl.words[1]))
        return 0
    if '--info' in opts:
        lines = info(cfg, opts['--info'])
        if not lines:
            common.err('grubby: kernel not found')
            return 1
        for l in lines:
            common.out(l)
        return 0
    changed = False
    if '--set-default' in opts:
        hits = select(cfg, opts['--set-default'])
        if hits:
            cfg.set_default(cfg.entries.index(hits[0]))
            changed = True
    if '--remove-kernel' in opts and '--add-kernel' not in opts:
        remove_kernel(cfg, opts['--remove-kernel'])
        changed = True
    if '--update-kernel' in opts:
        update_kernel(cfg, opts['--update-kernel'], opts.get('--initrd'),
                      opts.get('--args', '').split() or None, opts.get('--remove-args', '').split() or None,
                      opts.get('--mbargs', '').split() or None, opts.get('--remove-mbargs', '').split() or None)
        changed = True
    if '--add-kernel' in opts:
        rt = opts.get('--remove-kernel')
        ok = add_kernel(cfg, opts['--add-kernel'], opts.get('--initrd'), opts.get('--title'),
                        bool(opts.get('--copy-default')), bool(opts.get('--make-default')),
                        opts.get('--args', '').split(), opts.get('--add-multiboot'),
                        opts.get('--mbargs', '').split(), rt[6:] if rt and rt.startswith('TITLE=') else None,
                        bool(opts.get('--bad-image-okay')))
        if not ok:
            return 1
        changed = True
    if changed:
        out = opts.get('--output-file', conf)
        if out == '-':
            sys.stdout.write(cfg.text())
            return 0
        return 0 if write_config(cfg, out) else 1
    return 0


# ---- new-kernel-pkg (RHEL 6) ---------------------------------------------------------------------
def sysconfig(path):
    vals = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r'\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$', line)
                if m:
                    v = m.group(2).strip()
                    if len(v) >= 2 and v[0] == v[-1] and v[0] in '"\'':
                        v = v[1:-1]
                    vals[m.group(1)] = v
    except OSError:
        pass
    return vals


def os_title(version):
    try:
        with open('/etc/redhat-release') as f:
            rel = f.read().split('\n')[0]
    except OSError:
        rel = 'Linux'
    return '%s (%s)' % (re.sub(r' release.*$', '', rel), version)


def root_device():
    try:
        with open('/etc/fstab') as f:
            for line in f:
                w = line.split()
                if len(w) >= 2 and not w[0].startswith('#') and w[1] == '/':
                    return w[0]
    except OSError:
        pass
    return None


def nkp_install(version, package='kernel', multiboot=None, mbargs=None, initrdfile=None, kernel_args=None,
                make_default=None):
    if not os.path.exists(config_target('/etc/grub.conf')) or not os.path.exists('/etc/grub.conf'):
        return 0                              # no /etc/grub.conf: nothing happens, silently
    kimg = '/boot/vmlinuz-' + version
    if not os.path.exists(kimg):
        common.err('kernel image %s not found' % kimg)
        return 1
    kc = sysconfig('/etc/sysconfig/kernel')
    if make_default is None:
        make_default = kc.get('UPDATEDEFAULT') == 'yes' and kc.get('DEFAULTKERNEL', '') == package
    initrd = initrdfile or ('/boot/initramfs-%s.img' % version)
    if not os.path.exists(initrd):
        initrd = None
    title = os_title(version)
    args = []
    rd = root_device()
    if rd:
        args.append('root=' + rd)
    if kernel_args:
        args += kernel_args.split()
    cfg = read_config()
    if not add_kernel(cfg, kimg, initrd, title, copy_default=True, make_default=make_default, args=args,
                      multiboot=multiboot, mbargs=(mbargs or '').split() if multiboot else None, remove_title=title):
        return 1
    return 0 if write_config(cfg) else 1


def nkp_update(version, multiboot=None, kernel_args=None):
    if not os.path.exists(config_target('/etc/grub.conf')):
        return 0
    kimg = '/boot/vmlinuz-' + version
    initrd = '/boot/initramfs-%s.img' % version
    cfg = read_config()
    update_kernel(cfg, kimg, initrd if os.path.exists(initrd) else None, (kernel_args or '').split() or None)
    return 0 if write_config(cfg) else 1


def mkinitrd(version, size=20_480_000):
    path = '/boot/initramfs-%s.img' % version
    try:
        common.write_boot_file(path, 'initramfs', version, size)
        os.chmod(path, 0o600)
    except OSError as e:
        try:
            os.unlink(path)
        except OSError:
            pass
        common.err('dracut: creation of %s failed: %s' % (path, e.strerror))
        return 1
    return 0


def nkp_main(argv):
    mode = None
    version = None
    o = {}
    args = argv[1:]
    takes_value = {'--package', '--kernel-args', '--initrdfile', '--multiboot', '--mbargs', '--banner', '--kernel-image',
                   '--devtreefile', '--kernel-name'}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ('--install', '--update', '--remove'):
            mode = a[2:]
        elif a.startswith('--') and '=' in a:
            k, v = a.split('=', 1)
            o[k] = v
        elif a in takes_value:
            i += 1
            o[a] = args[i] if i < len(args) else ''
        elif a.startswith('-'):
            o[a] = True
        else:
            version = a
        i += 1
    if not version or not mode:
        common.err('Usage: new-kernel-pkg [-v] [--mkinitrd] [--rminitrd] [--initrdfile=<initrd-image>] [--depmod] '
                   '[--rmmoddep] [--kernel-args=<args>] [--banner=<banner>] [--multiboot=multiboot] [--mbargs=mbargs] '
                   '[--make-default] [--add-plymouth-initrd] [--host-only] [--devtreefile=<devicetree.dtb>] '
                   '<--install | --remove | --update> <kernel-version>')
        return 1
    # RHEL 6 new-kernel-pkg (grubby 7.0.15-4+, rhbz#991197): /etc/sysconfig/kernel's HYPERVISOR and
    # HYPERVISOR_ARGS are the defaults of --multiboot/--mbargs, for EVERY kernel package installed
    kc = sysconfig('/etc/sysconfig/kernel')
    mb = o.get('--multiboot') or kc.get('HYPERVISOR') or None
    mbargs = o.get('--mbargs') or kc.get('HYPERVISOR_ARGS') or None
    if mode == 'install':
        return nkp_install(version, o.get('--package', 'kernel'), mb, mbargs,
                           o.get('--initrdfile'), o.get('--kernel-args'), True if o.get('--make-default') else None)
    if mode == 'update':
        if o.get('--mkinitrd'):
            if mkinitrd(version) != 0:
                return 1
        return nkp_update(version, mb, o.get('--kernel-args'))
    if mode == 'remove':
        if os.path.exists(config_target('/etc/grub.conf')):
            cfg = read_config()
            remove_kernel(cfg, '/boot/vmlinuz-' + version)
            write_config(cfg)
        if o.get('--rminitrd'):
            try:
                os.unlink('/boot/initramfs-%s.img' % version)
            except OSError:
                pass
        return 0
    return 1


# ---- grub-bootxen.sh (Xen4CentOS helper), behaviour of centos-release-xen 8-8 --------------------
def bootxen_main(argv, kver=None):
    me = '/usr/bin/grub-bootxen.sh'
    if not os.path.exists('/etc/sysconfig/xen-kernel'):
        common.out('No /etc/sysconfig/xen-kernel, nothing to do.')
        return 0
    xk = sysconfig('/etc/sysconfig/xen-kernel')
    if xk.get('BOOT_XEN_AS_DEFAULT', '').lower() == 'no':
        common.out("BOOT_XEN_AS_DEFAULT is 'no', nothing more to do.")
        return 0
    if not (os.path.exists('/boot/xen.gz') or os.path.exists('/boot/xen')):
        common.out('No /boot/xen.gz or /boot/xen, nothing more to do.')
        return 0
    kver = kver if kver is not None else os.environ.get('kver', '')
    grub1 = os.path.realpath('/etc/grub.conf')
    if not os.path.exists(grub1):
        common.out("Don't know how to update bootloader.")
        return 0
    if not kver:
        cfg = read_config()
        d = cfg.default_index()
        default = ''
        if isinstance(d, int) and d < len(cfg.entries):
            kl = cfg.entries[d].first('kernel')
            default = to_os_path(kl.words[1]) if kl is not None and len(kl.words) > 1 else ''
        m = re.match(r'.*vmlinuz-(.*)', default)
        kver = m.group(1) if m else ''
        if not kver:
            common.out('Xen already installed (default %s kver %s), nothing to do' % (default, kver))
            return 0
        initrd = ''
        for l in info(cfg, default):
            if l.startswith('initrd='):
                initrd = l[len('initrd='):]
    else:
        default = '/boot/vmlinuz-' + kver
        initrd = '/boot/initramfs-%s.img' % kver
    if not os.path.exists(default):
        common.out("%s: Strange, can't find kernel %s" % (me, default))
        return 0
    if not initrd or not os.path.exists(initrd):
        common.out("%s: Strange, can't find initrd %s" % (me, default))
        return 0
    common.out('Installing xen.gz stanza for kver %s (kernel %s initrd %s)' % (kver, default, initrd))
    return nkp_install(kver, 'kernel', '/boot/xen.gz', xk.get('XEN_KERNEL_ARGS', ''), initrd)


if __name__ == '__main__':
    name = os.path.basename(sys.argv[0])
    if name == 'new-kernel-pkg':
        sys.exit(nkp_main(sys.argv))
    if name.startswith('grub-bootxen'):
        sys.exit(bootxen_main(sys.argv))
    sys.exit(grubby_main(sys.argv))
