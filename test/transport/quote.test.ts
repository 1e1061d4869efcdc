import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/transport/errors.js';
import { quoteScript, raw, sh, shellCommand, shellQuote } from '../../src/transport/quote.js';

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f]|\p{Cs}/u;

/** Shells to check against: dash (/bin/sh here) and bash in POSIX mode (/bin/sh on CentOS 6). */
const SHELLS: string[][] = [['/bin/sh'], ...(existsSync('/bin/bash') ? [['/bin/bash', '--norc', '--posix']] : [])];

function runSh(shell: string[], script: string): Buffer {
  const [bin, ...pre] = shell as [string, ...string[]];
  const r = spawnSync(bin, [...pre, '-c', script], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${bin} failed (${r.status}): ${r.stderr.toString()} for ${JSON.stringify(script)}`);
  return r.stdout;
}

const nasty = fc.constantFrom(
  "'", '"', '$', '(', ')', '`', ';', '|', '&', '\\', ' ', '*', '?', '~', '#', '!', '{', '}', '[', ']', '<', '>',
  '=', '-', '%', '^', ',', ':', '@', '\n', '\t', '\r', '\0', '\u001b', '\u007f', 'a', 'Z', '0', 'é', 'ü', '€', '😀',
  '\u0085', '\u00a0', '\u2028', '\ud800', '\udfff', '$(id)', '`id`', '${HOME}', "'\\''",
);
const inputs = fc.oneof(
  fc.string({ unit: nasty, maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
);

function expectUnsafe(fn: () => unknown): TransportError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code).toBe('unsafe-argument');
    return e as TransportError;
  }
  throw new Error('expected unsafe-argument');
}

describe('shellQuote', () => {
  it('leaves plain words readable and single-quotes the rest', () => {
    expect(shellQuote('/etc/grub.conf')).toBe('/etc/grub.conf');
    expect(shellQuote('dom0_mem=1024M,max:1024M')).toBe('dom0_mem=1024M,max:1024M');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('~')).toBe("'~'");
    expect(shellQuote('$(reboot)')).toBe("'$(reboot)'");
    expect(shellQuote('ü')).toBe("'ü'");
  });

  it('refuses C0 controls, DEL and lone surrogates, naming the argument', () => {
    for (const bad of ['a\nb', 'nul\0', 'tab\t', 'esc\u001b[0m', 'del\u007f', 'cr\r', '\ud800x']) {
      const e = expectUnsafe(() => shellQuote(bad));
      expect(e.message).not.toMatch(/[\n\r]/);
      expect(e.message).toContain('refusing');
    }
    const e = expectUnsafe(() => shellQuote('name\nwith newline'));
    expect(e.message).toContain('"name\\nwith newline"');
  });

  it('property: refused exactly when unsafe, otherwise sh prints the input unchanged', () => {
    // pure part: many runs
    fc.assert(
      fc.property(inputs, (s) => {
        let q: string | undefined;
        try {
          q = shellQuote(s);
        } catch (e) {
          expect((e as TransportError).code).toBe('unsafe-argument');
        }
        expect(q === undefined).toBe(UNSAFE.test(s));
      }),
      { numRuns: 3000 },
    );
    // through real shells: a bounded sample
    for (const shell of SHELLS) {
      fc.assert(
        fc.property(inputs, (s) => {
          if (UNSAFE.test(s)) return;
          const out = runSh(shell, `printf %s ${shellQuote(s)}`);
          expect(out.equals(Buffer.from(s, 'utf8'))).toBe(true);
        }),
        { numRuns: 150 },
      );
    }
  });
});

describe('shellCommand', () => {
  it('quotes words that sh would treat as syntax in command position', () => {
    expect(shellCommand(['cat', '/etc/grub.conf'])).toBe('cat /etc/grub.conf');
    expect(shellCommand(['FOO=bar', 'x'])).toBe("'FOO=bar' x");
    expect(shellCommand(['if'])).toBe("'if'");
    expect(shellCommand(['!'])).toBe("'!'");
    expect(() => shellCommand([])).toThrow(TypeError);
    expectUnsafe(() => shellCommand(['echo', 'a\nb']));
  });

  it('property: argv survives sh word splitting exactly', () => {
    const argv = fc.array(inputs.filter((s) => !UNSAFE.test(s)), { minLength: 0, maxLength: 6 });
    for (const shell of SHELLS) {
      fc.assert(
        fc.property(argv, (args) => {
          const out = runSh(shell, `${shellCommand(['printf', '%s\\0', ...args])}`);
          const printed = out.toString('utf8').split('\0').slice(0, -1);
          // printf with no args still prints the format once
          expect(printed).toEqual(args.length ? args : ['']);
        }),
        { numRuns: 60 },
      );
    }
  });
});

describe('sh template', () => {
  it('quotes every interpolation; arrays become words; raw() is verbatim', () => {
    const path = "/tmp/a b/it's";
    expect(sh`cat ${path} > ${'/etc/x'}`).toBe(`cat '/tmp/a b/it'\\''s' > /etc/x`);
    expect(sh`rpm -q ${['xen', 'kernel xen']}`).toBe(`rpm -q xen 'kernel xen'`);
    expect(sh`chmod ${644} f`).toBe('chmod 644 f');
    expect(sh`${raw('echo a')} && ${raw(sh`echo ${'b c'}`)}`).toBe(`echo a && echo 'b c'`);
    expect(() => sh`x ${Number.NaN}`).toThrow(TypeError);
    expectUnsafe(() => sh`cat ${'evil\nreboot'}`);
  });

  it('property: interpolated values reach the command unchanged', () => {
    const safe = inputs.filter((s) => !UNSAFE.test(s));
    fc.assert(
      fc.property(safe, safe, (a, b) => {
        const out = runSh(SHELLS[0] as string[], sh`printf '%s|%s' ${a} ${b}`);
        expect(out.toString('utf8')).toBe(`${a}|${b}`);
      }),
      { numRuns: 100 },
    );
  });
});

describe('quoteScript', () => {
  it('keeps newlines and tabs, refuses NUL', () => {
    const script = "echo 'a'\n\tprintf '%s\\n' \"$HOME\"";
    for (const shell of SHELLS) {
      const out = runSh(shell, `printf %s ${quoteScript(script)}`);
      expect(out.toString()).toBe(script);
    }
    expectUnsafe(() => quoteScript('a\0b'));
  });
});
