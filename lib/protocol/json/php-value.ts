/**
 * The value model of the protocol: a JSON document as PHP's `json_decode($text, true)` sees it.
 *
 * - `bigint`  is a PHP integer (always within signed 64-bit range),
 * - `number`  is a PHP float (IEEE-754 double; `-0` is kept),
 * - `string`  is a valid Unicode string,
 * - `PhpArray` is a PHP array: an ordered map whose keys are integers or strings. JSON arrays and
 *   JSON objects both decode to it; whether it encodes as `[...]` or `{...}` is decided by its keys.
 */
export type PhpKey = bigint | string;
export type PhpScalar = null | boolean | bigint | number | string;
export type PhpValue = PhpScalar | PhpArray;

/**
 * A container `JSON.parse` produced and the native fast path vouched for (native-json.ts), with
 * its key-sorted copy. Neither is ever modified.
 */
export interface PhpArraySource {
  parsed: object;
  sorted: object;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const CANONICAL_INT_KEY = /^(0|-?[1-9][0-9]*)$/;

/** PHP turns a string key that is a canonical decimal integer in 64-bit range into an integer key. */
export function normalizePhpKey(key: PhpKey): PhpKey {
  if (typeof key === 'bigint') {
    return key;
  }
  // Most keys are words: only a leading digit or minus can make an integer key.
  const first = key.charCodeAt(0);
  if (!((first >= 0x30 && first <= 0x39) || first === 0x2d) || !CANONICAL_INT_KEY.test(key)) {
    return key;
  }
  const asInt = BigInt(key);
  return asInt >= INT64_MIN && asInt <= INT64_MAX ? asInt : key;
}

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/**
 * A PHP array. While its keys are exactly 0..n-1 in order (a list, the common case for JSON
 * arrays) the values live in a plain JS array; the first other write turns it into an ordered
 * Map keyed by the normalized keys (a Map compares bigints by value, and `1n` and `'1'` stay
 * distinct). Keys are never removed, so a map-backed array can never become a list again.
 */
export class PhpArray {
  private items: PhpValue[] | null = [];
  private map: Map<PhpKey, PhpValue> | null = null;
  /** Set while the array still stands for a parsed container nobody has looked into. */
  private source: PhpArraySource | null = null;

  static list(values: Iterable<PhpValue>): PhpArray {
    const array = new PhpArray();
    array.items = [...values];
    return array;
  }

  /**
   * An array read lazily from a vouched-for parsed container: its entries are built on first
   * access, level by level. Until then the encoders write it with `JSON.stringify`.
   */
  static fromSource(source: PhpArraySource): PhpArray {
    const array = new PhpArray();
    array.source = source;
    return array;
  }

  /**
   * The parsed container behind an array that was neither read nor written since it was decoded
   * (so nothing below it was either: reaching a nested array means reading this one).
   */
  get untouchedSource(): PhpArraySource | null {
    return this.source;
  }

  get size(): number {
    this.load();
    return this.items !== null ? this.items.length : this.map!.size;
  }

  /** Writes like PHP `$a[$key] = $value`: a repeated key keeps its first position, takes the last value. */
  set(key: PhpKey, value: PhpValue): this {
    this.load();
    const normalized = normalizePhpKey(key);
    const items = this.items;
    if (items !== null) {
      const index = listIndex(normalized, items.length + 1);
      if (index >= 0) {
        items[index] = value;
        return this;
      }
      this.map = new Map(items.map((item, i): [PhpKey, PhpValue] => [BigInt(i), item]));
      this.items = null;
    }
    this.map!.set(normalized, value);
    return this;
  }

  get(key: PhpKey): PhpValue | undefined {
    this.load();
    const normalized = normalizePhpKey(key);
    if (this.items !== null) {
      const index = listIndex(normalized, this.items.length);
      return index >= 0 ? this.items[index] : undefined;
    }
    return this.map!.get(normalized);
  }

  has(key: PhpKey): boolean {
    return this.get(key) !== undefined;
  }

  entries(): IterableIterator<[PhpKey, PhpValue]> {
    this.load();
    return this.items !== null ? listEntries(this.items) : this.map!.entries();
  }

  keys(): PhpKey[] {
    this.load();
    return this.items !== null ? this.items.map((_, i) => BigInt(i)) : [...this.map!.keys()];
  }

  values(): PhpValue[] {
    this.load();
    return this.items !== null ? this.items.slice() : [...this.map!.values()];
  }

  /** PHP's `array_is_list`: keys are exactly 0..n-1 in this order. */
  isList(): boolean {
    this.load();
    return this.items !== null;
  }

  private load(): void {
    const source = this.source;
    if (source === null) {
      return;
    }
    this.source = null;
    const { parsed, sorted } = source as { parsed: Record<string, unknown>; sorted: Record<string, unknown> };
    if (Array.isArray(parsed)) {
      const sortedItems = sorted as unknown as unknown[];
      this.items = parsed.map((item, i) => fromParsed(item, sortedItems, i));
      return;
    }
    // Vouched-for keys are never integer-like, so they stay strings and the array is not a list.
    this.items = null;
    const map = new Map<PhpKey, PhpValue>();
    for (const key in parsed) {
      map.set(key, fromParsed(parsed[key], sorted, key));
    }
    this.map = map;
  }
}

/** A parsed value as a PHP value; a container's sorted copy is looked up only for containers. */
function fromParsed(value: unknown, sortedParent: object, key: string | number): PhpValue {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? BigInt(value) : value;
  }
  if (typeof value === 'object' && value !== null) {
    return PhpArray.fromSource({ parsed: value, sorted: (sortedParent as Record<string, object>)[key] });
  }
  return value as PhpValue;
}

/** The list position an integer key names, when it is below `limit`; otherwise -1. */
function listIndex(key: PhpKey, limit: number): number {
  if (typeof key !== 'bigint') {
    return -1;
  }
  const index = Number(key);
  return index >= 0 && index < limit ? index : -1;
}

function* listEntries(items: PhpValue[]): IterableIterator<[PhpKey, PhpValue]> {
  for (let i = 0; i < items.length; i++) {
    yield [BigInt(i), items[i]];
  }
}
