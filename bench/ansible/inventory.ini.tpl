# The inventory both tools read in the fleet benchmark (bench/fleet.ts fills in @HOSTS@, one line
# per simulated host: NAME ansible_host=127.0.0.x ansible_port=2222 ansible_user=root
# ansible_ssh_private_key_file=KEY). dom0up reads the Dom0 settings below from it; the playbook
# turns the same variables into the hypervisor line.
[dom0s]
@HOSTS@

[dom0s:vars]
dom0_mem=1024M
dom0_vcpus=2
pin=true
