"""hostctl.py -- operations on a simulated host's disk from outside (used by test/testbed/index.ts).

  hostctl.py read HOSTDIR PATH      print the file PATH as the host sees it (host powered off/down:
                                    overlay upper over the machine's /, and the /boot image)
  hostctl.py fill DIR               fill the file system of DIR completely (real ENOSPC afterwards)
  hostctl.py unfill DIR             undo fill
Exit status 2: no such file."""
import os
import sys

FILL = '.testbed-full'


def opaque(p):
    try:
        return os.getxattr(p, 'trusted.overlay.opaque') == b'y'
    except OSError:
        return False


def whiteout(p):
    try:
        st = os.lstat(p)
    except OSError:
        return False
    return (st.st_mode & 0o170000) == 0o020000 and st.st_rdev == 0


class View:
    """Path resolution in the host's root: overlay (upper over lower '/') plus /boot as a separate
    file system when the host has a boot partition (the lab's mount of it, through /proc/PID/root)."""

    def __init__(self, hostdir, bootdir):
        self.upper = os.path.join(hostdir, 'upper')
        self.bootdir = bootdir

    def real(self, comps):
        """Real path of the object at host path comps (the last component not followed), or None."""
        if self.bootdir and comps[:1] == ['boot']:
            p = os.path.join(self.bootdir, *comps[1:])
            return p if os.path.lexists(p) else None
        u = self.upper
        lower_visible = True
        for i, c in enumerate(comps):
            nu = os.path.join(u, c)
            if os.path.lexists(nu):
                if whiteout(nu):
                    return None
                if i == len(comps) - 1:
                    return nu
                if not os.path.isdir(nu) or os.path.islink(nu):
                    return None
                if opaque(nu):
                    lower_visible = False
                u = nu
                continue
            if not lower_visible:
                return None
            low = os.path.join('/', *comps)
            return low if os.path.lexists(low) else None
        return u

    def resolve(self, path):
        parts = [p for p in path.split('/') if p]
        done = []
        links = 0
        while parts:
            c = parts.pop(0)
            if c == '.':
                continue
            if c == '..':
                if done:
                    done.pop()
                continue
            r = self.real(done + [c])
            if r is None:
                return None
            if os.path.islink(r):
                links += 1
                if links > 40:
                    return None
                t = os.readlink(r)
                if t.startswith('/'):
                    done = []
                parts = [x for x in t.split('/') if x] + parts
                continue
            done.append(c)
        return self.real(done) if done else self.upper


def main(argv):
    cmd = argv[1]
    if cmd == 'read':
        hostdir, path = argv[2], argv[3]
        bootdir = argv[4] if len(argv) > 4 and argv[4] else None
        r = View(hostdir, bootdir).resolve(path)
        if r is None or not os.path.isfile(r):
            return 2
        with open(r, 'rb') as f:
            sys.stdout.buffer.write(f.read())
        return 0
    if cmd == 'fill':
        d = argv[2]
        p = os.path.join(d, 'lost+found', FILL) if os.path.isdir(os.path.join(d, 'lost+found')) else os.path.join(d, FILL)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            chunk = 1 << 30
            while chunk >= 4096:
                try:
                    os.posix_fallocate(fd, size, chunk)
                    size += chunk
                except OSError:
                    chunk //= 2
            # the last partial block
            os.lseek(fd, size, 0)
            while True:
                try:
                    if os.write(fd, b'\0' * 512) <= 0:
                        break
                except OSError:
                    break
        finally:
            os.close(fd)
        os.sync()
        return 0
    if cmd == 'unfill':
        d = argv[2]
        for p in (os.path.join(d, 'lost+found', FILL), os.path.join(d, FILL)):
            try:
                os.unlink(p)
            except OSError:
                pass
        return 0
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
