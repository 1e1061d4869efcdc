"""/sbin/grub: the GRUB 0.97 shell of RHEL 6, as far as a one-shot boot needs it.

`echo 'savedefault --default=N --once' | grub --batch` stores the saved entry word in the stage2
file (/boot/grub/stage2, offset 512+0xC): (N<<8)|0x10000|(old&0xFF) with --once, N without.
Options are processed left to right, so `--once --default=N` stores plain N (the later --default
overwrites the word computed by --once). Other commands are echoed and accepted or reported as
unknown, like the real shell does."""
import os
import sys

from . import common, grub0

STAGE2 = '/boot/grub/stage2'
BANNER = ('\n\n    GNU GRUB  version 0.97  (640K lower / 3072K upper memory)\n\n'
          ' [ Minimal BASH-like line editing is supported.  For the first word, TAB\n'
          '   lists possible command completions.  Anywhere else TAB lists the possible\n'
          '   completions of a device/filename.]\n')
SHELL_CMDS = grub0.KNOWN | {'device', 'dump', 'quit'}


def savedefault(arg, out):
    stage2 = STAGE2
    word = None
    for opt in arg.split():
        if opt.startswith('--stage2='):
            stage2 = opt.split('=', 1)[1]
    try:
        with open(stage2, 'rb') as f:
            f.seek(grub0.STAGE2_SAVED_OFFSET)
            old = int.from_bytes(f.read(4).ljust(4, b'\0'), 'little')
    except OSError:
        out('\nError 15: File not found\n')
        return 1
    word = old
    new_default = None
    for opt in arg.split():
        if opt.startswith('--default='):
            v, _ = grub0.parse_maxint(opt.split('=', 1)[1])
            if v is None:
                out('\nError 23: Error while parsing number\n')
                return 1
            word = v
            new_default = v
        elif opt == '--once':
            if new_default is None:
                # --once without a preceding --default: the current saved entry
                new_default = word & 0xFF
            word = (new_default << 8) | grub0.ONCE_FLAG | (old & 0xFF)
        elif opt.startswith('--stage2='):
            pass
        elif opt.isdigit():
            word = int(opt)
        else:
            out('\nError 30: Invalid argument\n')
            return 1
    try:
        fd = os.open(stage2, os.O_WRONLY)
        try:
            os.lseek(fd, grub0.STAGE2_SAVED_OFFSET, 0)
            os.write(fd, int(word & 0xFFFFFFFF).to_bytes(4, 'little'))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        out('\nError 29: Disk write error\n')
        return 1
    return 0


def main(argv):
    batch = '--batch' in argv
    if os.geteuid() != 0:
        common.err('grub: You must be root to run this command')
        return 1
    w = sys.stdout.write
    if batch:
        w('Probing devices to guess BIOS drives. This may take a long time.\n')
    w(BANNER)
    sys.stdout.flush()
    rc = 0
    for raw in sys.stdin:
        line = raw.rstrip('\n').rstrip('\r')
        w('grub> ' + line + '\n')
        s = line.strip()
        if not s:
            continue
        name = grub0.command_name(s)
        arg = grub0.skip_to(1, s)
        if name == 'quit':
            break
        if name not in SHELL_CMDS:
            w('\nError 27: Unrecognized command\n')
            rc = 1
            continue
        if name == 'savedefault':
            if savedefault(arg, w) != 0:
                rc = 1
        elif name in ('root', 'find', 'setup', 'install', 'device'):
            w(' Filesystem type is ext2fs, partition type 0x83\n' if name == 'root' else '')
    w('grub> \n')
    sys.stdout.flush()
    return rc


if __name__ == '__main__':
    sys.exit(main(sys.argv))
