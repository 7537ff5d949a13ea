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

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const CANONICAL_INT_KEY = /^(0|-?[1-9][0-9]*)$/;

/** PHP turns a string key that is a canonical decimal integer in 64-bit range into an integer key. */
export function normalizePhpKey(key: PhpKey): PhpKey {
  if (typeof key === 'bigint' || !CANONICAL_INT_KEY.test(key)) {
    return key;
  }
  const asInt = BigInt(key);
  return asInt >= INT64_MIN && asInt <= INT64_MAX ? asInt : key;
}

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

function slotOf(key: PhpKey): string {
  return typeof key === 'bigint' ? `i:${key}` : `s:${key}`;
}

export class PhpArray {
  private readonly slots = new Map<string, [PhpKey, PhpValue]>();

  static list(values: Iterable<PhpValue>): PhpArray {
    const array = new PhpArray();
    let index = 0n;
    for (const value of values) {
      array.slots.set(slotOf(index), [index, value]);
      index++;
    }
    return array;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Writes like PHP `$a[$key] = $value`: a repeated key keeps its first position, takes the last value. */
  set(key: PhpKey, value: PhpValue): this {
    const normalized = normalizePhpKey(key);
    const slot = slotOf(normalized);
    const existing = this.slots.get(slot);
    if (existing) {
      existing[1] = value;
    } else {
      this.slots.set(slot, [normalized, value]);
    }
    return this;
  }

  get(key: PhpKey): PhpValue | undefined {
    return this.slots.get(slotOf(normalizePhpKey(key)))?.[1];
  }

  has(key: PhpKey): boolean {
    return this.slots.has(slotOf(normalizePhpKey(key)));
  }

  entries(): IterableIterator<[PhpKey, PhpValue]> {
    return this.slots.values();
  }

  keys(): PhpKey[] {
    return [...this.slots.values()].map(([key]) => key);
  }

  values(): PhpValue[] {
    return [...this.slots.values()].map(([, value]) => value);
  }

  /** PHP's `array_is_list`: keys are exactly 0..n-1 in this order. */
  isList(): boolean {
    let expected = 0n;
    for (const [key] of this.slots.values()) {
      if (key !== expected) {
        return false;
      }
      expected++;
    }
    return true;
  }
}
