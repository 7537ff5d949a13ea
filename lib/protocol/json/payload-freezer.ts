import { TalktoJsonDecodeError } from '../errors/json-decode.error.js';
import { TalktoJsonEncodeError } from '../errors/json-encode.error.js';
import { TalktoPayloadValueError, type PayloadValueErrorCode } from '../errors/payload-value.error.js';
import { payloadHash, sha256Hex } from '../payload-hash.js';
import { encodeBodyJson } from './body-json.js';
import { decodeTalktoJson, PHP_DECODE_MAX_NESTING } from './json-reader.js';
import { nativeTextsOf, type NativeTexts } from './native-json.js';
import { encodePhpString, isWellFormedString } from './php-string.js';
import { isInt64, PhpArray, type PhpKey, type PhpValue } from './php-value.js';
import { TalktoFloat } from './talkto-float.js';

/** A payload fixed once at creation: the value a PHP receiver will decode, its body JSON and hash. */
export interface FrozenPayload {
  value: PhpValue;
  /** Body JSON text of `value` (insertion order, PHP number and string formatting). */
  json: string;
  /** `payload_hash`: lowercase hex SHA-256 of the canonical JSON of `value`. */
  hash: string;
}

/** The PHP freezer refuses values nested deeper than this below the payload root. */
const MAX_DEPTH = 512;
const MAX_PATH_LENGTH = 240;
const MAX_PATH_KEY_LENGTH = 80;
const PLAIN_PATH_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TWO_POW_63 = 2 ** 63;

interface PathNode {
  parent: PathNode | null;
  key: PhpKey;
}

/**
 * Turns a host value into the payload a PHP receiver will see (BEHAVIOR §4.2), as the PHP
 * package's freezer does: scalars at the top are wrapped as `{"value": x}`, the tree is validated,
 * then normalized as one body-JSON round trip would: `{}` becomes `[]`, `-0.0` becomes `0`,
 * an integral float below 1e17 an int, and so on.
 *
 * Host values: arrays are lists; plain objects and class instances are maps of their own
 * enumerable string keys in JS order (a property holding `undefined` is left out, as
 * `JSON.stringify` does); an object with `toJSON()` is replaced by its result, once per instance.
 * A JS number with an integral value in int64 range is a PHP int (`-0` is int 0), any other
 * finite number a PHP float; use `talktoFloat()` for an integral float. A bigint is an int, or
 * a float beyond int64 (as PHP reads such digits). Refused: NaN/±Infinity, unpaired surrogates,
 * cycles, nesting beyond 512, functions, symbols, `undefined` in arrays, Dates (send
 * `toISOString()` explicitly), Maps/Sets/iterables, generators, other built-in objects and class
 * instances without own properties.
 *
 * A decoded `PhpValue` tree is accepted unchanged in meaning: inside a `PhpArray` a number is a
 * PHP float, so a payload received from PHP can be re-sent with the same hash.
 */
export function freezePayload(input: unknown): FrozenPayload {
  const texts = typeof input === 'object' && input !== null ? nativeTextsOf(input) : undefined;
  if (texts !== undefined) {
    return frozenFromTexts(texts);
  }
  const value = new Freezer().root(input);
  let json: string;
  try {
    json = encodeBodyJson(value);
    if (nestingOf(value) > PHP_DECODE_MAX_NESTING) {
      throw new TalktoJsonDecodeError('depth');
    }
  } catch (error) {
    if (error instanceof TalktoJsonEncodeError || error instanceof TalktoJsonDecodeError) {
      throw new TalktoPayloadValueError(
        'payload_json_encoding_failed',
        '$',
        'payload cannot be represented as deterministic JSON',
        { cause: error },
      );
    }
    throw error;
  }
  // The walk already produced what decoding `json` would give (integral floats as ints, keys
  // normalized, -0 gone), so the body round trip the PHP freezer does is not repeated here.
  return { value, json, hash: payloadHash(value) };
}

/** The texts are a fixed point of decode + encode, so the value is only decoded if asked for. */
function frozenFromTexts(texts: NativeTexts): FrozenPayload {
  return new LazilyDecodedPayload(texts.body, sha256Hex(texts.canonical));
}

/** A class rather than an object literal with a getter: V8 builds an accessor literal slowly. */
class LazilyDecodedPayload implements FrozenPayload {
  private decoded: PhpValue | undefined;

  constructor(
    readonly json: string,
    readonly hash: string,
  ) {}

  get value(): PhpValue {
    return (this.decoded ??= decodeTalktoJson(this.json));
  }
}

/** Deepest array nesting of a tree (a scalar is 0). */
function nestingOf(value: PhpValue): number {
  if (!(value instanceof PhpArray)) {
    return 0;
  }
  let deepest = 0;
  for (const item of value.values()) {
    if (item instanceof PhpArray) {
      deepest = Math.max(deepest, nestingOf(item));
    }
  }
  return deepest + 1;
}

/**
 * A PHP float as it comes back from its body JSON: an integral value below 1e17 is written
 * without a fraction or exponent, so PHP reads it back as an int.
 */
function asDecodedFloat(value: number): PhpValue {
  return Number.isInteger(value) && Math.abs(value) < 1e17 ? BigInt(value) : value;
}

function isScalar(value: unknown): boolean {
  const type = typeof value;
  return (
    type === 'string' ||
    type === 'number' ||
    type === 'boolean' ||
    type === 'bigint' ||
    value instanceof TalktoFloat
  );
}

function wrapValue(value: PhpValue): PhpArray {
  return new PhpArray().set('value', value);
}

class Freezer {
  /** Objects on the current descent: meeting one again is a cycle. */
  private readonly active = new Set<object>();
  /** `toJSON` results and class-instance conversions, computed once per instance. */
  private readonly converted = new Map<object, PhpValue>();

  root(input: unknown): PhpValue {
    if (input === null || input === undefined) {
      return null;
    }
    if (isScalar(input)) {
      return wrapValue(this.freeze(input, null, 0, false));
    }
    const frozen = this.freeze(input, null, 0, false);
    return frozen === null || frozen instanceof PhpArray ? frozen : wrapValue(frozen);
  }

  private freeze(value: unknown, path: PathNode | null, depth: number, phpModel: boolean): PhpValue {
    if (depth > MAX_DEPTH) {
      this.fail('payload_depth_exceeded', path, 'payload exceeds the maximum nesting depth');
    }
    switch (typeof value) {
      case 'string':
        if (!isWellFormedString(value)) {
          this.fail('payload_invalid_utf8', path, 'strings must not contain unpaired surrogates');
        }
        return value;
      case 'number':
        // -0.0 would come back from the JSON round trip as int 0 anyway (PHP writes it `-0`).
        if (value === 0) {
          return 0n;
        }
        return phpModel ? asDecodedFloat(this.float(value, path)) : this.hostNumber(value, path);
      case 'bigint':
        return isInt64(value) ? value : this.float(Number(value), path);
      case 'boolean':
        return value;
      case 'function':
        return this.fail('payload_closure', path, 'functions are not supported');
      case 'object':
        return value === null ? null : this.object(value, path, depth);
      default:
        return this.fail(
          'payload_unsupported_type',
          path,
          `values of type ${typeof value} are not supported`,
        );
    }
  }

  private hostNumber(value: number, path: PathNode | null): PhpValue {
    if (Number.isInteger(value) && value >= -TWO_POW_63 && value < TWO_POW_63) {
      return BigInt(value);
    }
    return this.float(value, path);
  }

  private float(value: number, path: PathNode | null): number {
    if (!Number.isFinite(value)) {
      this.fail('payload_non_finite_float', path, 'non-finite floats are not supported');
    }
    return value;
  }

  private object(value: object, path: PathNode | null, depth: number): PhpValue {
    if (value instanceof TalktoFloat) {
      return value.value === 0 ? 0n : asDecodedFloat(this.float(value.value, path));
    }
    if (value instanceof PhpArray) {
      this.enter(value, path);
      const out = new PhpArray();
      for (const [key, item] of value.entries()) {
        out.set(key, this.freeze(item, { parent: path, key }, depth + 1, true));
      }
      this.active.delete(value);
      return out;
    }
    if (Array.isArray(value)) {
      this.enter(value, path);
      const out = this.list(value, path, depth);
      this.active.delete(value);
      return out;
    }
    if (value instanceof Date) {
      return this.fail(
        'payload_datetime_unsupported',
        path,
        'Dates are not converted implicitly; send toISOString()',
      );
    }
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return this.convertOnce(value, path, () => {
        const key = path === null ? '' : String(path.key);
        const result: unknown = this.call(path, () => toJSON.call(value, key));
        return this.freeze(result, path, depth + 1, false);
      });
    }
    const tag = Object.prototype.toString.call(value);
    if (tag === '[object Generator]' || tag === '[object AsyncGenerator]') {
      return this.fail('payload_generator', path, 'generators are not supported');
    }
    if (typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
      return this.fail(
        'payload_traversable_object',
        path,
        'iterables (Map, Set, ...) need an explicit conversion',
      );
    }
    if (tag !== '[object Object]') {
      return this.fail('payload_internal_object', path, 'built-in objects need an explicit conversion');
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      this.enter(value, path);
      const out = this.map(value, path, depth);
      this.active.delete(value);
      return out;
    }
    if (Object.keys(value).length === 0) {
      return this.fail(
        'payload_unsupported_object',
        path,
        'objects without own enumerable properties are not supported',
      );
    }
    return this.convertOnce(value, path, () => this.map(value, path, depth + 1));
  }

  private list(value: unknown[], path: PathNode | null, depth: number): PhpArray {
    const items: PhpValue[] = new Array<PhpValue>(value.length);
    for (let i = 0; i < value.length; i++) {
      const itemPath = { parent: path, key: BigInt(i) };
      const item: unknown = value[i];
      if (item === undefined) {
        this.fail('payload_unsupported_type', itemPath, 'undefined is not supported in arrays');
      }
      items[i] = this.freeze(item, itemPath, depth + 1, false);
    }
    return PhpArray.list(items);
  }

  private map(value: object, path: PathNode | null, depth: number): PhpArray {
    const out = new PhpArray();
    for (const key of Object.keys(value)) {
      const itemPath = { parent: path, key };
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch (error) {
        this.fail('payload_object_conversion_failed', itemPath, 'reading a property failed', error);
      }
      if (item !== undefined) {
        out.set(key, this.freeze(item, itemPath, depth + 1, false));
      }
    }
    return out;
  }

  /**
   * Marks a container as being walked, refusing cycles; the caller removes the mark when done.
   * A failure abandons the whole freezer, so marks need no cleanup on the error path.
   */
  private enter(value: object, path: PathNode | null): void {
    if (this.active.has(value)) {
      this.fail('payload_circular_reference', path, 'circular references are not supported');
    }
    this.active.add(value);
  }

  private convertOnce(value: object, path: PathNode | null, convert: () => PhpValue): PhpValue {
    if (!this.active.has(value)) {
      const known = this.converted.get(value);
      if (known !== undefined) {
        return known;
      }
    }
    this.enter(value, path);
    const result = convert();
    this.active.delete(value);
    this.converted.set(value, result);
    return result;
  }

  /** Runs host code (a getter, `toJSON`); its failure is a conversion failure at `path`. */
  private call<T>(path: PathNode | null, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof TalktoPayloadValueError) {
        throw error;
      }
      return this.fail('payload_object_conversion_failed', path, 'object conversion failed', error);
    }
  }

  private fail(code: PayloadValueErrorCode, path: PathNode | null, detail: string, cause?: unknown): never {
    throw new TalktoPayloadValueError(
      code,
      formatPath(path),
      detail,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** `$`, `$.name`, `$["0"]`, `$["with space"]`; keys cut to 80 and the path to 240 characters. */
function formatPath(path: PathNode | null): string {
  const segments: string[] = [];
  for (let node = path; node !== null; node = node.parent) {
    segments.push(pathSegment(String(node.key)));
  }
  const full = '$' + segments.reverse().join('');
  const chars = Array.from(full);
  return chars.length <= MAX_PATH_LENGTH ? full : chars.slice(0, MAX_PATH_LENGTH - 3).join('') + '...';
}

function pathSegment(key: string): string {
  if (PLAIN_PATH_KEY.test(key)) {
    return '.' + key;
  }
  const shortened = Array.from(key).slice(0, MAX_PATH_KEY_LENGTH).join('');
  return `[${isWellFormedString(shortened) ? encodePhpString(shortened) : '"?"'}]`;
}
