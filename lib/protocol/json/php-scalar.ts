import { TalktoJsonEncodeError } from '../errors/json-encode.error.js';
import { formatPhpFloat } from './php-float.js';
import { encodePhpString } from './php-string.js';
import { isInt64, PhpArray, type PhpValue } from './php-value.js';

/** `json_encode` refuses arrays nested deeper than this (its default `$depth`). */
export const PHP_ENCODE_MAX_DEPTH = 512;

/** JSON text of a non-array PHP value, exactly as PHP's encoder writes it. */
export function encodePhpScalar(value: Exclude<PhpValue, PhpArray>): string {
  switch (typeof value) {
    case 'string':
      return encodePhpString(value);
    case 'bigint':
      if (!isInt64(value)) {
        throw new TalktoJsonEncodeError('int_out_of_range');
      }
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TalktoJsonEncodeError('non_finite_float');
      }
      return formatPhpFloat(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      if (value === null) {
        return 'null';
      }
      throw new TalktoJsonEncodeError('unsupported_type');
  }
}
