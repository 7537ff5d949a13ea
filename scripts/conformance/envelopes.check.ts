import { TalktoRequestValidationError } from '../../lib/protocol/errors/request-validation.error.js';
import { TalktoVerificationError } from '../../lib/protocol/errors/verification.error.js';
import {
  verifyEnvelope,
  type VerifierConfig,
  type VerifierSource,
} from '../../lib/protocol/envelope.verifier.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { PhpArray } from '../../lib/protocol/json/php-value.js';
import { validateEnvelopeRequest } from '../../lib/protocol/request.validator.js';
import {
  NONCE_HEADER,
  SIGNATURE_VERSION_HEADER,
  type TalktoHeaders,
} from '../../lib/protocol/talkto.headers.js';
import type { CaseFailure, CheckResult } from './check-result.js';
import { toNodeHeaderValue } from './vector-file.js';

type Json = Record<string, unknown>;

const isJsonContentType = (value: string | null): boolean => value !== null && /\/json|\+json/i.test(value);

/** The request body as a receiver decodes it; `null` when the decoder refuses it (`invalid_json`). */
export function decodeRequestBody(request: Json, contentType: string | null): PhpArray | null {
  // Not JSON: a PHP receiver falls back to form/query input, which a JSON body never fills.
  if (!isJsonContentType(contentType)) {
    return new PhpArray();
  }
  const raw =
    typeof request.body_hex === 'string'
      ? Buffer.from(request.body_hex, 'hex')
      : Buffer.from(String(request.body), 'utf8');
  // The root must be a JSON object, not merely something that decodes to a PHP array.
  if (!/^[ \t\n\r]*\{/.test(raw.toString('latin1'))) {
    return null;
  }
  try {
    const value = decodeTalktoJson(Uint8Array.from(raw), { rejectNulPropertyNames: true });
    return value instanceof PhpArray ? value : null;
  } catch {
    return null;
  }
}

/** Headers as Node would hand them to us, honouring how the case says repeats were delivered. */
export function deliveredHeaders(vector: Json): TalktoHeaders {
  const request = vector.request as Json;
  const separate = new Set(
    ((vector.multi_value_headers ?? []) as string[]).map((name) => name.toLowerCase()),
  );
  const headers: TalktoHeaders = {};
  for (const [name, value] of Object.entries(request.headers as Json)) {
    if (Array.isArray(value)) {
      const values = value.map((item) => toNodeHeaderValue(item) as string);
      headers[name] = separate.has(name.toLowerCase()) ? values : values.join(', ');
    } else {
      headers[name] = toNodeHeaderValue(value) as string;
    }
  }
  return headers;
}

/** `allowed_commands` as PHP reads it: a list is exact membership, a map is keyed by command. */
function allowList(allowed: unknown): {
  allows(command: string): boolean;
  requiresIdempotency(command: string): boolean;
} {
  if (Array.isArray(allowed)) {
    return { allows: (command) => allowed.includes(command), requiresIdempotency: () => false };
  }
  if (allowed === null || typeof allowed !== 'object') {
    return { allows: () => false, requiresIdempotency: () => false };
  }
  const map = allowed as Record<string, unknown>;
  return {
    allows: (command) => Object.hasOwn(map, command),
    requiresIdempotency: (command) => (map[command] as Json | null)?.idempotency === 'required',
  };
}

/** The receiving service: the one whose peers' `base_url` prefixes the request URL. */
export function receiverOf(configuration: Json, url: string): Json {
  const services = Object.values(configuration).filter(
    (entry): entry is Json => typeof entry === 'object' && entry !== null && 'talkto.service' in entry,
  );
  for (const sender of services) {
    for (const [key, value] of Object.entries(sender)) {
      const baseUrl = (value as Json | null)?.base_url;
      if (key.startsWith('talkto.outgoing.') && typeof baseUrl === 'string' && url.startsWith(baseUrl)) {
        const name = key.slice('talkto.outgoing.'.length);
        const receiver = services.find((service) => service['talkto.service'] === name);
        if (receiver) {
          return receiver;
        }
      }
    }
  }
  throw new Error(`no receiver configured for ${url}`);
}

export function setting(receiver: Json, overrides: Json, key: string, fallback: unknown): unknown {
  if (Object.hasOwn(overrides, key)) {
    return overrides[key];
  }
  const [group, leaf] = [key.slice(0, key.lastIndexOf('.')), key.slice(key.lastIndexOf('.') + 1)];
  const grouped = receiver[group] as Json | undefined;
  if (grouped && Object.hasOwn(grouped, leaf)) {
    return grouped[leaf];
  }
  return Object.hasOwn(receiver, key) ? receiver[key] : fallback;
}

export function verifierConfigFor(configuration: Json, vector: Json, bodySource: unknown): VerifierConfig {
  const receiver = receiverOf(configuration, (vector.request as Json).url as string);
  const overrides = (vector.receiver_config_overrides ?? {}) as Json;
  const get = (key: string, fallback: unknown): unknown => setting(receiver, overrides, key, fallback);
  return {
    service: receiver['talkto.service'] as string,
    acceptVersions: (vector.receiver_accept_versions ??
      get('talkto.security.accept_versions', ['v2'])) as string[],
    toleranceSeconds: Number(get('talkto.security.timestamp_tolerance_seconds', 300)),
    requireSignature: get('talkto.security.require_signature', true) === true,
    requireTimestamp: get('talkto.security.require_timestamp', true) === true,
    replayProtection: get('talkto.security.replay_protection.enabled', true) === true,
    requireNonceForV2: get('talkto.security.replay_protection.require_nonce_for_v2', true) === true,
    nonceHeader: get('talkto.security.nonce_header', NONCE_HEADER) as string,
    signatureVersionHeader: get(
      'talkto.security.signature_version_header',
      SIGNATURE_VERSION_HEADER,
    ) as string,
    source(name: string): VerifierSource | undefined {
      const entry = receiver[`talkto.incoming.${name}`] as Json | undefined;
      if (entry === undefined) {
        return undefined;
      }
      // The case's `secret` is what this receiver holds for the request's own source.
      const secret = name === bodySource && typeof vector.secret === 'string' ? vector.secret : entry.secret;
      const allowed = allowList(entry.allowed_commands);
      return {
        secrets: typeof secret === 'string' && secret !== '' ? [secret] : [],
        isCommandAllowed: allowed.allows,
        isIdempotencyRequired: allowed.requiresIdempotency,
      };
    },
  };
}

function headerValue(headers: TalktoHeaders, name: string): string | null {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase());
  const value = entry?.[1];
  return typeof value === 'string' ? value : null;
}

function verifierOutcome(body: PhpArray, headers: TalktoHeaders, config: VerifierConfig, now: number): Json {
  try {
    const verified = verifyEnvelope({ body, headers }, config, now);
    return {
      ok: true,
      signature_version: verified.signatureVersion,
      signed_timestamp: verified.signedTimestamp,
      nonce: verified.nonce,
      source: verified.source,
      target: verified.target,
    };
  } catch (error) {
    if (error instanceof TalktoVerificationError) {
      return {
        ok: false,
        status: error.httpStatus,
        error: error.code,
        ...(error.field ? { field: error.field } : {}),
      };
    }
    return { ok: false, thrown: String(error) };
  }
}

/** The PHP verifier ended in an uncaught exception: a refusal without a status or error code. */
function crashedInPhp(result: Json): boolean {
  return result.ok !== true && result.status == null && result.error == null;
}

function expectedVerifier(result: Json): Json {
  if (result.ok === true) {
    const { signature_version, signed_timestamp, nonce, source, target } = result;
    return { ok: true, signature_version, signed_timestamp, nonce, source, target };
  }
  return {
    ok: false,
    status: result.status,
    error: result.error,
    ...(result.field ? { field: result.field } : {}),
  };
}

/** What request validation should say: the listed field→rule map, a failure, or a pass. */
function validationOutcome(body: PhpArray, kind: 'command' | 'callback', withDetails: boolean): Json {
  try {
    validateEnvelopeRequest(body, kind);
    return { validation: 'passed' };
  } catch (error) {
    if (error instanceof TalktoRequestValidationError) {
      return withDetails ? { validation: 'failed', details: error.details } : { validation: 'failed' };
    }
    return { validation: 'thrown', error: String(error) };
  }
}

function expectedValidation(vector: Json): Json | null {
  const expected = vector.expected as Json;
  if (expected.error === 'validation_failed') {
    const fields = expected.validation_failed_fields as Json | undefined;
    return fields ? { validation: 'failed', details: fields } : { validation: 'failed' };
  }
  // Earlier steps (body decoding, callbacks switched off) decide before validation runs.
  return expected.error === 'invalid_json' || expected.error === 'callbacks_disabled'
    ? null
    : { validation: 'passed' };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function checkCase(configuration: Json, clock: Json, vector: Json): CaseFailure | null {
  const headers = deliveredHeaders(vector);
  const body = decodeRequestBody(vector.request as Json, headerValue(headers, 'content-type'));
  const result = vector.verifier_result as Json | undefined;
  const expected: Json = {};
  const got: Json = {};
  if (result && 'not_run' in result) {
    expected.decoder = 'rejected';
    got.decoder = body === null ? 'rejected' : 'accepted';
  } else if (body === null) {
    expected.decoder = 'accepted';
    got.decoder = 'rejected';
  } else {
    const kind = vector.group === 'result_callback' ? 'callback' : 'command';
    const validation = expectedValidation(vector);
    if (validation) {
      expected.request_validation = validation;
      got.request_validation = validationOutcome(body, kind, 'details' in validation);
    }
    if (result) {
      const now = Number(vector.verify_at_unix ?? clock.verify_at_unix);
      expected.verifier = expectedVerifier(result);
      got.verifier = verifierOutcome(
        body,
        headers,
        verifierConfigFor(configuration, vector, body.get('source')),
        now,
      );
      if (crashedInPhp(result) && (got.verifier as Json).ok === false) {
        // PHP's verifier threw instead of answering; ours refusing with any code is the match.
        got.verifier = expected.verifier;
      }
    }
  }
  return same(got, expected) ? null : { name: vector.name as string, expected, got };
}

/** envelopes.json: body decoding, request validation and the verifier on its own, per case. */
export function checkEnvelopes(doc: unknown): CheckResult {
  const document = doc as Json;
  const configuration = document.receiver_configuration as Json;
  const clock = (configuration.clock ?? {}) as Json;
  const outcomes = (document.cases as Json[]).map((vector) => checkCase(configuration, clock, vector));
  const failures = outcomes.filter((outcome): outcome is CaseFailure => outcome !== null);
  return { file: 'envelopes.json', passed: outcomes.length - failures.length, failures };
}
