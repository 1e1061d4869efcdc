/**
 * Format auto-detection, in this order (first match wins):
 *   1. starts with `{`                         → ansible-json when it has `_meta`, or a group whose
 *                                                value is a list or has a `hosts` list; else yaml
 *                                                (a YAML inventory written as JSON)
 *   2. a `Host`/`Match` line, no `[section]`   → ssh-config
 *   3. first line `---`/`%YAML`, or `key:` / `key: value` (colon then space or end of line)
 *                                              → yaml
 *   4. an INI `[section]` line or a `key=value` → ini
 *   5. otherwise                               → list (one host per line)
 * Comments (`#`, and `;` for INI) and blank lines are ignored. Pass `format` to override.
 */
import type { InventoryFormat } from './types.js';
import { LINE_BREAK } from './ini.js';
import { loadStructured } from './structured.js';
import { InventoryError } from './errors.js';

const INI_SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const SSH_BLOCK = /^(?:Host|Match)(?:\s*=\s*|\s+)\S/i;
const YAML_KEY = /^(?:"[^"]*"|'[^']*'|[^\s#'"[{][^\s]*?):(?:\s|$)/;

export function detectFormat(text: string, source = '<inventory>'): InventoryFormat {
  const body = text.replace(/^\uFEFF/, '');
  const lines = body
    .split(LINE_BREAK)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  const first = lines[0] ?? '';

  if (first.startsWith('{')) {
    let data: unknown;
    try {
      data = loadStructured(body, source, true);
    } catch (e) {
      if (e instanceof InventoryError) return 'ansible-json'; // its parser reports the error
      throw e;
    }
    if (data instanceof Map) {
      if (data.has('_meta')) return 'ansible-json';
      for (const v of data.values()) {
        if (Array.isArray(v)) return 'ansible-json';
        if (v instanceof Map && Array.isArray(v.get('hosts'))) return 'ansible-json';
      }
    }
    return 'yaml';
  }
  if (lines.some((l) => SSH_BLOCK.test(l)) && !lines.some((l) => INI_SECTION.test(l))) return 'ssh-config';
  if (first === '---' || first.startsWith('--- ') || first.startsWith('%YAML') || YAML_KEY.test(first)) return 'yaml';
  if (lines.some((l) => INI_SECTION.test(l) || l.includes('='))) return 'ini';
  return 'list';
}
