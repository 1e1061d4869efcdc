/** Exact text from bytes: UTF-8 when valid (a BOM is kept), else latin1; both round-trip every byte. */
export type TextEncodingName = 'utf8' | 'latin1';

export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncodingName } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: Buffer.from(bytes).toString('latin1'), encoding: 'latin1' };
  }
}

export function encodeText(text: string, encoding: TextEncodingName): Buffer {
  return Buffer.from(text, encoding);
}
