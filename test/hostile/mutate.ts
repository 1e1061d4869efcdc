// Hostile host behaviours as fast-check values: which command (or which fact of the facts command) is
// answered wrongly, and how — huge numbers, megabytes of output, binary, escape sequences, another
// format, truncated output, a hang, the connection dropped mid-answer, another exit status.
import fc from 'fast-check';
import type { AnswerContext, Mutation, Mutator } from './session.js';
import type { ExecResult } from '../../src/transport/index.js';

export type Kind = 'number' | 'flood' | 'binary' | 'escapes' | 'wrong-format' | 'truncate' | 'hang' | 'drop' | 'exit' | 'empty' | 'duplicate-keys';

/** The commands dom0up sends, by what they do (recognised from the script). */
export type CommandClass = 'facts' | 'lock' | 'journal' | 'plan-check' | 'write' | 'read-back' | 'yum' | 'one-shot' | 'reboot' | 'boot-id' | 'unlock' | 'any';

export function classify(script: string): CommandClass {
  const facts = /@@[0-9a-f]{16} /.test(script);
  if (facts) {
    // the facts command, alone or after a prefix in the same round trip (yum, taking the lock again)
    if (script.includes('yum_rc')) return 'yum';
    if (script.includes('lock_acquired=')) return 'lock';
    return 'facts';
  }
  if (script.includes('lock_acquired=')) return 'lock';
  if (script.includes('shutdown -r')) return 'reboot';
  if (script.includes('savedefault')) return 'one-shot';
  if (script.includes('mktemp "$d/.$b.dom0up')) return 'write';
  if (script.includes('h=$(sha256sum <') && !script.includes('mv -f')) return 'plan-check';
  if (script.includes('lock_released=') && !script.includes('mv -f')) return 'unlock';
  if (/\/var\/lib\/dom0up\/(runs\/[^/]+\/steps|journal)/.test(script) && !script.includes('mv -f')) return 'journal';
  if (script.includes('base64 <') && script.includes('echo ABSENT')) return 'read-back';
  if (script.includes('/proc/sys/kernel/random/boot_id') && !script.includes('shutdown')) return 'boot-id';
  return 'any';
}

/**
 * Does the command change the host? Only reads are allowed after a fact dom0up could not read, apart
 * from dom0up's own bookkeeping of a failed run (the journal entry, releasing its lock).
 */
export function changesHost(script: string): boolean {
  const c = classify(script);
  return c === 'lock' || c === 'write' || c === 'yum' || c === 'one-shot' || c === 'reboot' || c === 'unlock' || c === 'journal' || (c === 'any' && /\b(rm|mv|cp|ln|mkdir|chmod|chown|tee|dd|sed -i|yum|rpm|grub|shutdown|reboot|init)\b|[^2&]>\s*[^&/]/.test(script));
}

/**
 * dom0up's own bookkeeping of a run that failed: its journal entry and the release of its lock
 * (session.end: a journal record and the lock's removal, nothing else).
 */
export function bookkeepingOnly(script: string): boolean {
  const c = classify(script);
  if (c === 'unlock' || c === 'journal') return true;
  return c === 'any' && !/\b(mv|cp|ln|mkdir|chmod|chown|tee|dd|sed -i|yum|rpm|grub|shutdown|reboot|init|mktemp)\b/.test(script);
}

export const FACTS = ['os_release', 'kernel', 'hypervisor', 'grub_config', 'boot', 'packages', 'resources', 'config_files', 'state', 'xl_list', 'xl_info', 'xl_vcpu_list', 'xl_dmesg'] as const;

export interface Spec {
  /** Which command: its class and which one of that class (0 = first). */
  cls: CommandClass;
  nth: number;
  /** For the facts command: which fact (else the whole answer). */
  fact: (typeof FACTS)[number] | null;
  kind: Kind;
  /** Parameters of the kind (which number, how much, where to cut, …). */
  n: number;
  fill: string;
  bytes: Uint8Array;
}

const HUGE = ['9999999999', '4294967295', '4294967296', '18446744073709551616', '99999999999999999999999999999999', '-1', '0', '2147483648', '1e309', '00000000000000000000000000000001', '9'.repeat(400)];
const ESCAPES = ['\u001b]0;pwned\u0007', '\u001b[1A\u001b[2K', '\u001b[2J\u001b[H', '\r', '\u009b31m', '\u202e', '\u0000', '\u001b]8;;http://x\u001b\\', '\u0007\u0008'];
const FLOOD = [64 * 1024, 1024 * 1024, 3 * 1024 * 1024, 17 * 1024 * 1024, 40 * 1024 * 1024];

export const specArb: fc.Arbitrary<Spec> = fc.record({
  cls: fc.constantFrom<CommandClass>('facts', 'facts', 'facts', 'lock', 'journal', 'plan-check', 'write', 'read-back', 'yum', 'one-shot', 'reboot', 'boot-id', 'unlock', 'any'),
  nth: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.nat({ max: 6 }), weight: 2 }),
  fact: fc.option(fc.constantFrom(...FACTS), { nil: null, freq: 4 }),
  kind: fc.constantFrom<Kind>('number', 'number', 'flood', 'binary', 'escapes', 'escapes', 'wrong-format', 'truncate', 'truncate', 'hang', 'drop', 'exit', 'empty', 'duplicate-keys'),
  n: fc.nat({ max: 1_000_000 }),
  fill: fc.constantFrom('A', '\n', '9', 'title x\n', '\u001b[2J', 'key=value\n', '\u0000'),
  bytes: fc.uint8Array({ maxLength: 600 }),
});

/** One to three wrong answers in a run. */
export const behaviourArb = fc.array(specArb, { minLength: 1, maxLength: 3 });

export function describeSpec(s: Spec): string {
  return `${s.cls}#${s.nth}${s.fact ? `/${s.fact}` : ''}: ${s.kind}(${s.n})`;
}

// ---- text mutations -------------------------------------------------------------------------------
function hugeNumbers(text: string, n: number): string {
  const huge = HUGE[n % HUGE.length] as string;
  let i = 0;
  const which = n % 7; // 0: every number, else every which-th
  return text.replace(/\d+/g, (d) => (which === 0 || i++ % which === 0 ? huge : d));
}

function insertAt(text: string, what: string, n: number): string {
  const at = text.length === 0 ? 0 : n % (text.length + 1);
  return text.slice(0, at) + what + text.slice(at);
}

/** Base64 values (file contents) are changed inside: decode, change, encode again. */
function mutateInsideBase64(text: string, fn: (s: string) => string): string {
  return text.replace(/^((?:content|repo=\S+ |lock|journal|xen_kernel|kernel|xl_conf|gpg_key)=?)([A-Za-z0-9+/]+={0,2})$/gm, (_m, k: string, b64: string) => `${k}${Buffer.from(fn(Buffer.from(b64, 'base64').toString('latin1')), 'latin1').toString('base64')}`);
}

function textMutation(kind: Kind, text: string, s: Spec): string {
  switch (kind) {
    case 'number':
      return mutateInsideBase64(hugeNumbers(text, s.n), (t) => hugeNumbers(t, s.n));
    case 'escapes': {
      const esc = ESCAPES[s.n % ESCAPES.length] as string;
      // into a value of a key=value line, and into the files the host sends (a grub.conf title)
      return mutateInsideBase64(insertAt(text, esc, s.n), (t) => t.replace(/^title /m, `title ${esc}`));
    }
    case 'wrong-format': {
      const lines = text.split('\n');
      switch (s.n % 4) {
        case 0:
          return lines.reverse().join('\n');
        case 1:
          return lines.filter((_, i) => i % 2 === 0).join('\n');
        case 2:
          return lines.map((l) => l.replace(/[=:]/, ' ')).join('\n');
        default:
          return 'Usage: xl [-vfN] <subcommand> [args]\nError: unknown option\n';
      }
    }
    case 'truncate':
      return text.slice(0, text.length === 0 ? 0 : s.n % text.length);
    case 'empty':
      return '';
    case 'duplicate-keys':
      return `${text}\nrelease=9.9.9-evil\narch=evil\nboot_id=\nreal=/etc/shadow\nstat=777 0 0 1 1\ncontent=${Buffer.from('title evil\n\tkernel /evil\n').toString('base64')}\ncpus=${HUGE[s.n % HUGE.length]}\nmem_kb=${HUGE[(s.n + 1) % HUGE.length]}\n`;
    case 'binary':
      return Buffer.from(s.bytes).toString('latin1');
    default:
      return text;
  }
}

const EMPTY: ExecResult = { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), lost: false, timedOut: false, durationMs: 1 };

/** The mutator for one behaviour: counts the commands of each class and changes the chosen ones. */
export function mutator(specs: readonly Spec[]): Mutator & { applied: string[] } {
  const seen = new Map<CommandClass, number>();
  const applied: string[] = [];
  const fn = ((ctx: AnswerContext, answer: ExecResult): Mutation => {
    const cls = classify(ctx.script);
    const nth = seen.get(cls) ?? 0;
    seen.set(cls, nth + 1);
    const anyNth = seen.get('any') ?? 0;
    let out: Mutation = { result: answer ?? EMPTY, label: null };
    for (const s of specs) {
      const hit = s.cls === cls ? s.nth === nth : s.cls === 'any' && cls !== 'facts' && s.nth === anyNth;
      if (!hit) continue;
      const label = out.label ? `${out.label}; ${describeSpec(s)}` : describeSpec(s);
      applied.push(describeSpec(s));
      out = apply(s, ctx, out.result, label, out);
    }
    if (cls !== 'facts') seen.set('any', anyNth + 1);
    return out;
  }) as Mutator & { applied: string[] };
  fn.applied = applied;
  return fn;
}

function apply(s: Spec, ctx: AnswerContext, r: ExecResult, label: string, prev: Mutation): Mutation {
  const section = s.fact && ctx.sections ? ctx.sections.find((x) => x.name === s.fact) : undefined;
  switch (s.kind) {
    case 'hang':
      return { ...prev, result: r, label, hang: true };
    case 'drop': {
      const cut = r.stdout.subarray(0, r.stdout.length ? s.n % r.stdout.length : 0);
      return { ...prev, result: { ...r, stdout: cut }, label, drop: true };
    }
    case 'exit': {
      const codes = [1, 2, 65, 127, 255, null];
      return { ...prev, result: { ...r, code: codes[s.n % codes.length] ?? null }, label };
    }
    case 'flood': {
      const bytes = FLOOD[s.n % FLOOD.length] as number;
      if (section && bytes <= 3 * 1024 * 1024) {
        section.stdout = Buffer.concat([section.stdout, Buffer.alloc(bytes, s.fill, 'latin1')]);
        return { ...prev, result: r, label };
      }
      return { ...prev, result: r, label, flood: { bytes, fill: Buffer.from(s.fill, 'latin1') } };
    }
    default:
      break;
  }
  if (section) {
    if (s.kind === 'truncate' && s.n % 3 === 0) {
      // the section's output cut off: no rc line after it
      section.rc = null;
      section.stdout = section.stdout.subarray(0, section.stdout.length ? s.n % section.stdout.length : 0);
    } else section.stdout = Buffer.from(textMutation(s.kind, section.stdout.toString('latin1'), s), 'latin1');
    return { ...prev, result: r, label };
  }
  if (ctx.sections && s.kind === 'truncate') {
    // the whole facts answer cut off: the sections after the cut are missing
    const keep = s.n % (ctx.sections.length + 1);
    ctx.sections.splice(keep);
    return { ...prev, result: r, label };
  }
  if (ctx.sections) {
    // every fact of the facts command at once, and what its prefix printed (yum's output, the lock's)
    for (const sec of ctx.sections) sec.stdout = Buffer.from(textMutation(s.kind, sec.stdout.toString('latin1'), s), 'latin1');
    if (ctx.around) ctx.around.head = Buffer.from(textMutation(s.kind, ctx.around.head.toString('latin1'), s), 'latin1');
    return { ...prev, result: r, label };
  }
  return { ...prev, result: { ...r, stdout: Buffer.from(textMutation(s.kind, r.stdout.toString('latin1'), s), 'latin1'), stderr: s.kind === 'escapes' ? Buffer.from(textMutation(s.kind, r.stderr.toString('latin1'), s), 'latin1') : r.stderr }, label };
}

/**
 * Mutations after which, by the facts' contract, the host's answer cannot be read: dom0up must stop
 * there (see src/facts). Other mutations may or may not be readable (a text with an escape sequence in
 * it is still a text).
 */
export function unreadableByContract(s: Spec): boolean {
  if (s.cls !== 'facts') return false;
  // the key=value facts: their output holds only their own keys (src/facts: onlyKeys); these need some keys
  const KV = ['kernel', 'hypervisor', 'grub_config', 'boot', 'resources', 'config_files', 'state'];
  const NEEDS_KEYS = ['kernel', 'hypervisor', 'boot', 'resources'];
  const facts = s.fact === null ? KV : KV.includes(s.fact) ? [s.fact] : [];
  if (facts.length === 0) return false;
  if (s.kind === 'binary') return Buffer.from(s.bytes).toString('latin1').split('\n').some((l) => l !== '' && !/^[a-z_]+=/.test(l));
  if (s.kind === 'wrong-format' && s.n % 4 === 3) return true; // another command's usage text
  if (s.kind === 'empty') return facts.some((f) => NEEDS_KEYS.includes(f));
  if (s.kind === 'duplicate-keys') return facts.includes('kernel'); // boot_id= is not a UUID
  return false;
}
