"""GRUB 0.97 as built by RHEL 6 (grub-0.97-99.el6): how stage2 reads grub.conf and boots an entry.

Written from GRUB 0.97's own reading code (stage2/stage2.c get_line_from_config + cmain,
stage2/cmdline.c find_command/skip_to/run_script, stage2/builtins.c default/fallback/timeout and
the kernel/initrd/module commands) and RHEL 6's one-shot `savedefault --once` (the saved entry word
in the stage2 file at offset 512+0xC). See /work/shared/design/grub-legacy-semantics.md sections 1.1-1.8.
It deliberately shares no code with dom0up's TypeScript parser.

Bytes are handled as latin-1 strings so that every byte of the file survives unchanged.
"""
import os

NEW_HEAPSIZE = 1500          # shared.h: characters beyond this on one logical line are dropped
MAX_FALLBACK_ENTRIES = 8
MAXINT = 0x7FFFFFFF
STAGE2_SAVED_OFFSET = 512 + 0xC
ONCE_FLAG = 0x10000

# ---- the RHEL 6 stage2 command table (case-sensitive) -------------------------------------------
MENU_ONLY = {'default', 'fallback', 'hiddenmenu', 'timeout'}
MENU_AND_CMDLINE = {
    'bootp', 'color', 'dhcp', 'hide', 'ifconfig', 'pager', 'partnew', 'parttype', 'password',
    'rarp', 'serial', 'setkey', 'terminal', 'terminfo', 'tftpserver', 'unhide',
    # RHEL 6 additions
    'splashimage', 'foreground', 'background', 'silent', 'verbose', 'macappend', 'efimap', 'debug',
}
CMDLINE_ONLY = {
    'blocklist', 'boot', 'cat', 'chainloader', 'cmp', 'configfile', 'displayapm', 'displaymem',
    'embed', 'find', 'fstest', 'geometry', 'halt', 'help', 'impsprobe', 'initrd', 'install',
    'ioprobe', 'kernel', 'lock', 'makeactive', 'map', 'md5crypt', 'module', 'modulenounzip', 'pause',
    'read', 'reboot', 'root', 'rootnoverify', 'savedefault', 'setup', 'testload', 'testvbe',
    'uppermem', 'vbeprobe', 'clear',
}
# `device`, `dump` and `quit` exist only in the grub shell, not in stage2
MENU_CMDS = MENU_ONLY | MENU_AND_CMDLINE
SCRIPT_CMDS = MENU_AND_CMDLINE | CMDLINE_ONLY
KNOWN = MENU_CMDS | CMDLINE_ONLY | {'title'}

ERRORS = {
    1: 'Filename must be either an absolute pathname or blocklist',
    2: 'Bad file or directory type',
    8: 'Kernel must be loaded before booting',
    11: 'Unrecognized device string',
    13: 'Invalid or unsupported executable format',
    15: 'File not found',
    17: 'Cannot mount selected partition',
    19: 'Linux kernel must be loaded before initrd',
    20: 'Multiboot kernel must be loaded before modules',
    21: 'Selected disk does not exist',
    22: 'No such partition',
    23: 'Error while parsing number',
    26: 'Too many symbolic links',
    27: 'Unrecognized command',
    32: 'Must be authenticated',
}


class GrubError(Exception):
    def __init__(self, num):
        super().__init__('Error %d: %s' % (num, ERRORS.get(num, 'error')))
        self.num = num


def error_text(num):
    return 'Error %d: %s' % (num, ERRORS.get(num, 'error'))


# ---- 1.1 physical -> logical lines --------------------------------------------------------------
def config_lines(data):
    """Logical command lines exactly as get_line_from_config() returns them (a port of the C loop)."""
    if isinstance(data, bytes):
        data = data.decode('latin-1')
    lines = []
    i, n = 0, len(data)
    while True:
        buf = []
        pos = 0
        literal = comment = False
        while i < n:
            c = data[i]
            i += 1
            if c == '\r':                 # skip all carriage returns
                continue
            if c == '\t':                 # tabs become spaces first
                c = ' '
            if literal:                   # previous char was a backslash
                if c == '\n':
                    c = ' '
                    if pos > 0:
                        pos -= 1          # overwrite the backslash
                literal = False
            if c == '\\' and not literal:
                literal = True
            if comment:
                if c == '\n':
                    comment = False
            elif pos == 0:
                if c == '#':
                    comment = True
                elif c != ' ' and c != '\n':
                    _store(buf, pos, c)
                    pos += 1
            else:
                if c == '\n':
                    break
                if pos < NEW_HEAPSIZE:
                    _store(buf, pos, c)
                    pos += 1
        if pos == 0:
            break                         # EOF (comment and blank lines never return)
        lines.append(''.join(buf[:pos]))
    return lines


def _store(buf, pos, c):
    if pos < len(buf):
        buf[pos] = c
    else:
        buf.append(c)


# ---- 1.2 command name and separator --------------------------------------------------------------
def command_name(line):
    j = 0
    while j < len(line) and line[j] not in ' \t=':
        j += 1
    return line[:j]


def skip_to(after_equal, s):
    j = 0
    while j < len(s) and s[j] not in ' \t' and not (after_equal and s[j] == '='):
        j += 1
    while j < len(s) and (s[j] in ' \t' or (after_equal and s[j] == '=')):
        j += 1
    return s[j:]


def parse_maxint(s):
    """safe_parse_maxint: decimal or 0x hex; stops at the first non-digit. Returns (value, rest) or
    (None, s) on a parse error (nothing parsed) or overflow."""
    ptr = 0
    mult = 10
    if len(s) >= 2 and s[0] == '0' and s[1].lower() == 'x':
        ptr = 2
        mult = 16
    val = 0
    found = False
    while ptr < len(s):
        ch = s[ptr].lower()
        if '0' <= ch <= '9':
            d = ord(ch) - 48
        elif mult == 16 and 'a' <= ch <= 'f':
            d = ord(ch) - 87
        else:
            break
        found = True
        if val > (MAXINT - d) // mult:
            return None, s
        val = val * mult + d
        ptr += 1
    if not found:
        return None, s
    return val, s[ptr:]


# ---- 1.3/1.5/1.6 the file structure and the menu commands ----------------------------------------
class Config:
    def __init__(self):
        self.entries = []            # [{'title': str, 'commands': [str], 'index': int}]
        self.default_entry = 0
        self.fallback_entries = []
        self.fallback_entryno = -1
        self.timeout = -1            # -1: no timeout line -> the menu waits for a key forever
        self.hiddenmenu = False
        self.password = None
        self.saved_word = 0          # the stage2 saved-entry word as read at power-on
        self.new_saved_word = None   # what stage2 wrote back (once-flag consumed), if anything
        self.once = None             # the one-shot entry that was consumed
        self.notes = []              # what happened while reading (for the console log / tests)
        self.ignored = []            # unknown command lines (silently skipped by GRUB)
        self.has_default_line = False

    def to_json(self):
        return {
            'entries': [{'index': e['index'], 'title': e['title'], 'commands': e['commands']} for e in self.entries],
            'default': self.default_entry,
            'fallback': self.fallback_entries if self.fallback_entryno >= 0 or self.fallback_entries else [],
            'fallbackActive': self.fallback_entryno >= 0,
            'timeout': self.timeout,
            'hiddenmenu': self.hiddenmenu,
            'once': self.once,
            'savedWordIn': self.saved_word,
            'savedWordOut': self.new_saved_word,
            'ignored': self.ignored,
            'notes': self.notes,
        }


def _default_func(cfg, arg):
    cfg.has_default_line = True
    # RHEL 6: a pending one-shot boot (savedefault --default=N --once) is consumed here, whatever
    # the value of the default line; the old saved value is written back.
    if cfg.saved_word & ONCE_FLAG:
        n = (cfg.saved_word >> 8) & 0xFF
        cfg.default_entry = n
        cfg.timeout = 0
        cfg.once = n
        cfg.saved_word = cfg.saved_word & 0xFF
        cfg.new_saved_word = cfg.saved_word
        cfg.notes.append('one-shot entry %d consumed (saved entry restored to %d)' % (n, cfg.saved_word))
        return
    if arg == 'saved':
        cfg.default_entry = cfg.saved_word & 0xFFFF
        cfg.notes.append('default saved -> %d' % cfg.default_entry)
        return
    v, _ = parse_maxint(arg)
    if v is None:
        cfg.notes.append('default: %s (%r)' % (error_text(23), arg))
        return
    cfg.default_entry = v


def _fallback_func(cfg, arg):
    entries = []
    rest = arg
    ok = True
    while rest:
        v, after = parse_maxint(rest)
        if v is None:
            ok = False
            break
        rest = after
        if v in entries:             # duplicate: skipped WITHOUT advancing to the next word
            continue
        entries.append(v)
        if len(entries) == MAX_FALLBACK_ENTRIES:
            break
        rest = skip_to(0, rest)
    if not ok:
        # the command fails: fallback_entryno is left as it was (-1 unless set by an earlier line)
        cfg.notes.append('fallback: %s (%r): fallback disabled' % (error_text(23), arg))
        cfg.fallback_entries = entries  # partially written, but inactive
        return
    cfg.fallback_entries = entries
    cfg.fallback_entryno = 0 if entries else -1


def _timeout_func(cfg, arg):
    # RHEL 6 timeout_func (builtins.c): the first timeout that takes effect wins; once `default` has consumed a
    # one-shot boot (timeout 0), a later `timeout` line is ignored, and a `timeout` line read while the one-shot
    # flag is set means 0. Measured with Red Hat's GRUB by the real-boot tier (test/realboot/oneshot.test.ts).
    if cfg.timeout != -1:
        return
    if cfg.saved_word & ONCE_FLAG:
        cfg.timeout = 0
        return
    v, _ = parse_maxint(arg)
    if v is not None:
        cfg.timeout = v


def parse(data, saved_word=0):
    """Read a grub.conf the way stage2's cmain() does. saved_word: the stage2 saved-entry word."""
    cfg = Config()
    cfg.saved_word = saved_word or 0
    state = 0
    cur = None
    for line in config_lines(data):
        name = command_name(line)
        if name not in KNOWN:
            cfg.ignored.append(line)
            continue
        if name == 'title':
            if state > 1:
                cur['index'] = len(cfg.entries)
                cfg.entries.append(cur)
            elif cur is not None:
                cfg.notes.append('title %r has no known command: dropped' % cur['title'])
            state = 1
            cur = {'title': skip_to(1, line), 'commands': []}
        elif state == 0:
            if name in MENU_CMDS:
                arg = skip_to(1, line)
                if name == 'default':
                    _default_func(cfg, arg)
                elif name == 'fallback':
                    _fallback_func(cfg, arg)
                elif name == 'timeout':
                    _timeout_func(cfg, arg)
                elif name == 'hiddenmenu':
                    cfg.hiddenmenu = True
                elif name == 'password':
                    cfg.password = arg
            # known non-menu commands before the first title are ignored
        else:
            state += 1
            cur['commands'].append(line)
    if state > 1:
        cur['index'] = len(cfg.entries)
        cfg.entries.append(cur)
    elif cur is not None:
        cfg.notes.append('title %r has no known command: dropped' % cur['title'])

    num = len(cfg.entries)
    if cfg.fallback_entryno >= 0:
        cfg.fallback_entries = [e for e in cfg.fallback_entries if e < num]
        if not cfg.fallback_entries:
            cfg.fallback_entryno = -1
    if cfg.default_entry >= num:
        if cfg.fallback_entryno >= 0:
            cfg.notes.append('default %d out of range: first fallback %d' % (cfg.default_entry, cfg.fallback_entries[0]))
            cfg.default_entry = cfg.fallback_entries[0]
            cfg.fallback_entryno += 1
            if cfg.fallback_entryno >= len(cfg.fallback_entries):
                cfg.fallback_entryno = -1
        else:
            if num:
                cfg.notes.append('default %d out of range: 0' % cfg.default_entry)
            cfg.default_entry = 0
    return cfg


# ---- the disk GRUB sees ------------------------------------------------------------------------
class DirFS:
    """A partition's file system: a directory on the lab side (the mounted /boot image, or the
    host's root). Symbolic links are followed inside the partition, as GRUB's ext2 driver does."""

    def __init__(self, root):
        self.root = root

    def _walk(self, path):
        parts = [p for p in path.split('/') if p]
        cur = []
        links = 0
        while parts:
            p = parts.pop(0)
            if p == '.':
                continue
            if p == '..':
                if cur:
                    cur.pop()
                continue
            real = os.path.join(self.root, *cur, p)
            try:
                st = os.lstat(real)
            except OSError:
                raise GrubError(15)
            if (st.st_mode & 0o170000) == 0o120000:
                links += 1
                if links > 5:
                    raise GrubError(26)
                target = os.readlink(real)
                if target.startswith('/'):
                    cur = []
                parts = [x for x in target.split('/') if x] + parts
                continue
            if parts and (st.st_mode & 0o170000) != 0o040000:
                raise GrubError(15)
            cur.append(p)
        return os.path.join(self.root, *cur)

    def lookup(self, path):
        """Real path of a regular file, or GrubError."""
        real = self._walk(path)
        if not os.path.isfile(real):
            raise GrubError(2 if os.path.isdir(real) else 15)
        return real

    def head(self, path):
        with open(self.lookup(path), 'rb') as f:
            return f.read(200)

    def size(self, path):
        return os.path.getsize(self.lookup(path))

    def read(self, path):
        with open(self.lookup(path), 'rb') as f:
            return f.read()

    def write_word(self, path, offset, value):
        real = self.lookup(path)
        with open(real, 'r+b') as f:
            f.seek(offset)
            f.write(int(value & 0xFFFFFFFF).to_bytes(4, 'little'))
            f.flush()
            os.fsync(f.fileno())

    def read_word(self, path, offset):
        real = self.lookup(path)
        with open(real, 'rb') as f:
            f.seek(offset)
            b = f.read(4)
        return int.from_bytes(b.ljust(4, b'\0'), 'little')


class DictFS:
    """An in-memory partition for table tests: {path: content | {'link': target} | {'dir': True}}."""

    def __init__(self, files):
        self.files = {('/' + k.lstrip('/')).rstrip('/') or '/': v for k, v in (files or {}).items()}
        self.words = {}

    def _walk(self, path):
        parts = [p for p in path.split('/') if p]
        cur = []
        links = 0
        while parts:
            p = parts.pop(0)
            if p in ('.', ''):
                continue
            if p == '..':
                if cur:
                    cur.pop()
                continue
            key = '/' + '/'.join(cur + [p])
            v = self.files.get(key)
            if v is None:
                # implicit directories
                if any(k.startswith(key + '/') for k in self.files):
                    cur.append(p)
                    continue
                raise GrubError(15)
            if isinstance(v, dict) and 'link' in v:
                links += 1
                if links > 5:
                    raise GrubError(26)
                t = v['link']
                if t.startswith('/'):
                    cur = []
                parts = [x for x in t.split('/') if x] + parts
                continue
            cur.append(p)
        return '/' + '/'.join(cur)

    def lookup(self, path):
        key = self._walk(path)
        v = self.files.get(key)
        if v is None or isinstance(v, dict):
            raise GrubError(2 if (v is not None or any(k.startswith(key + '/') for k in self.files)) else 15)
        return key

    def head(self, path):
        v = self.files[self.lookup(path)]
        return (v if isinstance(v, bytes) else v.encode('latin-1'))[:200]

    def size(self, path):
        v = self.files[self.lookup(path)]
        return len(v)

    def read(self, path):
        v = self.files[self.lookup(path)]
        return v if isinstance(v, bytes) else v.encode('latin-1')

    def read_word(self, path, offset):
        key = self.lookup(path)
        return self.words.get(key, 0)

    def write_word(self, path, offset, value):
        self.words[self.lookup(path)] = value


def file_kind(fs, path):
    """('linux'|'xen'|'initramfs'|'data'|None, ident) of a boot file, by its content."""
    head = fs.head(path)
    if not head.startswith(b'TESTBED:'):
        return None, None
    parts = head.split(b'\n', 1)[0].decode('latin-1').split(':', 2)
    if len(parts) < 3:
        return None, None
    return parts[1], parts[2]


# ---- 1.7 booting one entry ---------------------------------------------------------------------
class Machine:
    """The disk layout GRUB sees. partitions: {(disk, part): fs-object or a string naming a
    partition GRUB cannot read (e.g. 'lvm', 'swap')}. boot: the partition stage2 was installed on."""

    def __init__(self, partitions, boot=(0, 0)):
        self.partitions = partitions
        self.boot = boot


def parse_device(s):
    """'(hd0,0)...' -> ((0, 0), rest) ; raises GrubError(11) on a bad device string."""
    if not s.startswith('('):
        return None, s
    end = s.find(')')
    if end < 0:
        raise GrubError(11)
    dev = s[1:end]
    rest = s[end + 1:]
    if not dev.startswith('hd'):
        if dev.startswith('fd') or dev.startswith('nd') or dev.startswith('cd'):
            raise GrubError(21)
        raise GrubError(11)
    body = dev[2:]
    if ',' in body:
        d, p = body.split(',', 1)
    else:
        d, p = body, None
    if not d.isdigit():
        raise GrubError(11)
    if p is None:
        return (int(d), None), rest
    if not p.isdigit():
        raise GrubError(11)
    return (int(d), int(p)), rest


def run_entry(machine, cfg, entry, log, stage2_path=None):
    """run_script() over one entry. Returns a dict describing what was loaded; raises GrubError."""
    root = machine.boot
    loaded = {'type': None, 'kernel': None, 'kernel_args': '', 'mb_cmdline': '', 'modules': [],
              'initrd': [], 'root': root, 'savedefault': None}

    def fs_of(dev):
        if dev[0] not in {d for d, _ in machine.partitions}:
            raise GrubError(21)
        if dev[1] is None:
            raise GrubError(17)
        part = machine.partitions.get(dev)
        if part is None:
            raise GrubError(22)
        if isinstance(part, str):
            raise GrubError(17)
        return part

    def open_file(spec):
        dev, path = parse_device(spec)
        if dev is None:
            dev = root
        if not path.startswith('/'):
            raise GrubError(1)
        fs = fs_of(dev)
        fs.lookup(path)
        return fs, path

    for line in entry['commands']:
        name = command_name(line)
        log.append(line)
        if name not in SCRIPT_CMDS:
            raise GrubError(27)               # menu-only command inside an entry
        arg = skip_to(1, line)
        if name in ('root', 'rootnoverify'):
            dev, _ = parse_device(arg.split(' ')[0])
            if dev is None:
                raise GrubError(11)
            if name == 'root':
                fs_of(dev)
                log.append(' Filesystem type is ext2fs, partition type 0x83')
            root = dev
            loaded['root'] = root
        elif name == 'kernel':
            a = arg
            while a.startswith('--'):
                a = skip_to(0, a)
            fname = a.split(' ', 1)[0]
            fs, path = open_file(fname)
            kind, ident = file_kind(fs, path)
            if kind == 'linux':
                loaded.update(type='linux', kernel=(fs, path), kernel_args=skip_to(0, a), release=ident,
                              modules=[], initrd=[])
                log.append('   [Linux-bzImage, setup=0x3400, size=0x%x]' % max(fs.size(path) - 13312, 0))
            elif kind == 'xen':
                loaded.update(type='multiboot', kernel=(fs, path), mb_cmdline=a, xen_version=ident,
                              modules=[], initrd=[])
                log.append('   [Multiboot-elf, <0x100000:0x17c000:0x0>, shtab=0x2a6078, entry=0x100000]')
            else:
                loaded['type'] = None
                raise GrubError(13)
        elif name == 'initrd':
            if loaded['type'] != 'linux':
                raise GrubError(19)
            files = [x for x in arg.split(' ') if x]   # RHEL: several images may be given
            for fname in files:
                fs, path = open_file(fname)
                loaded['initrd'].append((fs, path))
            log.append('   [Linux-initrd @ 0x37a6c000, 0x%x bytes]' % sum(f.size(p) for f, p in loaded['initrd']))
        elif name in ('module', 'modulenounzip'):
            if loaded['type'] == 'multiboot':
                fname = arg.split(' ', 1)[0]
                fs, path = open_file(fname)
                loaded['modules'].append({'file': (fs, path), 'string': arg})
                log.append('   [Multiboot-module @ 0x2a7000, 0x%x bytes]' % fs.size(path))
            elif loaded['type'] == 'linux':
                fname = arg.split(' ', 1)[0]      # acts as initrd after a Linux kernel
                fs, path = open_file(fname)
                loaded['initrd'].append((fs, path))
            else:
                raise GrubError(20)
        elif name == 'savedefault':
            loaded['savedefault'] = arg.strip() or None
            if stage2_path:
                loaded['savedefault_done'] = True
        elif name == 'boot':
            if loaded['type'] is None:
                raise GrubError(8)
            return loaded
        elif name == 'chainloader':
            fname = arg.split(' ')[0].lstrip('-')
            loaded.update(type='chainloader', kernel=fname)
        elif name == 'lock':
            if cfg.password is not None:
                raise GrubError(32)
        elif name in ('password', 'pause', 'read', 'halt', 'reboot', 'configfile', 'install', 'setup',
                      'embed', 'find', 'cat', 'cmp', 'fstest', 'testload', 'testvbe', 'geometry'):
            loaded['type'] = 'stop:' + name
            return loaded
        # every other command (color, terminal, serial, splashimage, hide, makeactive, map, ...) has
        # no effect on which image gets booted
    return loaded


def boot(cfg, machine, stage2_path=None, log=None):
    """Power-on: pick the entry (default, one-shot, fallback) and run it, following fallback on
    errors like stage2's run_menu(). Returns a decision dict."""
    log = log if log is not None else []
    decision = {'attempts': [], 'result': None, 'error': None, 'entryIndex': None, 'title': None,
                'loaded': None}
    if not cfg.entries:
        log.append('    GNU GRUB  version 0.97  (640K lower / 3072K upper memory)')
        log.append(' [ Minimal BASH-like line editing is supported. ]')
        log.append('grub> ')
        decision.update(result='bootfail', error='no bootable entry in grub.conf: GRUB stopped at the grub> prompt')
        return decision
    if cfg.timeout < 0:
        decision.update(result='bootfail', entryIndex=cfg.default_entry,
                        title=cfg.entries[cfg.default_entry]['title'],
                        error='no timeout line: the GRUB menu waits for a key press forever')
        log.append('GRUB menu shown, no timeout: waiting for a key press (no one is at the console)')
        return decision
    entryno = cfg.default_entry
    fallback_no = cfg.fallback_entryno
    while True:
        entry = cfg.entries[entryno]
        log.append("  Booting '%s'" % entry['title'])
        log.append('')
        attempt = {'entryIndex': entryno, 'title': entry['title'], 'error': None}
        decision['attempts'].append(attempt)
        try:
            loaded = run_entry(machine, cfg, entry, log, stage2_path)
            if loaded['type'] is None:
                # run_script: "If any kernel is not loaded, just exit successfully" -> back to the menu
                attempt['error'] = 'entry loaded no kernel: GRUB returned to the menu'
                decision.update(result='bootfail', entryIndex=entryno, title=entry['title'],
                                error=attempt['error'], loaded=None)
                return decision
            decision.update(result='loaded', entryIndex=entryno, title=entry['title'], loaded=loaded)
            return decision
        except GrubError as e:
            attempt['error'] = str(e)
            log.append('')
            log.append(str(e))
            if fallback_no >= 0:
                entryno = cfg.fallback_entries[fallback_no]
                fallback_no += 1
                if fallback_no >= len(cfg.fallback_entries):
                    fallback_no = -1
                log.append('Falling back to entry %d' % entryno)
                continue
            log.append('')
            log.append('Press any key to continue...')
            decision.update(result='bootfail', entryIndex=entryno, title=entry['title'], error=str(e))
            return decision
