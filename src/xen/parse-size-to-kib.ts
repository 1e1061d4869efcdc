const U64 = (1n << 64n) - 1n;

function digitValue(ch: string | undefined): number {
  if (ch === undefined) return 99;
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return 99;
}

/**
 * Xen's `simple_strtoull(s, &end, 0)`: a leading `0x` (followed by a hex digit) means hex, a leading `0` octal,
 * otherwise decimal. No sign, no leading blanks. Wraps modulo 2^64 like the C code.
 * Returns the value and the index of the first character not used.
 */
export function simpleStrtoull(s: string, start = 0): { value: bigint; end: number } {
  let i = start;
  let base = 10;
  if (s[i] === '0') {
    base = 8;
    i++;
    if ((s[i] === 'x' || s[i] === 'X') && digitValue(s[i + 1]) < 16) {
      i++;
      base = 16;
    }
  }
  let value = 0n;
  for (;;) {
    const d = digitValue(s[i]);
    if (d >= base) break;
    value = (value * BigInt(base) + BigInt(d)) & U64;
    i++;
  }
  return { value, end: i };
}

/**
 * Xen 4.10's `parse_size_and_unit()` (xen/common/lib.c): an integer (`0x` hex, leading-`0` octal) followed by at most
 * one of `T G M K B` (either case). **Without a suffix the unit is KiB.** `%` is not special before Xen 4.12.
 * Parsing stops at the first character that does not fit; `rest` is what is left (Xen flags a non-empty rest as an
 * invalid value, but keeps the number: `1.5G` → 1 KiB with rest `.5G`; `1024MB` → 1024 MiB with rest `B`).
 */
export function parseSizeToKiB(s: string, start = 0): { bytes: bigint; kib: number; rest: string; end: number } {
  const { value, end: numEnd } = simpleStrtoull(s, start);
  let bytes = value;
  let end = numEnd;
  const suffix = s[numEnd];
  const shifts: Record<string, bigint> = { T: 40n, t: 40n, G: 30n, g: 30n, M: 20n, m: 20n, K: 10n, k: 10n, B: 0n, b: 0n };
  const shift = suffix === undefined ? undefined : shifts[suffix];
  if (shift !== undefined) {
    bytes = (bytes << shift) & U64;
    end++;
  } else {
    bytes = (bytes << 10n) & U64; // default to kB
  }
  return { bytes, kib: Number(bytes) / 1024, rest: s.slice(end), end };
}
