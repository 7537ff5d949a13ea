import { TalktoJsonEncodeError } from '../errors/json-encode.error.js';
import { NATIVE_MAX_NESTING } from './native-json.js';
import { encodePhpString } from './php-string.js';
import { encodePhpScalar, PHP_ENCODE_MAX_DEPTH } from './php-scalar.js';
import { PhpArray, type PhpKey, type PhpValue } from './php-value.js';
import { compareUtf8 } from './utf8-order.js';

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
  const source = value.untouchedSource;
  if (source !== null && depth <= PHP_ENCODE_MAX_DEPTH - NATIVE_MAX_NESTING) {
    return JSON.stringify(source.sorted);
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
