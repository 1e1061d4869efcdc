/**
 * Python's `shlex.split(line, comments=True, posix=True)`, which Ansible's INI plugin uses to
 * split a host line into the host pattern and its `key=value` tokens.
 *
 * POSIX rules as Python implements them: single quotes are literal; inside double quotes a
 * backslash escapes only `"` and `\`; outside quotes a backslash escapes any character; quotes
 * may appear mid-word (`a"b c"d` → `ab cd`); `""` is an empty token; and `#` starts a comment
 * anywhere outside quotes — also in the middle of a word (`pass=ab#cd` → `pass=ab`).
 *
 * `{ comments: false }` is plain `shlex.split(text)` (what Ansible's `_split_ssh_args` uses for
 * `ansible_ssh_common_args` and friends): `#` is an ordinary character there.
 */

export class ShlexError extends Error {}

const WHITESPACE = ' \t\r\n';

export function shlexSplit(line: string, opts: { comments?: boolean } = {}): string[] {
  const comments = opts.comments !== false;
  const tokens: string[] = [];
  let token = '';
  let quoted = false;
  let inToken = false;
  let i = 0;
  const emit = (): void => {
    if (inToken || quoted) tokens.push(token);
    token = '';
    quoted = false;
    inToken = false;
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (WHITESPACE.includes(c)) {
      emit();
      i++;
      continue;
    }
    if (c === '#' && comments) break; // the rest of the line is a comment
    if (c === '\\') {
      if (i + 1 >= line.length) throw new ShlexError('No escaped character');
      token += line[i + 1];
      inToken = true;
      i += 2;
      continue;
    }
    if (c === "'" || c === '"') {
      quoted = true;
      inToken = true;
      let j = i + 1;
      for (;;) {
        if (j >= line.length) throw new ShlexError('No closing quotation');
        const d = line[j] as string;
        if (d === c) break;
        if (c === '"' && d === '\\') {
          if (j + 1 >= line.length) throw new ShlexError('No closing quotation');
          const n = line[j + 1] as string;
          if (n !== '"' && n !== '\\') token += '\\';
          token += n;
          j += 2;
          continue;
        }
        token += d;
        j++;
      }
      i = j + 1;
      continue;
    }
    token += c;
    inToken = true;
    i++;
  }
  emit();
  return tokens;
}
