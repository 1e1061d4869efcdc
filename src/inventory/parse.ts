import { InventoryBuilder } from './builder.js';
import { detectFormat } from './detect.js';
import { parseIniInto } from './ini.js';
import { addDestination, parseListInto, parseSshConfigInto } from './simple.js';
import { parseAnsibleJsonInto, parseYamlInto } from './structured.js';
import type { Inventory, InventoryFormat, InventoryHost, ParseOptions } from './types.js';

export function parseInto(b: InventoryBuilder, text: string, file: string, format: InventoryFormat): void {
  switch (format) {
    case 'ini':
      return parseIniInto(b, text, file);
    case 'yaml':
      return parseYamlInto(b, text, file);
    case 'ansible-json':
      return parseAnsibleJsonInto(b, text, file);
    case 'ssh-config':
      return parseSshConfigInto(b, text, file);
    case 'list':
      return parseListInto(b, text, file);
  }
}

/**
 * Parse inventory text (any supported format; auto-detected unless `opts.format` is given).
 * Pure: group_vars/ and host_vars/ files are only read by `loadInventory`.
 * Throws only InventoryError.
 */
export function parseInventory(text: string, opts: ParseOptions = {}): Inventory {
  const source = opts.source ?? '<inventory>';
  const format = opts.format ?? detectFormat(text, source);
  const b = new InventoryBuilder();
  parseInto(b, text, source, format);
  return b.finalize(source, format);
}

/**
 * Hosts given on the command line: `host`, `user@host`, `host:port`, `user@host:port`,
 * `[v6addr]:port`, a bare IPv6 address, `ssh://user@host:port`, ranges (`web[01:03]`), and
 * comma-separated lists of those. Each becomes an ungrouped host named after its host part (so an
 * ssh config alias still applies), with `user`/`port` set. Throws InventoryError (file `<command line>`).
 */
export function hostsFromArgs(args: string[]): InventoryHost[] {
  const b = new InventoryBuilder();
  const file = '<command line>';
  for (const arg of args) {
    for (const part of arg.split(',')) {
      if (part.trim() === '') continue;
      addDestination(b, part.trim(), { file });
    }
  }
  return b.finalize(file, 'list').hosts;
}
