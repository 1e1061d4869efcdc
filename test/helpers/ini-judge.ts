// CPython's configparser as the judge of an INI file (a yum .repo): what a Python INI reader with
// yum's rules (RawConfigParser: no interpolation, keys lower-cased, `;` after a blank starts a
// comment, continuation lines, a repeated section or key is an error) makes of each text. Never
// dom0up's own reader. Many texts in one python3 process.
import { execFileSync } from 'node:child_process';

export type IniReading = { ok: true; sections: [string, [string, string][]][] } | { ok: false; error: string };

const PY = String.raw`
import configparser, json, sys
out = []
for text in json.load(sys.stdin):
    p = configparser.RawConfigParser(strict=True, interpolation=None, inline_comment_prefixes=(';',), default_section='\x00none')
    try:
        p.read_string(text)
        out.append({'ok': True, 'sections': [[s, [[k, v] for k, v in p.items(s)]] for s in p.sections()]})
    except Exception as e:
        out.append({'ok': False, 'error': '%s: %s' % (type(e).__name__, e)})
json.dump(out, sys.stdout)
`;

export function readIniWithPython(texts: string[]): IniReading[] {
  if (!texts.length) return [];
  const out = execFileSync('python3', ['-I', '-c', PY], { input: JSON.stringify(texts), maxBuffer: 256 << 20 });
  return JSON.parse(out.toString('utf8')) as IniReading[];
}
