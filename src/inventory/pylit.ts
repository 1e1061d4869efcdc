/**
 * Python's `ast.literal_eval` (CPython ≥ 3.9 rules), as Ansible's INI plugin applies it to
 * every `key=value` value (inline host vars AND `[group:vars]` lines — see ini.ts for why).
 *
 * Accepted, exactly as literal_eval accepts them:
 *   ints (`42`, `0x1f`, `0o17`, `0b1`, `1_000`; `017` is a SyntaxError), floats (`1.5`, `1e3`, `.5`),
 *   imaginary numbers, `+`/`-` on a number, `<real> ± <imaginary>`, strings with the Python escapes
 *   and prefixes r/u/b (adjacent literals concatenate), `True`/`False`/`None`, `...`,
 *   tuples (also bare `1, 2`), lists, dicts, sets and `set()`; `#` comments; leading spaces/tabs.
 * Everything else (names like `yes`, `true`, `10-5`, `host-01.internal`, calls, operators …) is not a
 * literal and Ansible keeps the original text — so does `iniValue`.
 *
 * Ansible then normalises the result (`_parse_recursive_coerce_types_and_tag`): tuples and sets
 * become lists, bytes become text, complex numbers and Ellipsis become their `str()`.
 *
 * Known, deliberate differences: `\N{NAME}` escapes are not looked up (the value stays text);
 * set elements keep their source order (Python orders by hash); integers beyond 2^53 lose
 * precision (JavaScript numbers); unhashable dict keys / set members (a Python TypeError that
 * aborts Ansible's parse) leave the text unchanged.
 */

class NotLiteral extends Error {}

const fail = (): never => {
  throw new NotLiteral();
};

type Tok =
  | { t: 'num'; kind: 'int' | 'float' | 'imag'; value: number }
  | { t: 'str'; bytes: boolean; value: string }
  | { t: 'name'; value: string }
  | { t: 'op'; value: string }
  | { t: 'end' };

const NUM_RE =
  /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?)/;
const NAME_START = /[\p{L}\p{Nl}_]/u;
const NAME_CHAR = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;
const PREFIX_RE = /^(?:[rRuUbBfFtT]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF]|[tT][rR]|[rR][tT])(?=['"])/;

function numberValue(raw: string): Tok {
  const text = raw.replace(/_/g, '');
  if (/^0[xX]/.test(raw)) return { t: 'num', kind: 'int', value: parseInt(text.slice(2), 16) };
  if (/^0[oO]/.test(raw)) return { t: 'num', kind: 'int', value: parseInt(text.slice(2), 8) };
  if (/^0[bB]/.test(raw)) return { t: 'num', kind: 'int', value: parseInt(text.slice(2), 2) };
  if (/[jJ]$/.test(raw)) return { t: 'num', kind: 'imag', value: Number(text.slice(0, -1)) };
  if (/[.eE]/.test(raw)) return { t: 'num', kind: 'float', value: Number(text) };
  // decimal integer: "leading zeros in decimal integer literals are not permitted"
  if (/^0/.test(raw) && !/^0(?:_?0)*$/.test(raw)) fail();
  return { t: 'num', kind: 'int', value: Number(text) };
}

function readString(src: string, pos: number, prefix: string): { tok: Tok; end: number } {
  const p = prefix.toLowerCase();
  if (p.includes('f') || p.includes('t')) fail(); // f-strings/t-strings are not literals
  const raw = p.includes('r');
  const bytes = p.includes('b');
  const q = src[pos] as string;
  const triple = src.startsWith(q.repeat(3), pos);
  const delim = triple ? q.repeat(3) : q;
  let i = pos + delim.length;
  let out = '';
  for (;;) {
    if (i >= src.length) fail();
    if (src.startsWith(delim, i)) {
      i += delim.length;
      break;
    }
    const c = src[i] as string;
    if (!triple && (c === '\n' || c === '\r')) fail();
    if (bytes && c.charCodeAt(0) > 127) fail();
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const n = src[i + 1];
    if (n === undefined) fail();
    if (raw) {
      out += c + (n as string);
      i += 2;
      continue;
    }
    i += 2;
    switch (n) {
      case '\n':
        break;
      case '\\':
      case "'":
      case '"':
        out += n;
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        const hex = src.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail();
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U':
      case 'N': {
        if (bytes) {
          out += '\\' + n;
          break;
        }
        if (n === 'N') fail();
        const len = n === 'u' ? 4 : 8;
        const hex = src.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail();
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) fail();
        out += String.fromCodePoint(cp);
        i += len;
        break;
      }
      default:
        if (n !== undefined && /[0-7]/.test(n)) {
          const m = /^[0-7]{1,3}/.exec(src.slice(i - 1)) as RegExpExecArray;
          const cp = parseInt(m[0], 8);
          if (bytes && cp > 0xff) fail();
          out += String.fromCharCode(cp);
          i += m[0].length - 1;
        } else {
          out += '\\' + n; // unknown escapes are kept (a SyntaxWarning, which Ansible hides)
        }
    }
  }
  if (bytes) {
    // to_text(bytes): UTF-8
    const buf = Buffer.from(Array.from(out, (ch) => ch.charCodeAt(0)));
    out = buf.toString('utf8');
  }
  return { tok: { t: 'str', bytes, value: out }, end: i };
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let depth = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      if (depth > 0) {
        i++;
        continue;
      }
      if (src.slice(i).trim() === '') break;
      fail();
    }
    if (c === '#') {
      const nl = src.slice(i).search(/[\r\n]/);
      if (nl < 0) break;
      i += nl;
      continue;
    }
    if (src.startsWith('...', i)) {
      toks.push({ t: 'op', value: '...' });
      i += 3;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = NUM_RE.exec(src.slice(i));
      if (!m) fail();
      const raw = (m as RegExpExecArray)[0];
      const next = src[i + raw.length];
      if (next !== undefined && (NAME_CHAR.test(next) || next === '.')) fail(); // "invalid decimal literal"
      toks.push(numberValue(raw));
      i += raw.length;
      continue;
    }
    const pm = PREFIX_RE.exec(src.slice(i));
    if (pm || c === "'" || c === '"') {
      const prefix = pm ? pm[0] : '';
      const { tok, end } = readString(src, i + prefix.length, prefix);
      toks.push(tok);
      i = end;
      continue;
    }
    if (NAME_START.test(c)) {
      let j = i + 1;
      while (j < src.length && NAME_CHAR.test(src[j] as string)) j++;
      toks.push({ t: 'name', value: src.slice(i, j) });
      i = j;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
    if ('()[]{},:+-'.includes(c)) {
      toks.push({ t: 'op', value: c });
      i++;
      continue;
    }
    // any other operator or character: not a literal (or not even Python)
    fail();
  }
  toks.push({ t: 'end' });
  return toks;
}

// ---- AST (the subset of Python expressions that literal_eval can possibly accept) ----

type Node =
  | { k: 'const'; value: unknown; num?: 'int' | 'float' | 'imag' }
  | { k: 'unary'; op: '+' | '-'; operand: Node }
  | { k: 'bin'; op: '+' | '-'; left: Node; right: Node }
  | { k: 'tuple' | 'list' | 'set'; elts: Node[] }
  | { k: 'dict'; keys: Node[]; values: Node[] }
  | { k: 'emptyset' }
  | { k: 'other' };

const ELLIPSIS = Symbol('Ellipsis');

class Complex {
  constructor(
    readonly re: number,
    readonly im: number,
  ) {}
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i] as Tok;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.value === v;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) fail();
    this.i++;
  }

  parseTop(): Node {
    if (this.peek().t === 'end') fail();
    const node = this.exprList(() => this.peek().t === 'end');
    if (this.peek().t !== 'end') fail();
    return node;
  }

  /** expr (',' expr)* [','] — a tuple when there is a comma. */
  private exprList(atEnd: () => boolean): Node {
    const first = this.expr();
    if (!this.isOp(',')) return first;
    const elts = [first];
    while (this.isOp(',')) {
      this.i++;
      if (atEnd()) break;
      elts.push(this.expr());
    }
    return { k: 'tuple', elts };
  }

  private expr(): Node {
    if (++this.depth > 200) fail();
    let left = this.unary();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.peek() as { value: '+' | '-' }).value;
      this.i++;
      const right = this.unary();
      left = { k: 'bin', op, left, right };
    }
    this.depth--;
    return left;
  }

  private unary(): Node {
    if (this.isOp('+') || this.isOp('-')) {
      const op = (this.peek() as { value: '+' | '-' }).value;
      this.i++;
      if (++this.depth > 200) fail();
      const operand = this.unary();
      this.depth--;
      return { k: 'unary', op, operand };
    }
    const atom = this.atom();
    // trailers (calls, subscripts, attributes) are never literals; '.' cannot even be tokenized here
    if (this.isOp('(') || this.isOp('[')) fail();
    return atom;
  }

  private atom(): Node {
    const t = this.peek();
    switch (t.t) {
      case 'num':
        this.i++;
        return { k: 'const', value: t.value, num: t.kind };
      case 'str': {
        this.i++;
        let value = t.value;
        for (let n = this.peek(); n.t === 'str'; n = this.peek()) {
          if (n.bytes !== t.bytes) fail(); // "cannot mix bytes and nonbytes literals"
          value += n.value;
          this.i++;
        }
        return { k: 'const', value };
      }
      case 'name':
        this.i++;
        if (t.value === 'True') return { k: 'const', value: true };
        if (t.value === 'False') return { k: 'const', value: false };
        if (t.value === 'None') return { k: 'const', value: null };
        if (t.value === 'set' && this.isOp('(')) {
          this.i++;
          this.expectOp(')');
          return { k: 'emptyset' };
        }
        return { k: 'other' };
      case 'op':
        if (t.value === '...') {
          this.i++;
          return { k: 'const', value: ELLIPSIS };
        }
        if (t.value === '(') {
          this.i++;
          if (this.isOp(')')) {
            this.i++;
            return { k: 'tuple', elts: [] };
          }
          const inner = this.exprList(() => this.isOp(')'));
          this.expectOp(')');
          return inner;
        }
        if (t.value === '[') {
          this.i++;
          const elts: Node[] = [];
          while (!this.isOp(']')) {
            elts.push(this.expr());
            if (!this.isOp(',')) break;
            this.i++;
          }
          this.expectOp(']');
          return { k: 'list', elts };
        }
        if (t.value === '{') {
          this.i++;
          if (this.isOp('}')) {
            this.i++;
            return { k: 'dict', keys: [], values: [] };
          }
          const first = this.expr();
          if (this.isOp(':')) {
            const keys = [first];
            const values: Node[] = [];
            this.i++;
            values.push(this.expr());
            while (this.isOp(',')) {
              this.i++;
              if (this.isOp('}')) break;
              keys.push(this.expr());
              this.expectOp(':');
              values.push(this.expr());
            }
            this.expectOp('}');
            return { k: 'dict', keys, values };
          }
          const elts = [first];
          while (this.isOp(',')) {
            this.i++;
            if (this.isOp('}')) break;
            elts.push(this.expr());
          }
          this.expectOp('}');
          return { k: 'set', elts };
        }
        return fail();
      default:
        return fail();
    }
  }
}

// ---- literal_eval's _convert ----

type Py = unknown;

function convertNum(node: Node): number | Complex {
  if (node.k !== 'const' || node.num === undefined) fail();
  const n = node as { value: number; num: string };
  return n.num === 'imag' ? new Complex(0, n.value) : n.value;
}

function convertSignedNum(node: Node): number | Complex {
  if (node.k === 'unary') {
    const v = convertNum(node.operand);
    if (node.op === '+') return v;
    return v instanceof Complex ? new Complex(-v.re, -v.im) : -v;
  }
  return convertNum(node);
}

function isHashable(v: Py): boolean {
  return !(Array.isArray(v) || v instanceof PySet || (typeof v === 'object' && v !== null && !(v instanceof Complex) && !(v instanceof PyTuple)));
}

class PyTuple {
  constructor(readonly items: Py[]) {}
}
class PySet {
  constructor(readonly items: Py[]) {}
}

function convert(node: Node): Py {
  switch (node.k) {
    case 'const':
      if (node.num === 'imag') return new Complex(0, node.value as number);
      return node.value;
    case 'tuple':
      return new PyTuple(node.elts.map(convert));
    case 'list':
      return node.elts.map(convert);
    case 'set': {
      const items = node.elts.map(convert);
      if (!items.every(isHashable)) fail(); // TypeError: unhashable type
      return new PySet(items);
    }
    case 'emptyset':
      return new PySet([]);
    case 'dict': {
      const out: [Py, Py][] = [];
      node.keys.forEach((k, idx) => {
        const key = convert(k);
        if (!isHashable(key)) fail();
        out.push([key, convert(node.values[idx] as Node)]);
      });
      return new Map(out);
    }
    case 'bin': {
      const left = convertSignedNum(node.left);
      const right = convertNum(node.right);
      if (typeof left === 'number' && right instanceof Complex) {
        return node.op === '+' ? new Complex(left + right.re, right.im) : new Complex(left - right.re, -right.im);
      }
      return fail();
    }
    default:
      return convertSignedNum(node);
  }
}

/** Python's repr() of a float, close enough for the values an inventory holds. */
function pyFloat(n: number, intLike: boolean): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Object.is(n, -0)) return intLike ? '-0' : '-0.0';
  let s = String(n);
  if (/e/.test(s)) s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  else if (!intLike && Number.isInteger(n)) s += '.0';
  return s;
}

/** Python's str() of a complex number: `1j`, `(1+2j)`, `(-0-1j)`. */
function complexStr(c: Complex): string {
  const im = pyFloat(c.im, true);
  if (c.re === 0 && !Object.is(c.re, -0)) return `${im}j`;
  const sign = c.im < 0 || Object.is(c.im, -0) ? '-' : '+';
  return `(${pyFloat(c.re, true)}${sign}${pyFloat(Math.abs(c.im), true)}j)`;
}

function keyText(k: Py): string {
  if (typeof k === 'string') return k;
  if (k === null) return 'null';
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'number') return Number.isInteger(k) ? String(k) : pyFloat(k, false);
  return String(normalize(k));
}

/** Ansible's coercion of a literal_eval result into inventory data. */
function normalize(v: Py): unknown {
  if (v === ELLIPSIS) return '...';
  if (v instanceof Complex) return complexStr(v);
  if (v instanceof PyTuple || v instanceof PySet) return v.items.map(normalize);
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of v) {
      if (k instanceof PyTuple) {
        // a tuple key: Ansible keeps it; JSON cannot — fall back to Python's str()
        out[`(${k.items.map((x) => keyText(x)).join(', ')})`] = normalize(val);
      } else {
        Object.defineProperty(out, keyText(k), { value: normalize(val), enumerable: true, writable: true, configurable: true });
      }
    }
    return out;
  }
  return v;
}

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

/** `ast.literal_eval(text)` followed by Ansible's type coercion; `{ok:false}` when not a literal. */
export function literalEval(text: string): LiteralResult {
  try {
    const src = text.replace(/^[ \t]+/, '');
    if (src.includes('\0')) return { ok: false };
    const ast = new Parser(tokenize(src)).parseTop();
    return { ok: true, value: normalize(convert(ast)) };
  } catch (err) {
    if (err instanceof NotLiteral || err instanceof RangeError) return { ok: false };
    throw err;
  }
}

/** Ansible INI `_parse_value`: the literal when `text` is one, else `text` unchanged. */
export function iniValue(text: string): unknown {
  const r = literalEval(text);
  return r.ok ? r.value : text;
}
