import { TalktoJsonDecodeError } from '../../lib/protocol/errors/json-decode.error.js';
import { TalktoJsonEncodeError } from '../../lib/protocol/errors/json-encode.error.js';
import { TalktoPayloadValueError } from '../../lib/protocol/errors/payload-value.error.js';
import { encodeCanonicalJson } from '../../lib/protocol/json/canonical-json.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { PhpArray, type PhpValue } from '../../lib/protocol/json/php-value.js';
import { talktoFloat } from '../../lib/protocol/json/talkto-float.js';
import { payloadHash, sha256Hex } from '../../lib/protocol/payload-hash.js';
import type { CaseFailure, CheckResult } from './check-result.js';

/**
 * Checks payload-hash.json: for every case, decode `payload_json` as PHP does and compare the
 * canonical JSON and hash (or the expected error family), the receive path (the payload inside an
 * HTTP body) and the send path (the freezer). Cases that exist only in PHP (`payload_json` null)
 * are checked as far as their recorded outputs allow: the hash matches the canonical JSON, the
 * canonical JSON is a fixed point, and freezing it gives the recorded send-path outcome.
 */
export function checkPayloadHash(doc: unknown): CheckResult {
  const result: CheckResult = { file: 'payload-hash.json', passed: 0, failures: [] };
  for (const item of casesOf(doc)) {
    const name = typeof item.name === 'string' ? item.name : '(unnamed)';
    const failures: CaseFailure[] = [];
    const expect = (aspect: string, expected: unknown, got: unknown): void => {
      if (!sameOutcome(expected, got)) {
        failures.push({ name: `${name}: ${aspect}`, expected, got });
      }
    };
    try {
      if (typeof item.payload_json === 'string') {
        checkJsonCase(item, item.payload_json, expect);
      } else {
        checkPhpOnlyCase(item, expect);
      }
    } catch (error) {
      failures.push({ name, expected: 'no crash', got: describeError(error) });
    }
    if (failures.length === 0) {
      result.passed++;
    } else {
      result.failures.push(...failures);
    }
  }
  return result;
}

type Expect = (aspect: string, expected: unknown, got: unknown) => void;
type Case = Record<string, unknown>;

/** What one path produced: a hash and canonical text, or an error described generically. */
type Outcome =
  { sha256: string; canonical_json: string } | { error: ErrorFamily; error_code?: string; path?: string };
type ErrorFamily = 'decode' | 'encode' | 'payload' | 'other';

function casesOf(doc: unknown): Case[] {
  const cases = (doc as { cases?: unknown } | null)?.cases;
  if (!Array.isArray(cases)) {
    throw new Error('payload-hash document has no cases array');
  }
  return cases.filter((c): c is Case => typeof c === 'object' && c !== null);
}

function checkJsonCase(item: Case, payloadJson: string, expect: Expect): void {
  let decoded: PhpValue | undefined;
  let main: Outcome;
  try {
    decoded = decodeTalktoJson(payloadJson);
    main = hashOutcome(decoded);
  } catch (error) {
    main = errorOutcome(error);
  }
  expect('hash', expectedMain(item), main);

  if (isRecord(item.receive_path)) {
    expect('receive_path', expectedPath(item.receive_path, item), receiveOutcome(payloadJson));
  }
  if (isRecord(item.send_path)) {
    const got: Outcome = decoded === undefined ? { error: 'decode' } : freezeOutcome(asHostInput(decoded));
    expect('send_path', expectedPath(item.send_path, item), got);
  }
}

function checkPhpOnlyCase(item: Case, expect: Expect): void {
  if (typeof item.canonical_json !== 'string') {
    // Only the error can be checked: it must be one we model, with a freezer code we know.
    expect('error', 'encode', isRecord(item.error) ? familyOf(item.error.class) : 'missing');
    if (isRecord(item.send_path)) {
      const sendError = isRecord(item.send_path.error) ? item.send_path.error : {};
      expect('send_path', 'known freezer code', isKnownFreezerCode(sendError.error_code));
    }
    return;
  }
  const canonical = item.canonical_json;
  expect('sha256 of canonical_json', item.sha256, sha256Hex(canonical));
  // PHP's encoder may nest one level deeper than its decoder accepts, so read back with 512.
  const decoded = decodeTalktoJson(canonical, { maxNesting: 512 });
  expect('canonical fixed point', intNegativeZero(canonical), encodeCanonicalJson(decoded));
  if (isRecord(item.send_path)) {
    expect('send_path', expectedPath(item.send_path, item), freezeOutcome(asHostInput(decoded)));
  }
}

/**
 * The one place where canonical JSON is not a fixed point, in PHP too: a float -0.0 is written
 * `-0`, which reads back as the int 0. Rewrites such number tokens (never inside strings).
 */
function intNegativeZero(json: string): string {
  return json.replace(/"(?:[^"\\]|\\.)*"|-0(?![.0-9eE])/g, (token) => (token === '-0' ? '0' : token));
}

/** A decoded top-level float must stay a float when handed to the freezer (as in PHP). */
function asHostInput(decoded: PhpValue): unknown {
  return typeof decoded === 'number' ? talktoFloat(decoded) : decoded;
}

function hashOutcome(value: PhpValue): Outcome {
  const canonical = encodeCanonicalJson(value);
  return { sha256: payloadHash(value), canonical_json: canonical };
}

function receiveOutcome(payloadJson: string): Outcome {
  try {
    const body = decodeTalktoJson(`{"payload":${payloadJson}}`, { rejectNulPropertyNames: true });
    const payload = body instanceof PhpArray ? body.get('payload') : undefined;
    return hashOutcome(payload ?? null);
  } catch (error) {
    return errorOutcome(error);
  }
}

function freezeOutcome(input: unknown): Outcome {
  try {
    const frozen = freezePayload(input);
    return { sha256: frozen.hash, canonical_json: encodeCanonicalJson(frozen.value) };
  } catch (error) {
    return errorOutcome(error);
  }
}

function errorOutcome(error: unknown): Outcome {
  if (error instanceof TalktoPayloadValueError) {
    return { error: 'payload', error_code: error.code, path: error.path };
  }
  if (error instanceof TalktoJsonDecodeError) {
    return { error: 'decode' };
  }
  if (error instanceof TalktoJsonEncodeError) {
    return { error: 'encode' };
  }
  throw error;
}

function expectedMain(item: Case): Outcome {
  if (isRecord(item.error)) {
    return { error: familyOf(item.error.class) };
  }
  return { sha256: String(item.sha256), canonical_json: String(item.canonical_json) };
}

/** A receive/send expectation; `canonical_json` is only repeated there when it differs. */
function expectedPath(path: Case, item: Case): Outcome {
  if (isRecord(path.error)) {
    const family = familyOf(path.error.class);
    return family === 'payload'
      ? { error: family, error_code: String(path.error.error_code), path: String(path.error.path) }
      : { error: family };
  }
  const canonical = typeof path.canonical_json === 'string' ? path.canonical_json : item.canonical_json;
  return { sha256: String(path.sha256), canonical_json: String(canonical) };
}

/** Maps PHP exception classes onto our error families. */
function familyOf(phpClass: unknown): ErrorFamily {
  const short = typeof phpClass === 'string' ? phpClass.slice(phpClass.lastIndexOf('\\') + 1) : '';
  switch (short) {
    case 'JsonException':
    case 'InvalidTalktoRequestJsonException':
      return 'decode';
    case 'TalktoJsonEncodingException':
      return 'encode';
    case 'TalktoUnsupportedPayloadValueException':
      return 'payload';
    default:
      return 'other';
  }
}

/** Every error code of the PHP freezer (BEHAVIOR §4.2); PHP-only values may raise any of them. */
const PHP_FREEZER_CODES = new Set([
  'payload_top_level_type',
  'payload_resource',
  'payload_closure',
  'payload_generator',
  'payload_unit_enum',
  'payload_datetime_unsupported',
  'payload_traversable_object',
  'payload_callable_object',
  'payload_stringable_object',
  'payload_internal_object',
  'payload_unsupported_object',
  'payload_object_conversion_failed',
  'payload_depth_exceeded',
  'payload_unsupported_type',
  'payload_json_encoding_failed',
  'payload_non_finite_float',
  'payload_invalid_utf8',
  'payload_circular_reference',
]);

function isKnownFreezerCode(code: unknown): string {
  return typeof code === 'string' && PHP_FREEZER_CODES.has(code)
    ? 'known freezer code'
    : `unknown code ${String(code)}`;
}

function sameOutcome(expected: unknown, got: unknown): boolean {
  return JSON.stringify(expected) === JSON.stringify(got);
}

function isRecord(value: unknown): value is Case {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
