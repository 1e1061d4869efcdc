/**
 * A reader for yum .repo files that follows what yum 3.2 on CentOS 6 does (iniparse's
 * RawConfigParser-compatible reading, as Python 2's ConfigParser):
 *  - blank lines and lines starting with `#` or `;` (or `rem`) are skipped;
 *  - `[id]` at the start of a line opens a section (text after `]` is ignored);
 *  - `key=value`, `key: value`, `key = value`: keys are lower-cased, values trimmed, an inline
 *    comment is `;` after whitespace (never `#`), `""` means empty;
 *  - a line starting with whitespace continues the previous value (baseurl lists);
 *  - a section id seen twice in one file is one section (later keys win).
 */

export interface RepoSection {
  readonly id: string;
  /** 1-based line of the (first) header. */
  readonly line: number;
  /** key (lower case) → value; continuation lines joined with '\n'. */
  readonly keys: ReadonlyMap<string, string>;
}

export interface RepoParseProblem {
  readonly line: number;
  readonly message: string;
}

export interface RepoFile {
  readonly sections: readonly RepoSection[];
  readonly problems: readonly RepoParseProblem[];
}

const SECTION = /^\[([^\]]+)\]/;
const OPTION = /^([^:=\s][^:=]*?)\s*([:=])\s*(.*)$/;
const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

export function parseRepoFile(text: string): RepoFile {
  const order: string[] = [];
  const byId = new Map<string, { line: number; keys: Map<string, string> }>();
  const problems: RepoParseProblem[] = [];
  let cur: { line: number; keys: Map<string, string> } | null = null;
  let optname: string | null = null;

  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const n = i + 1;
    const stripped = raw.trim();
    if (stripped === '' || raw[0] === '#' || raw[0] === ';') return;
    if ((raw[0] === 'r' || raw[0] === 'R') && stripped.split(/\s+/)[0]?.toLowerCase() === 'rem') return;
    if (isSpace(raw[0]) && cur && optname !== null) {
      if (stripped !== '') cur.keys.set(optname, `${cur.keys.get(optname) ?? ''}\n${stripped}`);
      return;
    }
    const sec = SECTION.exec(raw);
    if (sec) {
      const id = sec[1] as string;
      const known = byId.get(id);
      if (known) cur = known;
      else {
        cur = { line: n, keys: new Map() };
        byId.set(id, cur);
        order.push(id);
      }
      optname = null;
      return;
    }
    if (!cur) {
      problems.push({ line: n, message: 'text before the first [section] header (yum refuses the file)' });
      return;
    }
    const opt = OPTION.exec(raw.replace(/[\r\n]+$/, ''));
    if (!opt) {
      problems.push({ line: n, message: `not "key=value": ${JSON.stringify(raw.slice(0, 60))} (yum refuses the file)` });
      return;
    }
    const key = (opt[1] as string).trimEnd().toLowerCase();
    let value = opt[3] as string;
    const pos = value.indexOf(';');
    if (pos !== -1 && isSpace(pos === 0 ? value[value.length - 1] : value[pos - 1])) value = value.slice(0, pos);
    value = value.trim();
    if (value === '""') value = '';
    cur.keys.set(key, value);
    optname = key;
  });

  return {
    sections: order.map((id) => {
      const s = byId.get(id) as { line: number; keys: Map<string, string> };
      return { id, line: s.line, keys: s.keys };
    }),
    problems,
  };
}

/** yum's list options (baseurl, gpgkey): split on whitespace, commas and newlines. */
export function yumList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(/[\s,]+/).filter((s) => s !== '');
}

/** yum's BoolOption: 1/yes/true/on, 0/no/false/off (any case); anything else → undefined. */
export function yumBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'yes' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'no' || v === 'false' || v === 'off') return false;
  return undefined;
}
