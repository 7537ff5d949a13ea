import { describe, expect, it } from '@jest/globals';
import {
  verifyEnvelope,
  type VerifiedEnvelope,
  type VerifierConfig,
  type VerifierSource,
} from '../../lib/protocol/envelope.verifier.js';
import { TalktoVerificationError } from '../../lib/protocol/errors/verification.error.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { PhpArray } from '../../lib/protocol/json/php-value.js';
import {
  buildOutgoingRequest,
  type OutgoingRequestInput,
} from '../../lib/protocol/outgoing-request.builder.js';
import { signTalkto, v2SigningString } from '../../lib/protocol/signature.signer.js';
import type { TalktoHeaders } from '../../lib/protocol/talkto.headers.js';
import { formatTalktoTimestamp } from '../../lib/protocol/talkto.timestamp.js';

const NOW = Date.UTC(2026, 5, 20, 12, 0, 0) / 1000;
const SECRET = 'inv-to-web-secret';
const NONCE = '7d9f2c1e-4b3a-4e8f-9a6d-1c2b3a4d5e6f';

function sourceWith(overrides: Partial<VerifierSource> = {}): VerifierSource {
  return {
    secrets: [SECRET],
    isCommandAllowed: (command) => ['catalog.sync', 'orders.create'].includes(command),
    isIdempotencyRequired: (command) => command === 'orders.create',
    ...overrides,
  };
}

function configWith(overrides: Partial<VerifierConfig> = {}, source = sourceWith()): VerifierConfig {
  return {
    service: 'website',
    acceptVersions: ['v2'],
    toleranceSeconds: 300,
    requireSignature: true,
    requireTimestamp: true,
    replayProtection: true,
    requireNonceForV2: true,
    nonceHeader: 'X-Talkto-Nonce',
    signatureVersionHeader: 'X-Talkto-Signature-Version',
    source: (name) => (name === 'inventory' ? source : undefined),
    ...overrides,
  };
}

interface Request {
  body: PhpArray;
  headers: TalktoHeaders;
}

/** A request exactly as our sender would emit it, seen the way a Node receiver sees it. */
function request(
  overrides: Partial<OutgoingRequestInput> = {},
  payload: unknown = { sku: 'A-1', stock: 79.95 },
): Request {
  const frozen = freezePayload(payload);
  const built = buildOutgoingRequest({
    messageId: 'm-1',
    correlationId: 'c-1',
    source: 'inventory',
    target: 'website',
    command: 'catalog.sync',
    payload: frozen.value,
    payloadHash: frozen.hash,
    secret: SECRET,
    signatureVersion: 'v2',
    timestamp: formatTalktoTimestamp(new Date(NOW * 1000)),
    nonce: NONCE,
    createdAt: '2026-06-20T12:00:00+00:00',
    ...overrides,
  });
  const headers: TalktoHeaders = {};
  for (const [name, value] of built.headers) {
    headers[name.toLowerCase()] = Buffer.from(value, 'utf8').toString('latin1');
  }
  return { body: decodeTalktoJson(built.body) as PhpArray, headers };
}

function withBody(req: Request, edit: (body: PhpArray) => void): Request {
  const body = new PhpArray();
  for (const [key, value] of req.body.entries()) {
    body.set(key, value);
  }
  edit(body);
  return { body, headers: req.headers };
}

function withHeaders(req: Request, edit: (headers: TalktoHeaders) => void): Request {
  const headers = { ...req.headers };
  edit(headers);
  return { body: req.body, headers };
}

function outcome(
  req: Request,
  config = configWith(),
  now = NOW,
): VerifiedEnvelope | { code: string; status: number; field?: string } {
  try {
    return verifyEnvelope(req, config, now);
  } catch (error) {
    if (!(error instanceof TalktoVerificationError)) {
      throw error;
    }
    return { code: error.code, status: error.httpStatus, ...(error.field ? { field: error.field } : {}) };
  }
}

/** Re-signs a request's v2 headers after its body or timestamp/nonce were edited. */
function resign(req: Request, timestamp: string, nonce: string | null = NONCE): Request {
  const get = (key: string): string => req.body.get(key) as string;
  const signingString = v2SigningString({
    message_id: get('message_id'),
    timestamp,
    nonce,
    source: get('source'),
    target: get('target'),
    command: get('command'),
    payload_hash: get('payload_hash'),
  });
  return withHeaders(req, (headers) => {
    headers['x-talkto-timestamp'] = timestamp;
    headers['x-talkto-signature'] = signTalkto(SECRET, signingString);
    if (nonce === null) {
      delete headers['x-talkto-nonce'];
    } else {
      headers['x-talkto-nonce'] = nonce;
    }
  });
}

describe('verifyEnvelope', () => {
  it('accepts a v2 request built by our own sender and reports what was signed', () => {
    const verified = outcome(request()) as VerifiedEnvelope;
    expect(verified).toMatchObject({
      signatureVersion: 'v2',
      signedTimestamp: '2026-06-20T12:00:00+00:00',
      nonce: NONCE,
      nonceAction: 'consume',
      messageId: 'm-1',
      source: 'inventory',
      target: 'website',
      command: 'catalog.sync',
      correlationId: 'c-1',
      parentMessageId: null,
    });
  });

  it('accepts a v1 request only when v1 is an accepted version', () => {
    const v1 = request({ signatureVersion: 'v1', nonce: null });
    expect(outcome(v1)).toEqual({ code: 'unsupported_signature_version', status: 401 });
    expect(outcome(v1, configWith({ acceptVersions: ['v1', 'v2'] }))).toMatchObject({
      signatureVersion: 'v1',
      nonce: null,
      nonceAction: 'none',
    });
  });

  it('treats an empty accept list as v2 only', () => {
    expect(outcome(request(), configWith({ acceptVersions: [] }))).toMatchObject({ signatureVersion: 'v2' });
  });

  it('refuses a missing required field before anything else', () => {
    const req = withBody(request(), (body) => body.set('payload_hash', ''));
    expect(outcome(withHeaders(req, (h) => delete h['x-talkto-signature']))).toEqual({
      code: 'missing_required_field',
      status: 422,
    });
  });

  it('refuses a body identifier that breaks the identifier rule, naming the field', () => {
    expect(outcome(withBody(request(), (body) => body.set('source', 'inv\nentory')))).toEqual({
      code: 'invalid_envelope_field',
      status: 422,
      field: 'source_service',
    });
    expect(outcome(withBody(request(), (body) => body.set('parent_message_id', 'a\u2028')))).toMatchObject({
      field: 'parent_message_id',
    });
    expect(outcome(withBody(request(), (body) => body.set('message_id', 7n)))).toMatchObject({
      code: 'invalid_envelope_field',
      field: 'message_id',
    });
  });

  it('validates every header, including custom ones', () => {
    expect(outcome(withHeaders(request(), (h) => (h['x-custom'] = 'a\u0001b')))).toEqual({
      code: 'invalid_envelope_field',
      status: 422,
      field: 'header_value',
    });
  });

  it('refuses a singular protocol header delivered twice as separate values', () => {
    const req = withHeaders(request(), (h) => (h['x-talkto-nonce'] = [NONCE, 'other']));
    expect(outcome(req)).toEqual({ code: 'invalid_header_value_count', status: 422, field: 'nonce' });
  });

  it('lets custom headers repeat', () => {
    expect(outcome(withHeaders(request(), (h) => (h['x-custom'] = ['a', 'b'])))).toMatchObject({
      messageId: 'm-1',
    });
  });

  it('fails a comma-joined repeated signature as an invalid signature', () => {
    const req = withHeaders(
      request(),
      (h) => (h['x-talkto-signature'] = `${h['x-talkto-signature']}, ${h['x-talkto-signature']}`),
    );
    expect(outcome(req)).toEqual({ code: 'invalid_signature', status: 401 });
  });

  it('refuses an unknown signature version value (case-sensitive)', () => {
    expect(outcome(withHeaders(request(), (h) => (h['x-talkto-signature-version'] = 'V2')))).toEqual({
      code: 'unsupported_signature_version',
      status: 401,
    });
  });

  it.each(['x-talkto-signature', 'x-talkto-timestamp', 'x-talkto-message-id'])(
    'refuses a request without %s',
    (name) => {
      expect(outcome(withHeaders(request(), (h) => delete h[name]))).toEqual({
        code: 'missing_signature_header',
        status: 401,
      });
      expect(outcome(withHeaders(request(), (h) => (h[name] = '')))).toMatchObject({
        code: 'missing_signature_header',
      });
    },
  );

  it('refuses a header message id that differs from the body', () => {
    expect(outcome(withHeaders(request(), (h) => (h['x-talkto-message-id'] = 'm-2')))).toEqual({
      code: 'invalid_signature',
      status: 401,
    });
  });

  it('enforces the timestamp window inclusively on both sides', () => {
    const req = request();
    expect(outcome(req, configWith(), NOW + 300)).toMatchObject({ messageId: 'm-1' });
    expect(outcome(req, configWith(), NOW - 300)).toMatchObject({ messageId: 'm-1' });
    expect(outcome(req, configWith(), NOW + 301)).toEqual({
      code: 'timestamp_outside_tolerance',
      status: 401,
    });
    expect(outcome(req, configWith(), NOW - 301)).toEqual({
      code: 'timestamp_outside_tolerance',
      status: 401,
    });
    expect(outcome(resign(req, 'not-a-date'))).toEqual({ code: 'timestamp_outside_tolerance', status: 401 });
  });

  it('accepts other timestamp shapes signed verbatim', () => {
    expect(outcome(resign(request(), String(NOW - 5)))).toMatchObject({ signedTimestamp: String(NOW - 5) });
    expect(outcome(resign(request(), '2026-06-20T11:59:00Z'))).toMatchObject({
      signedTimestamp: '2026-06-20T11:59:00Z',
    });
  });

  it('requires a nonce for v2 unless configured otherwise', () => {
    const noNonce = resign(request(), '2026-06-20T12:00:00+00:00', null);
    expect(outcome(noNonce)).toEqual({ code: 'missing_nonce', status: 401 });
    expect(outcome(noNonce, configWith({ requireNonceForV2: false }))).toMatchObject({
      nonce: null,
      nonceAction: 'reject',
    });
    expect(outcome(noNonce, configWith({ requireNonceForV2: false, replayProtection: false }))).toMatchObject(
      {
        nonceAction: 'none',
      },
    );
  });

  it('in unsigned mode only checks the timestamp', () => {
    const unsigned = configWith({ requireSignature: false });
    const req = withHeaders(request(), (h) => delete h['x-talkto-signature']);
    expect(outcome(req, unsigned)).toMatchObject({ messageId: 'm-1', nonce: null });
    expect(
      outcome(
        withHeaders(req, (h) => delete h['x-talkto-timestamp']),
        unsigned,
      ),
    ).toEqual({
      code: 'missing_timestamp',
      status: 401,
    });
    expect(
      outcome(
        withHeaders(req, (h) => delete h['x-talkto-timestamp']),
        configWith({ requireSignature: false, requireTimestamp: false }),
      ),
    ).toMatchObject({ signedTimestamp: null });
  });

  it('refuses unknown sources, foreign targets and disallowed commands before the signature', () => {
    expect(outcome(request({ source: 'billing', secret: 'x' }))).toEqual({
      code: 'unknown_source',
      status: 403,
    });
    expect(outcome(request({ target: 'shop' }))).toEqual({ code: 'wrong_target', status: 403 });
    expect(outcome(request({ command: 'catalog.delete', secret: 'x' }))).toEqual({
      code: 'command_not_allowed',
      status: 403,
    });
  });

  it('requires an idempotency key when the command says so, with PHP emptiness', () => {
    expect(outcome(request({ command: 'orders.create' }))).toEqual({
      code: 'missing_idempotency_key',
      status: 422,
    });
    expect(outcome(request({ command: 'orders.create', idempotencyKey: '0' }))).toMatchObject({
      code: 'missing_idempotency_key',
    });
    expect(outcome(request({ command: 'orders.create', idempotencyKey: 'order-1' }))).toMatchObject({
      idempotencyKey: 'order-1',
    });
  });

  it('recomputes the payload hash from the decoded payload', () => {
    const tampered = withBody(request(), (body) => (body.get('payload') as PhpArray).set('stock', 1n));
    expect(outcome(tampered)).toEqual({ code: 'payload_hash_mismatch', status: 422 });
  });

  it('hashes an absent payload as null', () => {
    const frozenNull = request({}, null);
    const req = withBody(frozenNull, (body) => body.set('payload', null));
    expect(outcome(req)).toMatchObject({ payload: null });
  });

  it('compares the payload hash header when present, and case-sensitively', () => {
    const req = withHeaders(
      request(),
      (h) => (h['x-talkto-payload-hash'] = String(h['x-talkto-payload-hash']).toUpperCase()),
    );
    expect(outcome(req)).toEqual({ code: 'payload_hash_mismatch', status: 422 });
    expect(outcome(withHeaders(request(), (h) => delete h['x-talkto-payload-hash']))).toMatchObject({
      messageId: 'm-1',
    });
  });

  it('refuses a source without a secret, then a wrong signature', () => {
    expect(outcome(request(), configWith({}, sourceWith({ secrets: [] })))).toEqual({
      code: 'missing_source_secret',
      status: 403,
    });
    expect(outcome(request({ secret: 'other' }))).toEqual({ code: 'invalid_signature', status: 401 });
  });

  it('compares the signature case-sensitively: an upper-cased signature is invalid', () => {
    const upper = withHeaders(
      request(),
      (h) => (h['x-talkto-signature'] = String(h['x-talkto-signature']).toUpperCase()),
    );
    expect(upper.headers['x-talkto-signature']).not.toBe(request().headers['x-talkto-signature']);
    expect(outcome(upper)).toEqual({ code: 'invalid_signature', status: 401 });
  });

  it('accepts any of several secrets during key rotation', () => {
    expect(outcome(request(), configWith({}, sourceWith({ secrets: ['old-secret', SECRET] })))).toMatchObject(
      { messageId: 'm-1' },
    );
  });

  it('does not sign unsigned envelope fields', () => {
    const req = withBody(request(), (body) => body.set('business_key', 'changed').set('schema_version', 9n));
    expect(outcome(req)).toMatchObject({ businessKey: 'changed', schemaVersion: 9n });
  });

  it('reads the configured nonce and version header names', () => {
    const custom = configWith({ nonceHeader: 'X-My-Nonce', signatureVersionHeader: 'X-My-Version' });
    const req = request({ nonceHeader: 'X-My-Nonce', signatureVersionHeader: 'X-My-Version' });
    expect(outcome(req, custom)).toMatchObject({ nonce: NONCE, signatureVersion: 'v2' });
  });
});
