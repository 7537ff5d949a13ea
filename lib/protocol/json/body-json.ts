import { TalktoJsonEncodeError } from '../errors/json-encode.error.js';
import { NATIVE_MAX_NESTING } from './native-json.js';
import { encodePhpString } from './php-string.js';
import { encodePhpScalar, PHP_ENCODE_MAX_DEPTH } from './php-scalar.js';
import { PhpArray, type PhpValue } from './php-value.js';

/**
 * JSON text as PHP's `json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES)` writes
 * it: insertion order kept, an array is `[...]` exactly when its keys are 0..n-1 in order.
 * Used for HTTP bodies and stored payloads; hashing uses the canonical form instead.
 */
export function encodeBodyJson(value: PhpValue): string {
  return encode(value, 0);
}

function encode(value: PhpValue, depth: number): string {
  if (!(value instanceof PhpArray)) {
    return encodePhpScalar(value);
  }
  const source = value.untouchedSource;
  if (source !== null && depth <= PHP_ENCODE_MAX_DEPTH - NATIVE_MAX_NESTING) {
    return JSON.stringify(source.parsed);
  }
  if (depth >= PHP_ENCODE_MAX_DEPTH) {
    throw new TalktoJsonEncodeError('depth');
  }
  if (value.isList()) {
    let out = '[';
    const items = value.values();
    for (let i = 0; i < items.length; i++) {
      out += (i === 0 ? '' : ',') + encode(items[i], depth + 1);
    }
    return out + ']';
  }
  let out = '{';
  let first = true;
  for (const [key, item] of value.entries()) {
    out += (first ? '' : ',') + encodePhpString(typeof key === 'string' ? key : key.toString()) + ':';
    first = false;
    out += encode(item, depth + 1);
  }
  return out + '}';
}
