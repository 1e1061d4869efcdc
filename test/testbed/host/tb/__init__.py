"""dom0up test bed: the simulated CentOS 6.10 host's stand-in programs (yum, rpm, xl, grub, grubby, ...)
and the boot firmware (a GRUB 0.97 reader written independently of dom0up's own TypeScript parser).

This directory is bind-mounted read-only into every simulated host at /usr/lib/dom0up-testbed; the
lab (outside the hosts) imports the same modules for the boot decision."""
