import type { HostConnection } from './connection.js';

export type InventoryFormat = 'list' | 'ini' | 'yaml' | 'ansible-json' | 'ssh-config';

export interface Dom0Settings {
  dom0Mem?: string;
  dom0Vcpus?: string;
  pin?: boolean;
  xenArg?: string[];
}

export interface InventoryHost {
  /** Inventory name / alias. */
  name: string;
  /** ansible_host (address or DNS name); absent means "use name" (ssh config may still map it). */
  host?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  become?: boolean;
  /** From dom0_mem, dom0_vcpus, pin, xen_args (or the dom0up_-prefixed names); absent when none is set. */
  dom0?: Dom0Settings;
  /**
   * Ansible inventories (INI, YAML, ansible-inventory JSON) only: the OpenSSH options Ansible's ssh
   * connection plugin would use for this host, and what dom0up refuses or ignores (connection.ts).
   */
  connection?: HostConnection;
  /** Every group the host belongs to, parents included, in variable-precedence order ('all' first). */
  groups: string[];
  /** Merged variables (see merge.ts for the precedence implemented). */
  vars: Record<string, unknown>;
}

export interface InventoryGroup {
  /** Hosts listed directly in the group (not via children), in inventory order. */
  hosts: string[];
  children: string[];
  /** The group's own variables (inventory file, then group_vars/ files when loaded from disk). */
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** All hosts, in the order they first appear in the inventory. */
  hosts: InventoryHost[];
  groups: Record<string, InventoryGroup>;
  source: string;
  format: InventoryFormat;
  /** Things skipped on the way (non-mapping YAML keys, unreadable vars files …). */
  warnings?: string[];
}

export interface ParseOptions {
  /** Name used in errors and `Inventory.source` (default `<inventory>`). */
  source?: string;
  /** Skip auto-detection. */
  format?: InventoryFormat;
}
