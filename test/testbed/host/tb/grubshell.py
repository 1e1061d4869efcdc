"""/sbin/grub: the GRUB 0.97 shell of RHEL 6, as far as a one-shot boot needs it.

`echo 'savedefault --default=N --once' | grub --batch` stores the saved entry word in the stage2
file (/boot/grub/stage2, offset 512+0xC): (N<<8)|0x10000|(old&0xFF) with --once, N without.
Options are processed left to right, so `--once --default=N` stores plain N (the later --default
overwrites the word computed by --once); a bare `--once` means entry 0, and the first word that is
not an option ends them silently (`savedefault 3` stores 0). Other commands are echoed and accepted
or reported as unknown, like the real shell does."""
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
    # A port of savedefault_shell() (grub-fedora-9.patch, stage2/builtins.c): options are read left to right while
    # they are --stage2=, --default= or --once (prefix matches, as grub_memcmp does); the first other word ends the
    # list silently. The word starts at 0: a bare `--once` boots entry 0 once, a bare number is not an option.
    # Checked against Red Hat's own shell by the real-boot tier (test/realboot/grub-el6.test.ts).
    stage2 = STAGE2
    new_default = 0
    for opt in arg.split():
        if opt.startswith('--stage2='):
            stage2 = opt.split('=', 1)[1]
        elif opt.startswith('--default='):
            v, _ = grub0.parse_maxint(opt.split('=', 1)[1])
            if v is None:
                out('\nError 23: Error while parsing number\n')
                return 1
            new_default = v
        elif opt.startswith('--once'):
            new_default = ((new_default << 8) | grub0.ONCE_FLAG) & 0xFFFFFFFF
        else:
            break
    try:
        with open(stage2, 'rb') as f:
            f.seek(grub0.STAGE2_SAVED_OFFSET)
            old = int.from_bytes(f.read(4).ljust(4, b'\0'), 'little')
    except OSError:
        out('\nError 15: File not found\n')
        return 1
    word = new_default + (old & 0xFF) if new_default & grub0.ONCE_FLAG else new_default
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
