/**
 * The command table of the GRUB 0.97 stage2 that CentOS/RHEL 6 boots (upstream
 * `builtin_table[]` plus the RHEL 6 patches). Names are case-sensitive.
 *
 * - menu: BUILTIN_MENU only — run while reading the file when they appear before the first
 *   `title`; inside an entry they make the boot fail with "Error 27: Unrecognized command".
 * - both: BUILTIN_MENU | BUILTIN_CMDLINE — global before the first title, entry commands after.
 * - entry: BUILTIN_CMDLINE only — ignored before the first title.
 * Commands that exist only in the `grub` shell build (`device`, `dump`, `quit`) are unknown
 * to the boot loader and are treated as unknown here.
 */
export type CommandClass = 'menu' | 'both' | 'entry' | 'title';

const MENU = ['default', 'fallback', 'hiddenmenu', 'timeout'];
const BOTH = [
  'bootp', 'color', 'dhcp', 'hide', 'ifconfig', 'pager', 'partnew', 'parttype', 'password', 'rarp',
  'serial', 'setkey', 'terminal', 'terminfo', 'tftpserver', 'unhide',
  // RHEL 6 additions
  'splashimage', 'foreground', 'background', 'silent', 'verbose', 'macappend', 'efimap', 'debug',
];
const ENTRY = [
  'blocklist', 'boot', 'cat', 'chainloader', 'cmp', 'configfile', 'displayapm', 'displaymem', 'embed',
  'find', 'fstest', 'geometry', 'halt', 'help', 'impsprobe', 'initrd', 'install', 'ioprobe', 'kernel',
  'lock', 'makeactive', 'map', 'md5crypt', 'module', 'modulenounzip', 'pause', 'read', 'reboot', 'root',
  'rootnoverify', 'savedefault', 'setup', 'testload', 'testvbe', 'uppermem', 'vbeprobe',
  // RHEL 6 addition
  'clear',
];

const TABLE = new Map<string, CommandClass>();
for (const n of ENTRY) TABLE.set(n, 'entry');
for (const n of BOTH) TABLE.set(n, 'both');
for (const n of MENU) TABLE.set(n, 'menu');
TABLE.set('title', 'title');

/** The class of a command name, or undefined when GRUB does not know it. */
export function commandClass(name: string): CommandClass | undefined {
  return TABLE.get(name);
}

export const KNOWN_COMMANDS: readonly string[] = [...TABLE.keys()].sort();

/** A known command that differs only in letter case, for "did you mean" hints. */
export function caseInsensitiveMatch(name: string): string | undefined {
  const lower = name.toLowerCase();
  return lower !== name && TABLE.has(lower) ? lower : undefined;
}

/** `find_command()`: the command name ends at a blank or `=` (and at NUL). */
export function commandName(view: string): string {
  let i = 0;
  while (i < view.length) {
    const c = view[i];
    if (c === ' ' || c === '\t' || c === '=' || c === '\0') break;
    i++;
  }
  return view.slice(0, i);
}

/**
 * `skip_to(after_equal, s)`: skip the first word (ending at a blank, or also at `=` when
 * afterEqual), then any run of blanks (and `=` when afterEqual). Returns the index.
 */
export function skipTo(afterEqual: boolean, s: string, from = 0): number {
  let i = from;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\0' || (afterEqual && c === '=')) break;
    i++;
  }
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || (afterEqual && c === '=')) i++;
    else break;
  }
  return i;
}

/** GRUB's `safe_parse_maxint`: decimal or 0x hex, stops at the first non-digit. */
export function parseMaxInt(s: string, from = 0): { value: number; end: number } | null {
  let i = from;
  let mult = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    i += 2;
    mult = 16;
  }
  let value = 0;
  let found = false;
  const MAXINT = 0x7fffffff;
  for (; i < s.length; i++) {
    const ch = (s[i] as string).toLowerCase();
    let digit: number;
    if (ch >= '0' && ch <= '9') digit = ch.charCodeAt(0) - 48;
    else if (mult === 16 && ch >= 'a' && ch <= 'f') digit = ch.charCodeAt(0) - 87;
    else break;
    found = true;
    if (value > Math.floor((MAXINT - digit) / mult)) return null; // ERR_NUMBER_OVERFLOW
    value = value * mult + digit;
  }
  return found ? { value, end: i } : null;
}

export const MAX_FALLBACK_ENTRIES = 8;

/**
 * `fallback_func`: a blank-separated list of numbers (max 8). Garbage after a number up to
 * the next blank is skipped (`1,2` → [1]); a duplicate that is not last makes the parse fail,
 * which leaves fallback disabled.
 */
export function parseFallback(arg: string): { entries: number[]; ok: boolean; garbage: boolean; duplicate: boolean } {
  const entries: number[] = [];
  let i = 0;
  let garbage = false;
  let duplicate = false;
  while (i < arg.length && arg[i] !== '\0') {
    const parsed = parseMaxInt(arg, i);
    if (!parsed) return { entries: [], ok: false, garbage, duplicate };
    i = parsed.end;
    if (entries.includes(parsed.value)) {
      duplicate = true;
      continue; // GRUB does not skip_to here: the next parse starts at the blank and fails unless at end
    }
    entries.push(parsed.value);
    if (entries.length === MAX_FALLBACK_ENTRIES) break;
    const next = skipTo(false, arg, i);
    if (next > i && arg[i] !== ' ' && arg[i] !== '\t') garbage = true;
    i = next;
  }
  return { entries, ok: true, garbage, duplicate };
}
