"""What the (simulated) CentOS 6.10 repositories contain, what the packages install and which
scriptlets they run. Only what a Xen Dom0 install touches is modelled."""

from . import common, pgp

X = common.XEN_VERSION
XR = common.XEN_RELEASE
XK = common.XEN_KVER

KEY_CENTOS6 = ('c105b9de', '4e0fd3a3', 'CentOS-6 Key (CentOS 6 Official Signing Key) <centos-6-key@centos.org>')
KEY_VIRT = ('61e8806c', '5314ab8e', 'CentOS Virtualization SIG (http://wiki.centos.org/SpecialInterestGroup/Virtualization) <security@centos.org>')
KEY_FILES = {
    '/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6': KEY_CENTOS6,
    '/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization': KEY_VIRT,
}
# URLs a (simulated) yum can fetch keys from
KEY_URLS = {
    'https://www.centos.org/keys/RPM-GPG-KEY-CentOS-SIG-Virtualization': KEY_VIRT,
    'http://www.centos.org/keys/RPM-GPG-KEY-CentOS-SIG-Virtualization': KEY_VIRT,
    'https://www.centos.org/keys/RPM-GPG-KEY-CentOS-6': KEY_CENTOS6,
    'http://mirror.centos.org/centos/RPM-GPG-KEY-CentOS-6': None,
}

CENTOS_XEN_REPO = '''# CentOS-Xen.repo
#
# Please see http://wiki.centos.org/QaWiki/Xen4 for more
# information

[centos-virt-xen-410]
name=CentOS-$releasever - xen
baseurl=http://mirror.centos.org/centos/$releasever/virt/$basearch/xen-410
gpgcheck=1
enabled=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization

[centos-virt-xen-410-testing]
name=CentOS-$releasever - xen - testing
baseurl=http://buildlogs.centos.org/centos/$releasever/virt/$basearch/xen-410
gpgcheck=0
enabled=0
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization
'''

CENTOS_XEN_DEPS_REPO = '''[centos-virt-xen-epel]
name=CentOS-$releasever - xen - epel dependencies
mirrorlist=https://mirrors.fedoraproject.org/metalink?repo=epel-$releasever&arch=$basearch
enabled=1
gpgcheck=1
gpgkey=https://dl.fedoraproject.org/pub/epel/RPM-GPG-KEY-EPEL-$releasever
includepkgs=xorriso
'''

XL_CONF = '''## Global XL config file ##

# Control whether dom0 is ballooned down when xen doesn't have enough
# free memory to create a domain.  "auto" means only balloon if dom0
# starts with all the host's memory.
#autoballoon="auto"

# full path of the lockfile used by xl during domain creation
#lockfile="/var/lock/xl"

# default output format used by "xl list -l"
#output_format="json"

# first block device to be used for temporary VM disk mounts
#blkdev_start="xvda"

# default option to run hotplug scripts from xl
# if disabled the old behaviour will be used, and hotplug scripts will be
# launched by udev.
#run_hotplug_scripts=1

# default backend domain to connect guest vifs to.  This can be any
# valid domain identifier.
#vif.default.backend="0"

# default gateway device to use with vif-route hotplug script
#vif.default.gatewaydev="eth0"

# default vif script to use if none is specified in the guest config
#vif.default.script="vif-bridge"

# default bridge device to use with vif-bridge hotplug scripts
#vif.default.bridge="xenbr0"

# Reserve a claim of memory when launching a guest. This guarantees immediate
# feedback whether the guest can be launched due to memory exhaustion
# (which can take a long time to find out if launching huge guests).
# see xl.conf(5) for details.
#claim_mode=1
'''

XENCOMMONS_INIT = '''#!/bin/bash
#
# xencommons    Script to start and stop xenstored and xenconsoled
#
# chkconfig: 2345 70 10
# description: Starts and stops xenstored and xenconsoled
### BEGIN INIT INFO
# Provides:          xenstored xenconsoled
# Required-Start:    $syslog $remote_fs
# Should-Start:
# Required-Stop:     $syslog $remote_fs
# Should-Stop:
# Default-Start:     2 3 5
# Default-Stop:      0 1 6
# Short-Description: Start/stop xenstored and xenconsoled
# Description:       Starts and stops the daemons neeeded for xl/libxenlight
### END INIT INFO
exec /usr/bin/python3 -I -B -c 'import sys; sys.path.insert(0, "/usr/lib/dom0up-testbed"); from tb import commands; sys.exit(commands.run("service", ["service", "xencommons"] + sys.argv[1:]))' "$@"
'''


def boot_kernel_files(kver, arch, with_initrd=False):
    k = '%s.%s' % (kver, arch)
    files = [
        ('/boot/vmlinuz-' + k, 'linux', k, 6_743_000 if not kver.startswith('2.6') else 4_264_528),
        ('/boot/System.map-' + k, 'data', k, 3_412_000),
        ('/boot/config-' + k, 'data', k, 171_000),
    ]
    if with_initrd:
        files.append(('/boot/initramfs-%s.img' % k, 'initramfs', k, 20_480_000))
    return files


def P(name, version, release, arch, repo, size_kb, requires=(), files=(), scripts=(), summary='', installonly=False,
      noreplace=()):
    return {'name': name, 'version': version, 'release': release, 'arch': arch, 'repo': repo,
            'size': size_kb * 1024, 'requires': list(requires), 'files': list(files), 'scripts': list(scripts),
            'summary': summary or name, 'installonly': installonly, 'noreplace': list(noreplace)}


def kernel_pkg(kver, repo='xen'):
    """A Virt SIG kernel: its %posttrans also runs grub-bootxen.sh when the helper is there."""
    ver, rel = kver.split('-', 1)
    return P('kernel', ver, rel, 'x86_64', repo, 41_200, requires=['kernel-firmware>=' + kver],
             files=boot_kernel_files(kver, 'x86_64'),
             scripts=['post:kernel', 'posttrans:kernel'], summary='The Linux kernel', installonly=True)


def stock_kernel_update(kver=common.STOCK_UPDATE_KVER):
    """A CentOS kernel update (package name `kernel` too): %post new-kernel-pkg --install, %posttrans
    only new-kernel-pkg --mkinitrd --update (the stock spec knows nothing of grub-bootxen.sh)."""
    ver, rel = kver.split('-', 1)
    return [P('kernel', ver, rel, 'x86_64', 'updates', 31_900, requires=['kernel-firmware>=' + kver],
              files=boot_kernel_files(kver, 'x86_64'), scripts=['post:kernel', 'posttrans:kernel-stock'],
              summary='The Linux kernel', installonly=True),
            P('kernel-firmware', ver, rel, 'noarch', 'updates', 29_100, summary='Firmware files used by the Linux kernel')]


def xen_pkgs(repo='xen', kernel_versions=(XK,)):
    full = X + '-' + XR
    pk = [
        P('xen-licenses', X, XR, 'x86_64', repo, 88, summary='License files from Xen source'),
        P('xen-libs', X, XR, 'x86_64', repo, 651, requires=['xen-licenses', 'yajl'], summary='Libraries for Xen tools'),
        P('xen-hypervisor', X, XR, 'x86_64', repo, 1_051, requires=['kernel>=3.4.26'],
          files=[('/boot/xen-%s.gz' % full, 'xen', full, 1_012_000),
                 ('/boot/xen.gz', 'symlink', 'xen-%s.gz' % full, 0),
                 ('/boot/xen-%s.config' % full, 'data', full, 23_500),
                 ('/etc/sysconfig/xen-kernel', 'text', common.XEN_KERNEL_SYSCONFIG, 0)],
          noreplace=['/etc/sysconfig/xen-kernel'],
          scripts=['post:xen-hypervisor'], summary='Xen Hypervisor'),
        P('xen-runtime', X, XR, 'x86_64', repo, 4_903,
          requires=['xen-libs', 'xen-hypervisor', 'qemu-img', 'seabios'],
          files=[('/usr/sbin/xl', 'command', 'xl', 0), ('/etc/xen/xl.conf', 'text', XL_CONF, 0),
                 ('/etc/rc.d/init.d/xencommons', 'text+x', XENCOMMONS_INIT, 0)],
          noreplace=['/etc/xen/xl.conf'], scripts=['post:xen-runtime'], summary='Core Xen runtime environment'),
        P('xen', X, XR, 'x86_64', repo, 108, requires=['xen-runtime', 'bridge-utils', 'python-lxml', 'pciutils', 'kpartx'],
          summary='Xen is a virtual machine monitor'),
    ]
    for kv in kernel_versions:
        ver, rel = kv.split('-', 1)
        pk.append(kernel_pkg(kv, repo))
        pk.append(P('kernel-firmware', ver, rel, 'noarch', repo, 27_300, summary='Firmware files used by the Linux kernel'))
    return pk


BASE = [
    P('bridge-utils', '1.2', '10.el6', 'x86_64', 'base', 30),
    P('python-lxml', '2.2.3', '1.1.el6', 'x86_64', 'base', 1_300),
    P('pciutils', '3.1.10', '4.el6', 'x86_64', 'base', 85),
    P('kpartx', '0.4.9', '100.el6', 'x86_64', 'base', 68),
    P('qemu-img', '0.12.1.2', '2.506.el6_10.7', 'x86_64', 'updates', 836),
    P('seabios', '0.6.1.2', '30.el6', 'x86_64', 'base', 98),
    P('yajl', '1.0.7', '3.el6', 'x86_64', 'base', 27),
]

EXTRAS = [
    P('centos-release-xen', '8', '8.el6', 'x86_64', 'extras', 12,
      requires=['centos-release-xen-common', 'centos-release-virt-common'],
      files=[('/etc/yum.repos.d/CentOS-Xen.repo', 'text', CENTOS_XEN_REPO, 0)],
      summary='CentOS Xen repo configs'),
    P('centos-release-xen-common', '8', '8.el6', 'x86_64', 'extras', 9,
      files=[('/usr/bin/grub-bootxen.sh', 'command', 'grub-bootxen.sh', 0),
             ('/etc/yum.repos.d/CentOS-Xen-dependencies.repo', 'text', CENTOS_XEN_DEPS_REPO, 0)],
      summary='Common files for CentOS Xen repositories'),
    P('centos-release-virt-common', '1', '1.el6.centos', 'noarch', 'extras', 5,
      files=[('/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization', 'text', pgp.fake_key(*KEY_VIRT), 0)],
      summary='Common release file to establish shared metadata for CentOS Virt SIG'),
]

# packages a fresh CentOS 6.10 minimal install has (subset), as rpm -qa shows them
STOCK = [
    ('setup', '2.8.14', '23.el6', 'noarch'), ('filesystem', '2.4.30', '3.el6', 'x86_64'),
    ('basesystem', '10.0', '4.el6', 'noarch'), ('glibc', '2.12', '1.212.el6', 'x86_64'),
    ('bash', '4.1.2', '48.el6', 'x86_64'), ('coreutils', '8.4', '47.el6', 'x86_64'),
    ('centos-release', '6', '10.el6.centos.12.3', 'x86_64'), ('rpm', '4.8.0', '59.el6', 'x86_64'),
    ('yum', '3.2.29', '81.el6.centos', 'noarch'), ('python', '2.6.6', '66.el6_8', 'x86_64'),
    ('grub', '0.97', '99.el6', 'x86_64'), ('grubby', '7.0.15', '7.el6', 'x86_64'),
    ('dracut', '004', '411.el6', 'noarch'), ('initscripts', '9.03.61', '1.el6.centos', 'x86_64'),
    ('util-linux-ng', '2.17.2', '12.28.el6_9.2', 'x86_64'), ('e2fsprogs', '1.41.12', '24.el6', 'x86_64'),
    ('lvm2', '2.02.143', '12.el6', 'x86_64'), ('openssh', '5.3p1', '124.el6_10', 'x86_64'),
    ('openssh-server', '5.3p1', '124.el6_10', 'x86_64'), ('openssh-clients', '5.3p1', '124.el6_10', 'x86_64'),
    ('sudo', '1.8.6p3', '29.el6_10.3', 'x86_64'), ('procps', '3.2.8', '45.el6_9.3', 'x86_64'),
    ('kernel-firmware', '2.6.32', '754.el6', 'noarch'), ('kernel', '2.6.32', '754.el6', 'x86_64'),
    ('gpg-pubkey', 'c105b9de', '4e0fd3a3', '(none)'),
]


def repo_packages(kind, arch, extra_kernels=()):
    """Packages offered by a repository of the given kind ('os', 'updates', 'extras', 'xen-410', ...)."""
    if kind == 'os':
        return [p for p in BASE if p['repo'] == 'base'] + [kernel_stock()]
    if kind == 'updates':
        stock = [k for k in extra_kernels if k.startswith('2.6.32-')]
        return [p for p in BASE if p['repo'] == 'updates'] + [q for k in [common.STOCK_UPDATE_KVER] + stock
                                                              for q in stock_kernel_update(k)]
    if kind == 'extras':
        return list(EXTRAS)
    if kind == 'xen-410':
        if arch != 'x86_64':
            return []
        return xen_pkgs('xen', (XK,) + tuple(k for k in extra_kernels if not k.startswith('2.6.32-')))
    return []


def kernel_stock():
    return P('kernel', '2.6.32', '754.el6', 'x86_64', 'base', 32_000, files=boot_kernel_files('2.6.32-754.el6', 'x86_64'),
             installonly=True)


def key_for_repo_kind(kind):
    return KEY_VIRT if kind.startswith('xen-') else KEY_CENTOS6
