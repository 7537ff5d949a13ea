import { TalktoEnvelopeFieldError } from './errors/envelope-field.error.js';
import { TalktoVerificationError, type VerificationErrorCode } from './errors/verification.error.js';
import { validateTalktoHeaders } from './headers.validator.js';
import {
  validateIdentifier,
  validateNullableIdentifier,
  validateStorableText,
} from './identifier.validator.js';
import { PhpArray, type PhpValue } from './json/php-value.js';
import { payloadHash } from './payload-hash.js';
import { checkedV2SigningString, safeEqualHex, signTalkto, v1SigningString } from './signature.signer.js';
import {
  MESSAGE_ID_HEADER,
  PAYLOAD_HASH_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  mergeHeaders,
  readTalktoHeader,
  type TalktoHeaders,
} from './talkto.headers.js';
import { isTimestampWithinTolerance } from './talkto.timestamp.js';

/** What the receiver knows about one configured incoming source. */
export interface VerifierSource {
  /** Secrets to verify against (any may match, for key rotation); empty = `missing_source_secret`. */
  secrets: string[];
  isCommandAllowed(command: string): boolean;
  isIdempotencyRequired(command: string): boolean;
}

export interface VerifierConfig {
  /** This service's own name; the envelope `target` must equal it. */
  service: string;
  /** Accepted signature versions; empty means `['v2']`. */
  acceptVersions: string[];
  toleranceSeconds: number;
  requireSignature: boolean;
  /** Only consulted when signatures are not required. */
  requireTimestamp: boolean;
  replayProtection: boolean;
  requireNonceForV2: boolean;
  nonceHeader: string;
  signatureVersionHeader: string;
  source(name: string): VerifierSource | undefined;
}

/**
 * What the ledger step must do with the nonce after the duplicate check (§6.4): consume it, refuse
 * the request as a replay (v2 without a nonce while replay protection is on), or nothing (v1, or
 * protection off).
 */
export type NonceAction = 'consume' | 'reject' | 'none';

export interface VerifiedEnvelope {
  signatureVersion: string;
  /** The timestamp header text exactly as signed; `null` only in unsigned mode without one. */
  signedTimestamp: string | null;
  nonce: string | null;
  nonceAction: NonceAction;
  messageId: string;
  source: string;
  target: string;
  command: string;
  payloadHash: string;
  payload: PhpValue;
  correlationId: string | null;
  parentMessageId: string | null;
  businessKey: string | null;
  idempotencyKey: string | null;
  schemaVersion: PhpValue;
  createdAt: PhpValue;
  protocolVersion: PhpValue;
  /** The whole decoded body, unknown keys included. */
  body: PhpArray;
}

const REQUIRED_FIELDS = ['message_id', 'source', 'target', 'command', 'payload_hash'] as const;

/** Body fields under the identifier rule, with the field name reported on failure (§8.1 step 3b). */
const IDENTIFIER_FIELDS: ReadonlyArray<[string, string, boolean]> = [
  ['message_id', 'message_id', false],
  ['source', 'source_service', false],
  ['target', 'target_service', false],
  ['command', 'command', false],
  ['payload_hash', 'payload_hash', false],
  ['correlation_id', 'correlation_id', true],
  ['parent_message_id', 'parent_message_id', true],
];

/** Stored free text, checked with the identifiers (§8.1 step 3b): only a NUL is refused. */
const STORED_TEXT_FIELDS = ['business_key', 'idempotency_key'] as const;

function reject(code: VerificationErrorCode): never {
  throw new TalktoVerificationError(code);
}

/** Turns a field/header rule failure into the verifier's answer, keeping the field and the cause. */
function asVerificationError(error: unknown): unknown {
  return error instanceof TalktoEnvelopeFieldError
    ? new TalktoVerificationError(error.code, error.field, { cause: error })
    : error;
}

function optionalString(value: PhpValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

/** PHP `empty()`: what counts as "no idempotency key". */
function isPhpEmpty(value: PhpValue | undefined): boolean {
  return (
    value === undefined ||
    value === null ||
    value === false ||
    value === '' ||
    value === '0' ||
    value === 0n ||
    value === 0 ||
    (value instanceof PhpArray && value.size === 0)
  );
}

/**
 * Authenticates a decoded envelope and its headers in the exact order of §8.1 step 3 (first
 * failure wins), throwing `TalktoVerificationError`. Pure: it neither reads nor writes state, so
 * duplicate detection and nonce consumption stay with the caller, after this returns.
 */
export function verifyEnvelope(
  input: { body: PhpArray; headers: TalktoHeaders },
  config: VerifierConfig,
  nowUnix: number,
): VerifiedEnvelope {
  const { body, headers } = input;
  for (const field of REQUIRED_FIELDS) {
    const value = body.get(field);
    if (value === undefined || value === null || value === '') {
      reject('missing_required_field');
    }
  }
  const merged = mergeHeaders(headers);
  try {
    for (const [key, field, nullable] of IDENTIFIER_FIELDS) {
      const value = body.get(key);
      if (nullable) {
        validateNullableIdentifier(value, field);
      } else {
        validateIdentifier(value as string, field);
      }
    }
    for (const field of STORED_TEXT_FIELDS) {
      validateStorableText(body.get(field), field);
    }
    validateTalktoHeaders(merged, {
      signature_version_header_name: config.signatureVersionHeader,
      nonce_header_name: config.nonceHeader,
    });
  } catch (error) {
    throw asVerificationError(error);
  }

  const messageId = body.get('message_id') as string;
  const source = body.get('source') as string;
  const target = body.get('target') as string;
  const command = body.get('command') as string;
  const claimedHash = body.get('payload_hash') as string;

  const versionHeader = readTalktoHeader(merged, config.signatureVersionHeader);
  const version = versionHeader ?? 'v1';
  const accepted = config.acceptVersions.length > 0 ? config.acceptVersions : ['v2'];
  if (!accepted.includes(version)) {
    reject('unsupported_signature_version');
  }

  let signature: string | null = null;
  let timestamp: string | null = null;
  let nonce: string | null = null;
  if (config.requireSignature) {
    signature = readTalktoHeader(merged, SIGNATURE_HEADER);
    timestamp = readTalktoHeader(merged, TIMESTAMP_HEADER);
    const headerMessageId = readTalktoHeader(merged, MESSAGE_ID_HEADER);
    nonce = readTalktoHeader(merged, config.nonceHeader);
    if (signature === null || timestamp === null || headerMessageId === null) {
      reject('missing_signature_header');
    }
    if (headerMessageId !== messageId) {
      reject('invalid_signature');
    }
    if (!isTimestampWithinTolerance(timestamp, nowUnix, config.toleranceSeconds)) {
      reject('timestamp_outside_tolerance');
    }
    if (version === 'v2' && config.requireNonceForV2 && nonce === null) {
      reject('missing_nonce');
    }
  } else if (config.requireTimestamp) {
    timestamp = readTalktoHeader(merged, TIMESTAMP_HEADER);
    if (timestamp === null) {
      reject('missing_timestamp');
    }
    if (!isTimestampWithinTolerance(timestamp, nowUnix, config.toleranceSeconds)) {
      reject('timestamp_outside_tolerance');
    }
  }

  const sourceConfig = config.source(source);
  if (sourceConfig === undefined) {
    reject('unknown_source');
  }
  if (target !== config.service) {
    reject('wrong_target');
  }
  if (!sourceConfig.isCommandAllowed(command)) {
    reject('command_not_allowed');
  }
  if (sourceConfig.isIdempotencyRequired(command) && isPhpEmpty(body.get('idempotency_key'))) {
    reject('missing_idempotency_key');
  }

  const payload = body.get('payload') ?? null;
  if (!safeEqualHex(payloadHash(payload), claimedHash)) {
    reject('payload_hash_mismatch');
  }
  const headerHash = readTalktoHeader(merged, PAYLOAD_HASH_HEADER);
  if (headerHash !== null && !safeEqualHex(headerHash, claimedHash)) {
    reject('payload_hash_mismatch');
  }

  if (config.requireSignature) {
    if (sourceConfig.secrets.length === 0) {
      reject('missing_source_secret');
    }
    const signed = {
      message_id: messageId,
      timestamp: timestamp!,
      nonce,
      source,
      target,
      command,
      payload_hash: claimedHash,
    };
    // Every component passed the identifier rule above (body fields and all headers).
    const signingString = version === 'v2' ? checkedV2SigningString(signed) : v1SigningString(signed);
    const matches = sourceConfig.secrets.some((secret) =>
      safeEqualHex(signTalkto(secret, signingString), signature!),
    );
    if (!matches) {
      reject('invalid_signature');
    }
  }

  // Only v2 signs the nonce; a v1 request's nonce header means nothing and is not reported.
  if (version !== 'v2') {
    nonce = null;
  }
  let nonceAction: NonceAction = 'none';
  if (version === 'v2') {
    nonceAction = nonce !== null ? 'consume' : config.replayProtection ? 'reject' : 'none';
  }

  return {
    signatureVersion: version,
    signedTimestamp: timestamp,
    nonce,
    nonceAction,
    messageId,
    source,
    target,
    command,
    payloadHash: claimedHash,
    payload,
    correlationId: optionalString(body.get('correlation_id')),
    parentMessageId: optionalString(body.get('parent_message_id')),
    businessKey: optionalString(body.get('business_key')),
    idempotencyKey: optionalString(body.get('idempotency_key')),
    schemaVersion: body.get('schema_version') ?? null,
    createdAt: body.get('created_at') ?? null,
    protocolVersion: body.get('protocol_version') ?? null,
    body,
  };
}
