import { PhpArray, type PhpValue } from './php-value.js';

/**
 * Hands a decoded payload to host code as ordinary JS data: a list becomes an array, any other PHP
 * array a plain object (a `__proto__` key stays an own data property, never the prototype), an
 * int a number when it is a safe integer and a bigint otherwise, a float a number.
 * JS objects list integer-like keys first, so the wire order of such keys is not kept.
 */
export function toPlainValue(value: PhpValue): unknown {
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value;
  }
  if (!(value instanceof PhpArray)) {
    return value;
  }
  const source = value.untouchedSource;
  if (source !== null) {
    // Vouched-for JSON is already what this function would build; the copy keeps it private.
    return structuredClone(source.parsed);
  }
  if (value.isList()) {
    return value.values().map(toPlainValue);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of value.entries()) {
    const name = String(key);
    if (name === '__proto__') {
      Object.defineProperty(out, name, {
        value: toPlainValue(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[name] = toPlainValue(item);
    }
  }
  return out;
}
