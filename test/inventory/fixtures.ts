import { InventoryError } from '../../src/inventory/index.js';

/** Run fn, return the InventoryError it throws (anything else fails the test). */
export function errorOf(fn: () => unknown): InventoryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InventoryError) return e;
    throw e;
  }
  throw new Error('expected an InventoryError');
}

export const RACK_INI = `# Xen Dom0 fleet — two racks
[all:vars]
ansible_user=root
dom0_mem=1024M

[dom0s:children]
rack1
rack2

[dom0s:vars]
dom0_vcpus=2
pin=no

[rack1]
xen[01:03].r1.example.com
xen04.r1.example.com ansible_host=10.0.1.4 dom0_mem=4096M,max:4096M pin=yes

[rack1:vars]
dom0_mem=2048M

[rack2]
xen-[a:c].r2.example.com:2222 ansible_user=admin ansible_become=yes
[2001:db8::10]:2200

[rack2:vars]
dom0_vcpus=4
xen_args="loglvl=all guest_loglvl=all"

[maintenance]
xen02.r1.example.com

[monitoring]
nagios.example.com ansible_ssh_private_key_file=~/.ssh/ops_ed25519
`;

export const RACK_YAML = `# the same racks, YAML flavour
all:
  vars:
    ansible_user: root
    dom0_mem: 1024M
  children:
    dom0s:
      vars:
        dom0_vcpus: 2
        pin: no
      children:
        rack1:
          hosts:
            xen[01:03].r1.example.com:
            xen04.r1.example.com:
              ansible_host: 10.0.1.4
              dom0_mem: 4096M,max:4096M
              pin: yes
          vars:
            dom0_mem: 2048M
        rack2:
          hosts:
            xen-[a:c].r2.example.com:2222:
              ansible_user: admin
              ansible_become: true
          vars:
            dom0_vcpus: 4
            xen_args: [loglvl=all, guest_loglvl=all]
    maintenance:
      hosts:
        xen02.r1.example.com:
    monitoring:
      hosts: nagios.example.com
`;

export const RACK_JSON = JSON.stringify(
  {
    _meta: {
      hostvars: {
        'xen01.r1.example.com': { ansible_user: 'root', dom0_mem: '2048M', dom0_vcpus: 2, pin: false },
        'xen04.r1.example.com': { ansible_host: '10.0.1.4', ansible_user: 'root', dom0_mem: '4096M,max:4096M', dom0_vcpus: 2, pin: true },
        'xen-a.r2.example.com': { ansible_port: 2222, ansible_user: 'admin', ansible_become: true, dom0_vcpus: 4, xen_args: ['loglvl=all'] },
        'nagios.example.com': { ansible_user: 'root' },
      },
    },
    all: { children: ['ungrouped', 'dom0s', 'monitoring'] },
    dom0s: { children: ['rack1', 'rack2'] },
    rack1: { hosts: ['xen01.r1.example.com', 'xen04.r1.example.com'] },
    rack2: { hosts: ['xen-a.r2.example.com'] },
    monitoring: { hosts: ['nagios.example.com'] },
  },
  null,
  4,
);

export const SSH_CONFIG = `# ~/.ssh/config of an operator
Host *
    ServerAliveInterval 15
    User ops

Host bastion
    HostName bastion.example.com
    Port 2222

Host xen01 xen02
    HostName %h.r1.example.com
    IdentityFile ~/.ssh/dom0_ed25519
    User root

Host xen-*.r2.example.com !xen-c.r2.example.com
    User admin

Host "quoted alias" legacy
    HostName=10.0.0.5
    Port=22022

Match host xen01 exec "true"
    User nobody

Include ~/.ssh/config.d/*
`;
