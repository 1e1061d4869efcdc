// Bundled in place of `string-width` (scripts/bundle.mjs): yargs lays out its whole help text on
// every command (to cache it), and string-width's general Unicode path (grapheme segmentation)
// made that ~16 ms of every start. Plain printable ASCII (with or without ANSI colour codes) has
// width = length; everything else goes to the real implementation, so results are identical.
import realStringWidth from 'string-width/index.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export default function stringWidth(string, options) {
  if (typeof string !== 'string') return realStringWidth(string, options);
  const plain = string.includes('\u001b') ? string.replace(ANSI, '') : string;
  if (PRINTABLE_ASCII.test(plain) && !(options && options.countAnsiEscapeCodes && plain !== string)) return plain.length;
  return realStringWidth(string, options);
}
