import { TalktoEnvelopeFieldError } from '../../lib/protocol/errors/envelope-field.error.js';
import { validateTalktoHeaders } from '../../lib/protocol/headers.validator.js';
import type { IdentifierInput } from '../../lib/protocol/identifier.validator.js';
import {
  safeEqualHex,
  signTalkto,
  v1SigningString,
  v2SigningString,
  type SigningFields,
} from '../../lib/protocol/signature.signer.js';
import type { TalktoHeaders } from '../../lib/protocol/talkto.headers.js';
import type { CaseFailure, CheckResult } from './check-result.js';
import { toNodeHeaderValue } from './vector-file.js';

type Json = Record<string, unknown>;

interface Rejection {
  field: unknown;
  reason: unknown;
  error_code: unknown;
}

const FIELD_NAMES = [
  'message_id',
  'timestamp',
  'nonce',
  'source',
  'target',
  'command',
  'payload_hash',
] as const;

/** A case's inputs; fields that are not valid UTF-8 come as raw bytes from `fields_hex`. */
function signingFields(vector: Json): SigningFields {
  const hex = (vector.fields_hex ?? {}) as Record<string, string>;
  const pick = (name: string): IdentifierInput | null => {
    if (hex[name] !== undefined) {
      return Uint8Array.from(Buffer.from(hex[name], 'hex'));
    }
    return (vector[name] as string | null) ?? null;
  };
  const fields = Object.fromEntries(FIELD_NAMES.map((name) => [name, pick(name)]));
  return fields as unknown as SigningFields;
}

function outcomeOf(run: () => string, secret: string): Json {
  try {
    const canonical = run();
    return { canonical, signature: signTalkto(secret, canonical) };
  } catch (error) {
    if (error instanceof TalktoEnvelopeFieldError) {
      return { rejection: { field: error.field, reason: error.reason, error_code: error.code } };
    }
    return { thrown: String(error) };
  }
}

function expectedOutcome(vector: Json, version: 'v1' | 'v2'): Json {
  const rejection = vector[`${version}_rejection`] as Rejection | undefined;
  if (rejection) {
    return {
      rejection: { field: rejection.field, reason: rejection.reason, error_code: rejection.error_code },
    };
  }
  return { canonical: vector[`${version}_canonical`], signature: vector[`${version}_signature`] };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function checkSigningCase(vector: Json): CaseFailure | null {
  const fields = signingFields(vector);
  const secret = vector.secret as string;
  const got: Json = {
    v1: outcomeOf(() => v1SigningString(fields), secret),
    v2: outcomeOf(() => v2SigningString(fields), secret),
  };
  const expected: Json = { v1: expectedOutcome(vector, 'v1'), v2: expectedOutcome(vector, 'v2') };
  // The expected signatures must also verify through the constant-time comparison.
  for (const version of ['v1', 'v2'] as const) {
    const signature = (expected[version] as Json).signature;
    const ours = (got[version] as Json).signature;
    if (typeof signature === 'string' && typeof ours === 'string' && !safeEqualHex(ours, signature)) {
      (got[version] as Json).verifies = false;
    }
  }
  return same(got, expected) ? null : { name: vector.name as string, expected, got };
}

function checkHeaderCase(vector: Json): CaseFailure | null {
  const headers: TalktoHeaders = {};
  for (const [name, value] of Object.entries(vector.headers as Json)) {
    headers[name] = (
      Array.isArray(value) ? value.map(toNodeHeaderValue) : toNodeHeaderValue(value)
    ) as TalktoHeaders[string];
  }
  let got: Json = { result: 'ok' };
  try {
    validateTalktoHeaders(headers);
  } catch (error) {
    got =
      error instanceof TalktoEnvelopeFieldError
        ? { result: 'reject', field: error.field, reason: error.reason, error_code: error.code }
        : { result: 'thrown', error: String(error) };
  }
  const rejection = vector.rejection as Rejection | undefined;
  const expected: Json =
    vector.result === 'ok'
      ? { result: 'ok' }
      : {
          result: 'reject',
          field: rejection?.field,
          reason: rejection?.reason,
          error_code: rejection?.error_code,
        };
  return same(got, expected) ? null : { name: `header:${vector.name as string}`, expected, got };
}

/** signatures.json: canonical strings, both signatures, rejections, and header validation cases. */
export function checkSignatures(doc: unknown): CheckResult {
  const document = doc as Json;
  const outcomes = [
    ...(document.cases as Json[]).map(checkSigningCase),
    ...((document.header_validation_cases ?? []) as Json[]).map(checkHeaderCase),
  ];
  const failures = outcomes.filter((outcome): outcome is CaseFailure => outcome !== null);
  return { file: 'signatures.json', passed: outcomes.length - failures.length, failures };
}
