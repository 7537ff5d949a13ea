import type { PhpArraySource } from './php-value.js';
import { compareUtf8 } from './utf8-order.js';

/**
 * The fast path of the JSON core. For most documents V8's `JSON.parse` and `JSON.stringify` read
 * and write exactly what PHP does; this module recognises those documents (conservatively) and
 * builds the key-sorted copy whose `JSON.stringify` is the canonical JSON (PROTOCOL §5.2). A
 * document it is unsure of gets `undefined`, and the caller takes the exact path.
 *
 * Eligible means: containers nested at most `NATIVE_MAX_NESTING` deep; no empty object (PHP
 * writes `[]`); no key that PHP turns into an integer or that starts with NUL, no `__proto__`;
 * integers within ±(2^53 − 1); every other number finite and at least 1e-4 in magnitude (below,
 * PHP switches to exponent form); no U+2028/U+2029 or unpaired surrogate in any string.
 */
export const NATIVE_MAX_NESTING = 64;

/** Texts of a host value: `body` as the exact body encoder writes it, `canonical` for the hash. */
export interface NativeTexts {
  body: string;
  canonical: string;
}

const INELIGIBLE = Symbol('ineligible');
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Escapes a writer and a reader may disagree on (unpaired surrogates, U+2028/U+2029); only
 * searched for when the text has a `\u` at all.
 */
const UNSAFE_ESCAPE = /\\u(?:[dD][89a-fA-F]|202[89])/;
/** A digit followed by an exponent mark, in a number literal or anywhere else. */
const DIGIT_EXPONENT = /[0-9][eE]/g;
/** Characters whose UTF-16 order differs from their UTF-8 byte order. */
const HIGH_UNIT = /[\ud800-\uffff]/;

interface CopyState {
  /** Host values (not parser output): also refuse what `JSON.stringify` would skip or convert. */
  host: boolean;
  /** Numbers that are not integers, i.e. floats for PHP. */
  fractions: number;
}

interface KeyOrder {
  keys: string[];
  sorted: string[];
}

/**
 * The last key list seen per first key, with its sorted order: records in a list, and envelopes
 * from one peer, repeat the same keys. Bounded in entries and in what one entry may hold.
 */
const keyOrders = new Map<string, KeyOrder>();
const KEY_ORDERS_MAX = 512;
const KEY_ORDER_MAX_KEYS = 32;
const KEY_ORDER_MAX_KEY_LENGTH = 64;

/**
 * Reads a JSON object or array text natively when that gives PHP's reading. An integral number
 * is only safe when its literal had no fraction or exponent, which holds when the literals that
 * look like floats are exactly as many as the fractional numbers parsed (a false match inside a
 * string can only make the first count larger, and sends the document to the exact path).
 */
export function readNativeJson(text: string): PhpArraySource | undefined {
  const first = text.charCodeAt(0);
  if (first !== 0x7b && first !== 0x5b) {
    return undefined;
  }
  const floatLiterals = countFloatLiterals(text);
  if (floatLiterals < 0) {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // the exact reader explains the error
  }
  const state: CopyState = { host: false, fractions: 0 };
  const sorted = sortedCopy(parsed, 0, state);
  if (sorted === INELIGIBLE || state.fractions !== floatLiterals) {
    return undefined;
  }
  return { parsed: parsed as object, sorted: sorted as object };
}

/**
 * Float-looking literals in the text, or -1 when it holds something that rules it out: a `.` or
 * an exponent mark right after the digits of a literal (after an optional `-` and whitespace,
 * right after `:`, `,` or `[`), counted once per literal. Inside a string the same characters
 * count too, which can only send the document to the exact path. The cheap substring searches
 * run first; the regular expression only looks for exponents, which are rare in bodies.
 */
function countFloatLiterals(text: string): number {
  if (hasUnsafeText(text)) {
    return -1;
  }
  let count = 0;
  for (let dot = text.indexOf('.'); dot >= 0; dot = text.indexOf('.', dot + 1)) {
    if (isDigit(text.charCodeAt(dot - 1)) && startsLiteral(text, dot - 1)) {
      count++;
    }
  }
  DIGIT_EXPONENT.lastIndex = 0;
  // `test` moves `lastIndex` past the two matched characters without building a match array.
  while (DIGIT_EXPONENT.test(text)) {
    // `1.5e3` was counted at its `.`; only a literal without a fraction counts here.
    if (startsLiteral(text, DIGIT_EXPONENT.lastIndex - 2)) {
      count++;
    }
  }
  return count;
}

/** Raw line separators, or escapes of them or of surrogates, anywhere in the text. */
function hasUnsafeText(text: string): boolean {
  return (
    text.includes('\u2028') || text.includes('\u2029') || (text.includes('\\u') && UNSAFE_ESCAPE.test(text))
  );
}

function isDigit(unit: number): boolean {
  return unit >= 0x30 && unit <= 0x39;
}

/** True when the digits ending at `at` are a whole literal's integer part, after `:`, `,` or `[`. */
function startsLiteral(text: string, at: number): boolean {
  let unit: number;
  do {
    unit = text.charCodeAt(--at);
  } while (isDigit(unit));
  if (unit === 0x2d) {
    unit = text.charCodeAt(--at);
  }
  while (unit === 0x20 || unit === 0x09 || unit === 0x0a || unit === 0x0d) {
    unit = text.charCodeAt(--at);
  }
  return unit === 0x3a || unit === 0x2c || unit === 0x5b;
}

/**
 * Body and canonical JSON of a host object or array, or `undefined` when the exact freezer must
 * handle it. Getters are read twice (once here, once by `JSON.stringify`) and must agree.
 */
export function nativeTextsOf(value: object): NativeTexts | undefined {
  let sorted: unknown;
  let body: string;
  try {
    sorted = sortedCopy(value, 0, { host: true, fractions: 0 });
    if (sorted === INELIGIBLE) {
      return undefined;
    }
    body = JSON.stringify(value);
  } catch {
    return undefined; // a throwing getter: the freezer reports it with its path
  }
  return hasUnsafeOutput(body) ? undefined : { body, canonical: JSON.stringify(sorted) };
}

/**
 * `JSON.stringify` leaves U+2028/U+2029 raw and writes an unpaired surrogate as a lowercase
 * `\ud8xx`..`\udfxx` escape; any `\ud` (an escaped backslash before "ud" too) declines.
 */
function hasUnsafeOutput(body: string): boolean {
  return body.includes('\u2028') || body.includes('\u2029') || body.includes('\\ud');
}

function sortedCopy(value: unknown, depth: number, state: CopyState): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isInteger(value)) {
        // A parsed `-0` is PHP's int 0, which host code must see as 0; a host -0 is written "0".
        const parsedNegativeZero = !state.host && Object.is(value, -0);
        return value <= MAX_SAFE && value >= -MAX_SAFE && !parsedNegativeZero ? value : INELIGIBLE;
      }
      state.fractions++;
      return Number.isFinite(value) && Math.abs(value) >= 1e-4 ? value : INELIGIBLE;
    case 'object':
      if (value === null) {
        return null;
      }
      if (depth >= NATIVE_MAX_NESTING) {
        return INELIGIBLE;
      }
      return Array.isArray(value) ? sortedList(value, depth, state) : sortedMap(value, depth, state);
    default:
      return INELIGIBLE;
  }
}

/** A list is only copied once an element differs from its copy; a list of scalars is its own. */
function sortedList(value: unknown[], depth: number, state: CopyState): unknown {
  let out: unknown[] | null = null;
  for (let i = 0; i < value.length; i++) {
    const item = sortedCopy(value[i], depth + 1, state);
    if (item === INELIGIBLE) {
      return INELIGIBLE;
    }
    if (out === null && item !== value[i]) {
      out = value.slice(0, i);
    }
    out?.push(item);
  }
  return out ?? value;
}

function sortedMap(value: object, depth: number, state: CopyState): unknown {
  if (state.host && !isPlainData(value)) {
    return INELIGIBLE;
  }
  const keys = sortedKeysOf(value);
  if (keys === undefined) {
    return INELIGIBLE;
  }
  const out: Record<string, unknown> = {};
  let kept = 0;
  for (const key of keys) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (item === undefined && state.host) {
      continue; // left out, as JSON.stringify and the freezer both do
    }
    const copy = sortedCopy(item, depth + 1, state);
    if (copy === INELIGIBLE) {
      return INELIGIBLE;
    }
    out[key] = copy;
    kept++;
  }
  return kept === 0 ? INELIGIBLE : out;
}

/** The keys in canonical order, or `undefined` when one of them rules the object out. */
function sortedKeysOf(value: object): string[] | undefined {
  const known = knownOrderOf(value);
  if (known !== undefined) {
    return known;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    return undefined;
  }
  let utf16OrderSafe = true;
  let cacheable = keys.length <= KEY_ORDER_MAX_KEYS;
  for (const key of keys) {
    const unit = key.charCodeAt(0);
    // A digit, '-' or NUL first may make a PHP integer key or a refused property name.
    if ((unit <= 0x39 && (unit >= 0x30 || unit === 0x2d || unit === 0)) || key === '__proto__') {
      return undefined;
    }
    utf16OrderSafe &&= !HIGH_UNIT.test(key);
    cacheable &&= key.length <= KEY_ORDER_MAX_KEY_LENGTH;
  }
  const sorted = keys.slice().sort(utf16OrderSafe ? undefined : compareUtf8);
  if (cacheable) {
    if (keyOrders.size >= KEY_ORDERS_MAX) {
      keyOrders.clear();
    }
    keyOrders.set(keys[0], { keys, sorted });
  }
  return sorted;
}

/** The cached sorted keys when the object has exactly a cached key list, compared without copying it. */
function knownOrderOf(value: object): string[] | undefined {
  let known: KeyOrder | undefined;
  let index = 0;
  for (const key in value) {
    if (index === 0) {
      known = keyOrders.get(key);
      if (known === undefined) {
        return undefined;
      }
    }
    if (known!.keys[index] !== key) {
      return undefined;
    }
    index++;
  }
  return known !== undefined && index === known.keys.length ? known.sorted : undefined;
}

/** A plain object `JSON.stringify` writes as its own keys, with no `toJSON` to call. */
function isPlainData(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}
