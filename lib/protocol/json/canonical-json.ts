import { TalktoJsonEncodeError } from '../errors/json-encode.error.js';
import { encodePhpString } from './php-string.js';
import { encodePhpScalar, PHP_ENCODE_MAX_DEPTH } from './php-scalar.js';
import { PhpArray, type PhpKey, type PhpValue } from './php-value.js';

/**
 * Canonical JSON of a payload (PROTOCOL §5.2): lists keep their order, every other array has its
 * keys sorted by UTF-8 bytes (integer keys as their decimal text) and is written as an array again
 * if the sorted keys happen to be 0..n-1. Numbers and strings are formatted as PHP does.
 */
export function encodeCanonicalJson(value: PhpValue): string {
  return encode(value, 0);
}

function encode(value: PhpValue, depth: number): string {
  if (!(value instanceof PhpArray)) {
    return encodePhpScalar(value);
  }
  if (depth >= PHP_ENCODE_MAX_DEPTH) {
    throw new TalktoJsonEncodeError('depth');
  }
  if (value.isList()) {
    return encodeList(value.values(), depth + 1);
  }
  const entries: Array<[string, PhpKey, PhpValue]> = [];
  let allIntegerKeys = true;
  for (const [key, item] of value.entries()) {
    allIntegerKeys &&= typeof key === 'bigint';
    entries.push([typeof key === 'string' ? key : key.toString(), key, item]);
  }
  entries.sort((a, b) => compareUtf8(a[0], b[0]));
  if (allIntegerKeys && entries.every(([, key], index) => key === BigInt(index))) {
    return encodeList(
      entries.map(([, , item]) => item),
      depth + 1,
    );
  }
  let out = '{';
  for (let i = 0; i < entries.length; i++) {
    const [text, , item] = entries[i];
    out += (i === 0 ? '' : ',') + encodePhpString(text) + ':' + encode(item, depth + 1);
  }
  return out + '}';
}

function encodeList(items: PhpValue[], depth: number): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    out += (i === 0 ? '' : ',') + encode(items[i], depth);
  }
  return out + ']';
}

/**
 * Orders two strings by their UTF-8 bytes without encoding them. UTF-16 order only disagrees with
 * code point order when a surrogate meets a unit in U+E000..U+FFFF, so those two ranges are swapped.
 */
export function compareUtf8(a: string, b: string): number {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      return codePointRank(x) - codePointRank(y);
    }
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) {
    return unit - 0x800;
  }
  return unit >= 0xd800 ? unit + 0x2000 : unit;
}
