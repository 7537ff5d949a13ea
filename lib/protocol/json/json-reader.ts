import { TalktoJsonDecodeError, type JsonDecodeFailure } from '../errors/json-decode.error.js';
import { NATIVE_MAX_NESTING, readNativeJson } from './native-json.js';
import { isWellFormedString } from './php-string.js';
import { PhpArray, type PhpValue } from './php-value.js';

export interface TalktoJsonReadOptions {
  /**
   * Refuse object keys that start with NUL, as PHP does when it decodes objects into `stdClass`
   * (the receive path). Off by default, like `json_decode($text, true)`.
   */
  rejectNulPropertyNames?: boolean;
  /**
   * Deepest nesting of arrays/objects accepted; default `PHP_DECODE_MAX_NESTING` (511). Only for
   * reading back text PHP itself wrote, which may nest up to 512.
   */
  maxNesting?: number;
  /**
   * Try the native fast path first (native-json.ts); default true. Off forces the exact reader,
   * which the fast path is tested against.
   */
  native?: boolean;
}

/**
 * `json_decode` with its default depth of 512 accepts at most 511 nested arrays/objects
 * (measured against PHP: a body with 512 levels is `invalid_json`).
 */
export const PHP_DECODE_MAX_NESTING = 511;

// `fatal` refuses invalid UTF-8 (overlong forms, encoded surrogates, > U+10FFFF) like PHP's
// scanner; `ignoreBOM` keeps a leading BOM in the text so it fails as a syntax error, as in PHP.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes JSON exactly as PHP's `json_decode($text, true)` sees it: integers by literal (64-bit,
 * as `bigint`), other numbers as doubles, objects as ordered PHP arrays with PHP key normalization
 * and last-wins duplicates, strict RFC 8259 grammar, unpaired surrogate escapes and invalid UTF-8
 * refused. Throws `TalktoJsonDecodeError` (`invalid_json`).
 */
export function decodeTalktoJson(input: Uint8Array | string, options: TalktoJsonReadOptions = {}): PhpValue {
  let text: string;
  if (typeof input === 'string') {
    if (!isWellFormedString(input)) {
      throw new TalktoJsonDecodeError('invalid_utf8');
    }
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new TalktoJsonDecodeError('invalid_utf8');
    }
  }
  if (text.length === 0) {
    throw new TalktoJsonDecodeError('empty');
  }
  const maxNesting = options.maxNesting ?? PHP_DECODE_MAX_NESTING;
  const native =
    options.native !== false && maxNesting >= NATIVE_MAX_NESTING ? readNativeJson(text) : undefined;
  if (native !== undefined) {
    return PhpArray.fromSource(native);
  }
  return new Reader(text, options.rejectNulPropertyNames === true, maxNesting).document();
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
// Outside int64 a literal integer needs 19 digits or more; 19 digits compare against this.
const INT64_LIMIT_DIGITS = '9223372036854775808';

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class Reader {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly rejectNulKeys: boolean,
    private readonly maxNesting: number,
  ) {}

  document(): PhpValue {
    this.skipWhitespace();
    const value = this.value(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) {
      this.fail('syntax');
    }
    return value;
  }

  private fail(reason: JsonDecodeFailure, at = this.pos): never {
    throw new TalktoJsonDecodeError(reason, at);
  }

  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        break;
      }
      pos++;
    }
    this.pos = pos;
  }

  private value(depth: number): PhpValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth + 1);
      case 0x5b: // [
        return this.array(depth + 1);
      case QUOTE:
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
          return this.number();
        }
        return this.fail('syntax');
    }
  }

  private literal<T extends PhpValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) {
      this.fail('syntax');
    }
    this.pos += word.length;
    return value;
  }

  private enter(depth: number): void {
    if (depth > this.maxNesting) {
      this.fail('depth');
    }
    this.pos++;
    this.skipWhitespace();
  }

  private array(depth: number): PhpArray {
    this.enter(depth);
    const items: PhpValue[] = [];
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return PhpArray.list(items);
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) {
        return PhpArray.list(items);
      }
      if (c !== COMMA) {
        this.fail('syntax', this.pos - 1);
      }
      this.skipWhitespace();
    }
  }

  private object(depth: number): PhpArray {
    this.enter(depth);
    const result = new PhpArray();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== QUOTE) {
        this.fail('syntax');
      }
      const keyAt = this.pos;
      const key = this.string();
      if (this.rejectNulKeys && key.charCodeAt(0) === 0) {
        this.fail('invalid_property_name', keyAt);
      }
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos++) !== COLON) {
        this.fail('syntax', this.pos - 1);
      }
      this.skipWhitespace();
      result.set(key, this.value(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) {
        return result;
      }
      if (c !== COMMA) {
        this.fail('syntax', this.pos - 1);
      }
      this.skipWhitespace();
    }
  }

  private string(): string {
    const text = this.text;
    let pos = this.pos + 1;
    let chunkStart = pos;
    let out = '';
    for (;;) {
      if (pos >= text.length) {
        this.fail('syntax', pos);
      }
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        this.pos = pos + 1;
        return out + text.slice(chunkStart, pos);
      }
      if (c < 0x20) {
        this.fail('control_character', pos);
      }
      if (c !== BACKSLASH) {
        pos++;
        continue;
      }
      out += text.slice(chunkStart, pos);
      const escape = text[pos + 1];
      if (escape === 'u') {
        const [decoded, length] = this.unicodeEscape(pos);
        out += decoded;
        pos += length;
      } else {
        const simple = escape === undefined ? undefined : SIMPLE_ESCAPES[escape];
        if (simple === undefined) {
          this.fail('syntax', pos);
        }
        out += simple;
        pos += 2;
      }
      chunkStart = pos;
    }
  }

  /** Reads `\uXXXX` (or a `\uD8xx\uDCxx` pair) at `pos`; returns the text and the escape length. */
  private unicodeEscape(pos: number): [string, number] {
    const unit = this.hex4(pos + 2);
    if (unit < 0xd800 || unit > 0xdfff) {
      return [String.fromCharCode(unit), 6];
    }
    if (unit <= 0xdbff && this.text.charCodeAt(pos + 6) === BACKSLASH && this.text[pos + 7] === 'u') {
      const low = this.hex4(pos + 8);
      if (low >= 0xdc00 && low <= 0xdfff) {
        return [String.fromCharCode(unit, low), 12];
      }
    }
    return this.fail('unpaired_surrogate', pos);
  }

  private hex4(pos: number): number {
    const digits = this.text.slice(pos, pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) {
      this.fail('syntax', pos);
    }
    return parseInt(digits, 16);
  }

  private number(): bigint | number {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === MINUS) {
      pos++;
    }
    const intStart = pos;
    const first = text.charCodeAt(pos);
    if (first === DIGIT_0) {
      pos++;
    } else if (first > DIGIT_0 && first <= DIGIT_9) {
      pos = this.digits(pos);
    } else {
      this.fail('syntax', pos);
    }
    const intEnd = pos;
    let isInteger = true;
    if (text.charCodeAt(pos) === 0x2e) {
      isInteger = false;
      pos = this.requiredDigits(pos + 1);
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      isInteger = false;
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === 0x2b || sign === MINUS) {
        pos++;
      }
      pos = this.requiredDigits(pos);
    }
    this.pos = pos;
    const literal = text.slice(start, pos);
    if (isInteger && fitsInt64(text.slice(intStart, intEnd), start !== intStart)) {
      return BigInt(literal);
    }
    return Number(literal);
  }

  private digits(pos: number): number {
    while (pos < this.text.length) {
      const c = this.text.charCodeAt(pos);
      if (c < DIGIT_0 || c > DIGIT_9) {
        break;
      }
      pos++;
    }
    return pos;
  }

  private requiredDigits(pos: number): number {
    const end = this.digits(pos);
    if (end === pos) {
      this.fail('syntax', pos);
    }
    return end;
  }
}

/** PHP's rule for an integer literal's digits: up to 18 always fit, 19 fit below 2^63 (or = 2^63 when negative). */
function fitsInt64(digits: string, negative: boolean): boolean {
  if (digits.length !== INT64_LIMIT_DIGITS.length) {
    return digits.length < INT64_LIMIT_DIGITS.length;
  }
  return digits < INT64_LIMIT_DIGITS || (negative && digits === INT64_LIMIT_DIGITS);
}
