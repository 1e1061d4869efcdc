// Realistic host files for the repo/sysconfig tests.

/** centos-release-xen-410 (CentOS-virt7/centos-release-xen SOURCES/CentOS-Xen-410.repo.x86_64). */
export const CENTOS_XEN_410_REPO = `# CentOS-Xen.repo
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
`;

/** centos-release-xen-common (SOURCES/CentOS-Xen-dependencies.repo.x86_64). */
export const CENTOS_XEN_DEPENDENCIES_REPO = `# Include select packages from epel:
# - xossiro: For xen-vixen sidecar creation script
[centos-virt-xen-epel]
name=Extra Packages from EPEL for Xen - $basearch
#baseurl=http://download.fedoraproject.org/pub/epel/$releasever/$basearch
mirrorlist=https://mirrors.fedoraproject.org/metalink?repo=epel-$releasever&arch=$basearch
failovermethod=priority
enabled=1
includepkgs=xorriso
gpgcheck=1
gpgkey=https://dl.fedoraproject.org/pub/epel/RPM-GPG-KEY-EPEL-$releasever
`;

/** The project's source notes (seed): /etc/yum.repos.d/xen4.repo. */
export const SEED_XEN4_REPO = `[xen4centos]
name=xen4 for centos 6
baseurl=https://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/x86_64/xen-410/
gpgcheck=0
`;

/** The stock CentOS 6.10 CentOS-Base.repo (centos-release-6-10). */
export const CENTOS_BASE_REPO = `# CentOS-Base.repo
#
# The mirror system uses the connecting IP address of the client and the
# update status of each mirror to pick mirrors that are updated to and
# geographically close to the client.  You should use this for CentOS updates
# unless you are manually picking other mirrors.
#
# If the mirrorlist= does not work for you, as a fall back you can try the 
# remarked out baseurl= line instead.
#
#

[base]
name=CentOS-$releasever - Base
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/os/$basearch/
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6

#released updates 
[updates]
name=CentOS-$releasever - Updates
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=updates&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/updates/$basearch/
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6

#additional packages that may be useful
[extras]
name=CentOS-$releasever - Extras
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=extras&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/extras/$basearch/
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6

#additional packages that extend functionality of existing packages
[centosplus]
name=CentOS-$releasever - Plus
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=centosplus&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/centosplus/$basearch/
gpgcheck=1
enabled=0
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6

#contrib - packages by Centos Users
[contrib]
name=CentOS-$releasever - Contrib
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=contrib&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/contrib/$basearch/
gpgcheck=1
enabled=0
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6
`;

/** A hand-fixed vault file, with the usual spacing variants and a baseurl list on continuation lines. */
export const VAULT_BASE_REPO = `[C6.10-base]
name = CentOS-6.10 - Base
baseurl = http://vault.centos.org/6.10/os/$basearch/
 http://archive.kernel.org/centos-vault/6.10/os/$basearch/
gpgcheck = 1 ; checked
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6
enabled = 1

[C6.10-updates]
name=CentOS-6.10 - Updates
baseurl=http://mirror.centos.org/centos/6/updates/$basearch/,http://vault.centos.org/6.10/updates/$basearch/
enabled=1
`;

/** /etc/sysconfig/xen-kernel as the xen-hypervisor 4.10 package ships it (SOURCES/xen-kernel.x86_64). */
export const STOCK_XEN_KERNEL = `BOOT_XEN_AS_DEFAULT="yes"
XEN_KERNEL_ARGS="dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all"
LINUX_XEN_KERNEL_ARGS="console=hvc0 earlyprintk=xen nomodeset"
`;

/** The stock EL6 /etc/sysconfig/kernel. */
export const STOCK_KERNEL = `# UPDATEDEFAULT specifies if new-kernel-pkg should make
# new kernels the default
UPDATEDEFAULT=yes

# DEFAULTKERNEL specifies the default kernel package type
DEFAULTKERNEL=kernel
`;

/** /etc/xen/xl.conf from Xen's tools/examples/xl.conf (head). */
export const STOCK_XL_CONF = `## Global XL config file ##

# Control whether dom0 is ballooned down when xen doesn't have enough
# free memory to create a domain.  "auto" means only balloon if dom0
# starts with all the host's memory.
#autoballoon="auto"

# full path of the lockfile used by xl during domain creation
#lockfile="/var/lock/xl"

# default output format used by "xl list -l"
#output_format="json"
`;
