import { TalktoEnvelopeFieldError } from './errors/envelope-field.error.js';
import { validateHeaderName } from './headers.validator.js';
import { identifierText, validateNullableIdentifier } from './identifier.validator.js';
import { encodeBodyJson } from './json/body-json.js';
import { encodePhpString } from './json/php-string.js';
import type { PhpValue } from './json/php-value.js';
import { signTalkto, v1SigningString, v2SigningString } from './signature.signer.js';
import {
  MESSAGE_ID_HEADER,
  NONCE_HEADER,
  PAYLOAD_HASH_HEADER,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_VERSION_HEADER,
  TIMESTAMP_HEADER,
} from './talkto.headers.js';

export interface OutgoingRequestInput {
  messageId: string;
  correlationId?: string | null;
  parentMessageId?: string | null;
  source: string;
  target: string;
  command: string;
  businessKey?: string | null;
  idempotencyKey?: string | null;
  /** Values below 1 (or absent) are sent as 1, as PHP senders do. */
  schemaVersion?: number | bigint | null;
  /** ISO-8601 creation time of the outgoing row. */
  createdAt?: string | null;
  /** The frozen payload value; only read when `payloadJson` is absent (absent too: `null`). */
  payload?: PhpValue;
  /**
   * The payload's body JSON when it is already encoded (a frozen payload's `json`), so it is
   * embedded as is rather than encoded again. Must equal `encodeBodyJson(payload)`.
   */
  payloadJson?: string;
  /** The hash of the frozen payload, computed once when the message was created. */
  payloadHash: string;
  secret: string;
  signatureVersion: 'v1' | 'v2';
  /** The timestamp header text, signed verbatim (see `formatTalktoTimestamp`). */
  timestamp: string;
  /** Fresh per attempt; required for v2, ignored for v1. */
  nonce?: string | null;
  /** Per-target extra headers, sent before the protocol headers. */
  customHeaders?: Record<string, string> | Array<[string, string]>;
  signatureVersionHeader?: string;
  nonceHeader?: string;
}

export interface OutgoingRequest {
  body: string;
  headers: Array<[string, string]>;
}

const CONTENT_TYPE: [string, string] = ['Content-Type', 'application/json'];

function normalizedSchemaVersion(value: number | bigint | null | undefined): bigint {
  if (value === null || value === undefined) {
    return 1n;
  }
  const asInt = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  return asInt < 1n ? 1n : asInt;
}

/**
 * Builds the exact request a PHP sender emits (§3.1, §4.1): the 13-key body in envelope order with
 * the payload embedded, then headers — custom target headers first, then the v1 or v2 protocol
 * set and `Content-Type`. Every identifier and custom header is checked first; a bad one throws
 * `TalktoEnvelopeFieldError` and nothing should be sent.
 */
export function buildOutgoingRequest(input: OutgoingRequestInput): OutgoingRequest {
  const versionHeader = input.signatureVersionHeader ?? SIGNATURE_VERSION_HEADER;
  const nonceHeader = input.nonceHeader ?? NONCE_HEADER;
  validateHeaderName(versionHeader, 'signature_version_header_name');
  validateHeaderName(nonceHeader, 'nonce_header_name');
  validateNullableIdentifier(input.correlationId, 'correlation_id');
  validateNullableIdentifier(input.parentMessageId, 'parent_message_id');

  const signed = {
    message_id: input.messageId,
    timestamp: input.timestamp,
    nonce: input.nonce ?? null,
    source: input.source,
    target: input.target,
    command: input.command,
    payload_hash: input.payloadHash,
  };
  const isV2 = input.signatureVersion === 'v2';
  if (isV2 && !input.nonce) {
    throw new TalktoEnvelopeFieldError('nonce', 'missing');
  }
  const signature = signTalkto(input.secret, isV2 ? v2SigningString(signed) : v1SigningString(signed));

  const protocolHeaders: Array<[string, string]> = [
    [SIGNATURE_HEADER, signature],
    [TIMESTAMP_HEADER, input.timestamp],
    [MESSAGE_ID_HEADER, input.messageId],
    [PROTOCOL_VERSION_HEADER, PROTOCOL_VERSION],
  ];
  if (isV2) {
    protocolHeaders.push(
      [versionHeader, 'v2'],
      [PAYLOAD_HASH_HEADER, input.payloadHash],
      [nonceHeader, input.nonce!],
    );
  }
  protocolHeaders.push(CONTENT_TYPE);

  const custom = Array.isArray(input.customHeaders)
    ? input.customHeaders
    : Object.entries(input.customHeaders ?? {});
  if (custom.length > 0) {
    validateCustomHeaders(custom, versionHeader, nonceHeader);
  }

  const payloadJson = input.payloadJson ?? encodeBodyJson(input.payload ?? null);
  return { body: envelopeJson(input, payloadJson), headers: [...custom, ...protocolHeaders] };
}

/** Custom headers must be tokens with identifier values and must not shadow a protocol header. */
function validateCustomHeaders(
  custom: ReadonlyArray<readonly [string, string]>,
  versionHeader: string,
  nonceHeader: string,
): void {
  const reserved = new Set(
    [
      SIGNATURE_HEADER,
      TIMESTAMP_HEADER,
      MESSAGE_ID_HEADER,
      PROTOCOL_VERSION_HEADER,
      PAYLOAD_HASH_HEADER,
      SIGNATURE_VERSION_HEADER,
      NONCE_HEADER,
      versionHeader,
      nonceHeader,
      CONTENT_TYPE[0],
    ].map((name) => name.toLowerCase()),
  );
  for (const [name, value] of custom) {
    validateHeaderName(name, 'custom_header_name');
    if (reserved.has(name.toLowerCase())) {
      throw new TalktoEnvelopeFieldError('custom_header_name', 'header_collision');
    }
    identifierText(value, 'header_value');
  }
}

/** The 13 envelope keys in PHP's order, written field by field as PHP's encoder would. */
function envelopeJson(input: OutgoingRequestInput, payloadJson: string): string {
  return (
    `{"protocol_version":${PROTOCOL_VERSION}` +
    `,"message_id":${encodePhpString(input.messageId)}` +
    `,"correlation_id":${nullableString(input.correlationId)}` +
    `,"parent_message_id":${nullableString(input.parentMessageId)}` +
    `,"source":${encodePhpString(input.source)}` +
    `,"target":${encodePhpString(input.target)}` +
    `,"command":${encodePhpString(input.command)}` +
    `,"business_key":${nullableString(input.businessKey)}` +
    `,"idempotency_key":${nullableString(input.idempotencyKey)}` +
    `,"schema_version":${normalizedSchemaVersion(input.schemaVersion)}` +
    `,"created_at":${nullableString(input.createdAt)}` +
    `,"payload_hash":${encodePhpString(input.payloadHash)}` +
    `,"payload":${payloadJson}}`
  );
}

function nullableString(value: string | null | undefined): string {
  return value === null || value === undefined ? 'null' : encodePhpString(value);
}
