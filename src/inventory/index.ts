/**
 * Inventories: which hosts `dom0up apply|plan|tune|verify|facts` act on, how to reach them, and
 * their per-host/per-group Dom0 settings.
 *
 * Formats: plain host lists, Ansible INI and YAML inventories, `ansible-inventory --list` JSON,
 * and ~/.ssh/config aliases. `--limit` patterns follow Ansible. Everything here is pure except
 * `loadInventory`, and every refusal is an `InventoryError`.
 */
export type { Dom0Settings, Inventory, InventoryFormat, InventoryGroup, InventoryHost, ParseOptions } from './types.js';
export { InventoryError, isInventoryError, type InventoryErrorCode } from './errors.js';
export { parseInventory, hostsFromArgs } from './parse.js';
export { loadInventory, type LoadOptions } from './load.js';
export { selectHosts, splitHostPattern } from './limit.js';
export { detectFormat } from './detect.js';
export { ansibleBoolean } from './builder.js';
export { ansibleConnection, type ConnectionFinding, type HostConnection } from './connection.js';
export { shlexSplit } from './shlex.js';
