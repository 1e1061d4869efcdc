import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  updateXenKernelSysconfig,
  parseXenKernelSysconfig,
  updateKernelSysconfig,
  parseKernelSysconfig,
  setXlConfAutoballoon,
  readXlConfAutoballoon,
  parseShellVars,
  TemplateError,
} from '../../src/repo/index.js';
import { splitLines, assignments } from '../../src/repo/shell-vars.js';
import { STOCK_KERNEL, STOCK_XEN_KERNEL, STOCK_XL_CONF } from './fixtures.js';

const ARGS = 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin cpufreq=xen';
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e.code;
    throw e;
  }
  return 'no error';
};

describe('/etc/sysconfig/xen-kernel', () => {
  it('sets XEN_KERNEL_ARGS in the stock file and keeps the other lines byte for byte', () => {
    expect(updateXenKernelSysconfig(STOCK_XEN_KERNEL, ARGS)).toBe(
      'BOOT_XEN_AS_DEFAULT="yes"\n' +
        `XEN_KERNEL_ARGS="${ARGS}"\n` +
        'LINUX_XEN_KERNEL_ARGS="console=hvc0 earlyprintk=xen nomodeset"\n',
    );
  });

  it('creates the stock-shaped file when it is missing', () => {
    const out = updateXenKernelSysconfig(null, ARGS);
    expect(out).toBe(
      '# Written by dom0up. grub-bootxen.sh reads this file when a kernel is installed:\n' +
        "# XEN_KERNEL_ARGS is what the new Xen entry's hypervisor line gets.\n" +
        'BOOT_XEN_AS_DEFAULT="yes"\n' +
        `XEN_KERNEL_ARGS="${ARGS}"\n` +
        'LINUX_XEN_KERNEL_ARGS="console=hvc0 earlyprintk=xen nomodeset"\n',
    );
    expect(parseXenKernelSysconfig(out)).toEqual({ bootXenAsDefault: true, xenKernelArgs: ARGS, linuxXenKernelArgs: 'console=hvc0 earlyprintk=xen nomodeset' });
    expect(updateXenKernelSysconfig(null, ARGS)).toBe(out);
  });

  it('is idempotent and leaves an equivalent spelling alone', () => {
    const once = updateXenKernelSysconfig(STOCK_XEN_KERNEL, ARGS);
    expect(updateXenKernelSysconfig(once, ARGS)).toBe(once);
    const single = `BOOT_XEN_AS_DEFAULT=no\nXEN_KERNEL_ARGS='${ARGS}'\n`;
    expect(updateXenKernelSysconfig(single, ARGS)).toBe(single);
    expect(parseXenKernelSysconfig(single).bootXenAsDefault).toBe(false);
  });

  it('adds the line after a commented one, or at the end; keeps CRLF and a missing final newline', () => {
    expect(updateXenKernelSysconfig('BOOT_XEN_AS_DEFAULT="yes"\n#XEN_KERNEL_ARGS="x"\nOTHER=1\n', 'a')).toBe('BOOT_XEN_AS_DEFAULT="yes"\n#XEN_KERNEL_ARGS="x"\nXEN_KERNEL_ARGS="a"\nOTHER=1\n');
    expect(updateXenKernelSysconfig('A=1\r\nB=2\r\n', 'a')).toBe('A=1\r\nB=2\r\nXEN_KERNEL_ARGS="a"\r\n');
    expect(updateXenKernelSysconfig('A=1\nB=2', 'a')).toBe('A=1\nB=2\nXEN_KERNEL_ARGS="a"');
    expect(updateXenKernelSysconfig('', 'a')).toBe('XEN_KERNEL_ARGS="a"\n');
    expect(updateXenKernelSysconfig('  export XEN_KERNEL_ARGS="old" # note\r\n', 'a')).toBe('  export XEN_KERNEL_ARGS="a"\r\n');
  });

  it('refuses what the sourcing shell would interpret', () => {
    for (const bad of ['a"b', 'a$b', '$(reboot)', 'a`id`', 'a\\b', 'a\nb', 'a\rb', 'a\0b', 'a\tb', 'dom0_mem=1G\u2028']) {
      expect(code(() => updateXenKernelSysconfig(STOCK_XEN_KERNEL, bad)), JSON.stringify(bad)).toBe('unsafe-shell-value');
      expect(code(() => updateXenKernelSysconfig(null, bad)), JSON.stringify(bad)).toBe('unsafe-shell-value');
    }
  });
});

describe('/etc/sysconfig/kernel', () => {
  const want = { hypervisor: '/boot/xen.gz', hypervisorArgs: ARGS };

  it('adds HYPERVISOR and HYPERVISOR_ARGS to the stock file', () => {
    const out = updateKernelSysconfig(STOCK_KERNEL, want);
    expect(out).toBe(`${STOCK_KERNEL}HYPERVISOR=/boot/xen.gz\nHYPERVISOR_ARGS="${ARGS}"\n`);
    expect(parseKernelSysconfig(out)).toMatchObject({ updateDefault: true, defaultKernel: 'kernel', hypervisor: '/boot/xen.gz', hypervisorArgs: ARGS });
    expect(updateKernelSysconfig(out, want)).toBe(out);
    expect(updateKernelSysconfig(null, want)).toBe(out);
  });

  it('replaces existing values in place', () => {
    const text = '# c\nHYPERVISOR="/boot/xen-4.4.gz"\nUPDATEDEFAULT=no\nHYPERVISOR_ARGS=dom0_mem=512M\nDEFAULTKERNEL=kernel\n';
    expect(updateKernelSysconfig(text, want)).toBe(`# c\nHYPERVISOR=/boot/xen.gz\nUPDATEDEFAULT=no\nHYPERVISOR_ARGS="${ARGS}"\nDEFAULTKERNEL=kernel\n`);
    expect(parseKernelSysconfig(text)).toMatchObject({ updateDefault: false, hypervisor: '/boot/xen-4.4.gz', hypervisorArgs: 'dom0_mem=512M' });
  });

  it('reads shell-style values', () => {
    const k = parseKernelSysconfig("UPDATEDEFAULT='yes' # comment\nDEFAULTKERNEL=kernel-xen\n#HYPERVISOR=/boot/xen.gz\nHYPERVISOR_ARGS=\"a b\"\n");
    expect(k.updateDefault).toBe(true);
    expect(k.defaultKernel).toBe('kernel-xen');
    expect(k.hypervisor).toBeNull();
    expect(k.hypervisorArgs).toBe('a b');
    expect(parseKernelSysconfig('').updateDefault).toBe(false);
    expect(parseShellVars('A="x\\"y" \nB=a"b c"d\nC=\'q\'\'r\'\nD=1 E=2\n')).toEqual(new Map([['A', 'x"y'], ['B', 'ab cd'], ['C', 'qr'], ['D', '1']]));
  });

  it('refuses a bad hypervisor path or args', () => {
    expect(code(() => updateKernelSysconfig(STOCK_KERNEL, { hypervisor: 'xen.gz', hypervisorArgs: '' }))).toBe('invalid-path');
    expect(code(() => updateKernelSysconfig(STOCK_KERNEL, { hypervisor: '/boot/../xen.gz', hypervisorArgs: '' }))).toBe('invalid-path');
    expect(code(() => updateKernelSysconfig(STOCK_KERNEL, { hypervisor: '/boot/xen.gz; reboot', hypervisorArgs: '' }))).toBe('invalid-path');
    expect(code(() => updateKernelSysconfig(STOCK_KERNEL, { hypervisor: '/boot/xen.gz', hypervisorArgs: '$(reboot)' }))).toBe('unsafe-shell-value');
  });
});

describe('/etc/xen/xl.conf autoballoon', () => {
  it('adds autoballoon="off" after the commented default', () => {
    const out = setXlConfAutoballoon(STOCK_XL_CONF, 'off');
    expect(out).toBe(STOCK_XL_CONF.replace('#autoballoon="auto"\n', '#autoballoon="auto"\nautoballoon="off"\n'));
    expect(readXlConfAutoballoon(out)).toBe('off');
    expect(readXlConfAutoballoon(STOCK_XL_CONF)).toBeNull();
    expect(setXlConfAutoballoon(out, 'off')).toBe(out);
  });

  it('replaces an active line in place', () => {
    expect(setXlConfAutoballoon('# x\nautoballoon="auto"\nlockfile="/var/lock/xl"\n', 'off')).toBe('# x\nautoballoon="off"\nlockfile="/var/lock/xl"\n');
    expect(setXlConfAutoballoon('  autoballoon = 1 # on\r\n', 'off')).toBe('  autoballoon="off"\r\n');
    expect(setXlConfAutoballoon('autoballoon="on"\nautoballoon="auto"\n', 'off')).toBe('autoballoon="off"\nautoballoon="off"\n');
  });

  it('leaves a line that already means off alone', () => {
    for (const t of ['autoballoon=0\n', 'autoballoon = "off"\n', "autoballoon='off'\n", 'autoballoon="0"\n']) {
      expect(setXlConfAutoballoon(t, 'off')).toBe(t);
      expect(readXlConfAutoballoon(t)).toBe('off');
    }
  });

  it('appends when there is nothing to follow, and creates a file when missing', () => {
    expect(setXlConfAutoballoon('lockfile="/var/lock/xl"', 'off')).toBe('lockfile="/var/lock/xl"\nautoballoon="off"');
    expect(setXlConfAutoballoon('', 'off')).toBe('autoballoon="off"\n');
    const created = setXlConfAutoballoon(null, 'off');
    expect(created.endsWith('#autoballoon="auto"\nautoballoon="off"\n')).toBe(true);
    expect(readXlConfAutoballoon(created)).toBe('off');
  });

  it('refuses an unknown mode', () => {
    expect(code(() => setXlConfAutoballoon('', 'maybe' as never))).toBe('invalid-value');
  });
});

// ---- property tests: edits touch only the lines of their key ------------------------------------

const eol = fc.constantFrom('\n', '\n', '\r\n');
const otherLine = fc.oneof(
  fc.constantFrom('', '# comment', '#XEN_KERNEL_ARGS="old"', '#autoballoon="auto"', 'BOOT_XEN_AS_DEFAULT="yes"', 'UPDATEDEFAULT=yes', 'DEFAULTKERNEL=kernel', 'LINUX_XEN_KERNEL_ARGS="console=hvc0"', '   ', 'XEN_KERNEL_ARGS_X=1', 'lockfile="/var/lock/xl"', '  # autoballoon=1', 'echo "$HYPERVISOR"'),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
);
const keyLine = (key: string) => fc.constantFrom(`${key}="old"`, `${key}=old`, `export ${key}='x'`, `  ${key}="a b" # c`, `${key}=`);
const file = (key: string) =>
  fc
    .tuple(fc.array(fc.tuple(fc.oneof({ weight: 5, arbitrary: otherLine }, { weight: 1, arbitrary: keyLine(key) }), eol), { maxLength: 12 }), fc.boolean())
    .map(([ls, finalNl]) => {
      const s = ls.map(([t, e]) => t + e).join('');
      return finalNl ? s : s.replace(/\r?\n$/, '');
    });
const safeArgs = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_=,:. -+/\'%@'.split('')), maxLength: 40 });

/** Lines that are not an active assignment of `key`: their text and terminator. */
function rest(text: string, isKey: (t: string) => boolean) {
  return splitLines(text).filter((l) => !isKey(l.text));
}

function keepsOtherLines(before: string, after: string, isKey: (t: string) => boolean) {
  const a = rest(before, isKey);
  const b = rest(after, isKey);
  expect(b.map((l) => l.text)).toEqual(a.map((l) => l.text));
  // terminators too; the only one that may change is a missing final one (a line was added after it)
  b.forEach((l, i) => {
    const was = a[i]?.eol;
    if (was !== '' || i !== a.length - 1) expect(l.eol).toBe(was);
  });
}

const isAssign = (key: string) => (t: string) => assignments([{ text: t, eol: '' }]).some((a) => a.key === key);

describe('sysconfig edits keep every other byte (property)', () => {
  it('XEN_KERNEL_ARGS', () => {
    fc.assert(
      fc.property(file('XEN_KERNEL_ARGS'), safeArgs, (text, args) => {
        const out = updateXenKernelSysconfig(text, args);
        keepsOtherLines(text, out, isAssign('XEN_KERNEL_ARGS'));
        expect(parseXenKernelSysconfig(out).xenKernelArgs).toBe(args);
        expect(updateXenKernelSysconfig(out, args)).toBe(out);
        const n = assignments(splitLines(text)).filter((a) => a.key === 'XEN_KERNEL_ARGS').length;
        expect(assignments(splitLines(out)).filter((a) => a.key === 'XEN_KERNEL_ARGS').length).toBe(Math.max(1, n));
      }),
      { numRuns: 1500 },
    );
  });

  it('HYPERVISOR and HYPERVISOR_ARGS', () => {
    fc.assert(
      fc.property(file('HYPERVISOR'), safeArgs, (text, args) => {
        const out = updateKernelSysconfig(text, { hypervisor: '/boot/xen.gz', hypervisorArgs: args });
        keepsOtherLines(text, out, (t) => isAssign('HYPERVISOR')(t) || isAssign('HYPERVISOR_ARGS')(t));
        const k = parseKernelSysconfig(out);
        expect([k.hypervisor, k.hypervisorArgs]).toEqual(['/boot/xen.gz', args]);
        expect(updateKernelSysconfig(out, { hypervisor: '/boot/xen.gz', hypervisorArgs: args })).toBe(out);
      }),
      { numRuns: 1500 },
    );
  });

  it('autoballoon', () => {
    const isAuto = (t: string) => /^[ \t]*autoballoon[ \t]*=/.test(t);
    fc.assert(
      fc.property(file('autoballoon'), fc.constantFrom('off' as const, 'on' as const, 'auto' as const), (text, mode) => {
        const out = setXlConfAutoballoon(text, mode);
        keepsOtherLines(text, out, isAuto);
        expect(readXlConfAutoballoon(out)).toBe(mode);
        expect(setXlConfAutoballoon(out, mode)).toBe(out);
      }),
      { numRuns: 1500 },
    );
  });

  it('arbitrary unsafe args are refused with a typed error, safe ones are written verbatim', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (args) => {
        let out: string;
        try {
          out = updateXenKernelSysconfig(STOCK_XEN_KERNEL, args);
        } catch (e) {
          expect(e).toBeInstanceOf(TemplateError);
          expect(/["$`\\]|[^\x20-\x7e]/.test(args)).toBe(true);
          return;
        }
        expect(out).toContain(`\nXEN_KERNEL_ARGS="${args}"\n`);
        expect(parseXenKernelSysconfig(out).xenKernelArgs).toBe(args);
      }),
      { numRuns: 1500 },
    );
  });
});
