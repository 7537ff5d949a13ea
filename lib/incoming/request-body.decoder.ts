import { TalktoJsonDecodeError } from '../protocol/errors/json-decode.error.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { PhpArray } from '../protocol/json/php-value.js';
import type { TalktoHeaders } from '../protocol/talkto.headers.js';
import { isJsonContentType } from './raw-body.util.js';

/** A body is a JSON object only when its first significant byte opens one (arrays are refused). */
function opensObject(raw: Buffer): boolean {
  for (const byte of raw) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) {
      return byte === 0x7b;
    }
  }
  return false;
}

/**
 * The envelope of a receive or callback request (PROTOCOL §4.4): a JSON body when the content type
 * names JSON, else the empty input PHP falls back to. Throws `TalktoJsonDecodeError` (`invalid_json`).
 */
export function decodeEnvelopeBody(headers: TalktoHeaders, raw: Buffer | null): PhpArray {
  const contentType = headers['content-type'];
  if (!isJsonContentType(typeof contentType === 'string' ? contentType : undefined)) {
    return new PhpArray(); // PHP falls back to form input, which a Talkto sender never fills.
  }
  if (raw === null || !opensObject(raw)) {
    throw new TalktoJsonDecodeError(raw === null || raw.length === 0 ? 'empty' : 'syntax');
  }
  const body = decodeTalktoJson(raw, { rejectNulPropertyNames: true });
  if (!(body instanceof PhpArray)) {
    throw new TalktoJsonDecodeError('syntax');
  }
  return body;
}
