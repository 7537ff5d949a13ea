import { isPrintableAscii } from './identifier.validator.js';

/**
 * HTTP headers as Node hands them over: names in any case, values as byte strings (one char per
 * byte, i.e. latin1 — how Node decodes header bytes). A list holds separately delivered values;
 * Node itself joins most repeated headers with ", " into one string.
 */
export type TalktoHeaders = Record<string, string | string[] | number | undefined>;

export const SIGNATURE_HEADER = 'X-Talkto-Signature';
export const TIMESTAMP_HEADER = 'X-Talkto-Timestamp';
export const MESSAGE_ID_HEADER = 'X-Talkto-Message-Id';
export const PROTOCOL_VERSION_HEADER = 'X-Talkto-Protocol-Version';
export const SIGNATURE_VERSION_HEADER = 'X-Talkto-Signature-Version';
export const PAYLOAD_HASH_HEADER = 'X-Talkto-Payload-Hash';
export const NONCE_HEADER = 'X-Talkto-Nonce';
export const PROTOCOL_VERSION = '2';

/** Protocol headers that must carry exactly one value, lower-cased, with their logical field (§7.2). */
export const SINGULAR_HEADER_FIELDS: ReadonlyMap<string, string> = new Map([
  ['x-talkto-signature', 'signature'],
  ['x-talkto-timestamp', 'timestamp'],
  ['x-talkto-message-id', 'message_id'],
  ['x-talkto-protocol-version', 'protocol_version'],
  ['x-talkto-signature-version', 'signature_version'],
  ['x-talkto-payload-hash', 'payload_hash'],
  ['x-talkto-nonce', 'nonce'],
]);

/** A header's value(s) merged across names that differ only in case, in arrival order. */
export interface MergedHeader {
  /** Every spelling seen, first one first. */
  names: string[];
  values: Array<string | number>;
}

/** Groups headers by lower-cased name; `undefined` values are dropped, lists become separate values. */
export function mergeHeaders(headers: TalktoHeaders): Map<string, MergedHeader> {
  const merged = new Map<string, MergedHeader>();
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !Object.hasOwn(headers, name)) {
      continue;
    }
    const key = name.toLowerCase();
    let entry = merged.get(key);
    if (!entry) {
      entry = { names: [], values: [] };
      merged.set(key, entry);
    }
    entry.names.push(name);
    if (Array.isArray(value)) {
      entry.values.push(...value);
    } else {
      entry.values.push(value);
    }
  }
  return merged;
}

/**
 * The bytes of one header value. Node gives byte strings; a char above U+00FF cannot come from
 * the wire, so such a string is taken as already-decoded text and encoded as UTF-8.
 */
export function headerValueBytes(value: string | number): Uint8Array {
  if (typeof value === 'number') {
    return Buffer.from(String(value), 'latin1');
  }
  // eslint-disable-next-line no-control-regex -- a plain range test over code units
  return /^[\u0000-\u00FF]*$/.test(value) ? Buffer.from(value, 'latin1') : Buffer.from(value, 'utf8');
}

/** Lower-cased header names the library reads, kept: a fresh copy per read would be hashed anew. */
const lowerCaseNames = new Map<string, string>();
const LOWER_CASE_NAMES_MAX = 64;

function lowerCaseName(name: string): string {
  let lower = lowerCaseNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerCaseNames.size < LOWER_CASE_NAMES_MAX) {
      lowerCaseNames.set(name, lower);
    }
  }
  return lower;
}

/**
 * The first value of a header (case-insensitive name), decoded as UTF-8; `null` when absent or
 * empty (§3.2: an empty value counts as absent). Call after `validateTalktoHeaders`, which
 * guarantees singular protocol headers have one valid UTF-8 value.
 */
export function readTalktoHeader(
  headers: TalktoHeaders | Map<string, MergedHeader>,
  name: string,
): string | null {
  const merged = headers instanceof Map ? headers : mergeHeaders(headers);
  const first = merged.get(lowerCaseName(name))?.values[0];
  if (first === undefined) {
    return null;
  }
  if (typeof first === 'string' && isPrintableAscii(first)) {
    return first === '' ? null : first; // the same text whichever way the bytes are read
  }
  const text = Buffer.from(headerValueBytes(first)).toString('utf8');
  return text === '' ? null : text;
}
