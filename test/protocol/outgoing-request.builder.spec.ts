import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TalktoEnvelopeFieldError } from '../../lib/protocol/errors/envelope-field.error.js';
import { encodeBodyJson } from '../../lib/protocol/json/body-json.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { PhpArray, type PhpValue } from '../../lib/protocol/json/php-value.js';
import {
  buildOutgoingRequest,
  type OutgoingRequestInput,
} from '../../lib/protocol/outgoing-request.builder.js';
import { payloadHash } from '../../lib/protocol/payload-hash.js';
import { signTalkto, v1SigningString } from '../../lib/protocol/signature.signer.js';
import { SINGULAR_HEADER_FIELDS } from '../../lib/protocol/talkto.headers.js';

const vectorsFile = fileURLToPath(new URL('../../../shared/vectors/envelopes.json', import.meta.url));

interface CapturedCase {
  name: string;
  provenance: string;
  signature_version: 'v1' | 'v2';
  secret: string;
  request: { headers: Record<string, string>; body: string };
}

const frozen = freezePayload({ status: 'ready', amount: 10 });
const BASE: OutgoingRequestInput = {
  messageId: 'msg-0001',
  correlationId: '0b6f0d3c-2f7e-4c1a-8f4e-6d2b9a1c3e55',
  source: 'website-service',
  target: 'inventory-service',
  command: 'catalog.sync',
  businessKey: 'order:42',
  idempotencyKey: 'order-42:v1',
  schemaVersion: 1,
  createdAt: '2026-06-20T10:15:29+00:00',
  payload: frozen.value,
  payloadHash: frozen.hash,
  secret: 'example-shared-secret-0123456789',
  signatureVersion: 'v2',
  timestamp: '2026-06-20T10:15:30+00:00',
  nonce: '6f1c2a9e-4b7d-4c3e-9a10-2b5d8e7f0c11',
};

function fieldErrorOf(run: () => unknown): { field?: string; reason: string } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof TalktoEnvelopeFieldError)) {
      throw error;
    }
    return { field: error.field, reason: error.reason };
  }
}

describe('buildOutgoingRequest', () => {
  it('emits the spec example body byte for byte (PROTOCOL §4.3)', () => {
    expect(buildOutgoingRequest(BASE).body).toBe(
      '{"protocol_version":2,"message_id":"msg-0001","correlation_id":"0b6f0d3c-2f7e-4c1a-8f4e-6d2b9a1c3e55",' +
        '"parent_message_id":null,"source":"website-service","target":"inventory-service","command":"catalog.sync",' +
        '"business_key":"order:42","idempotency_key":"order-42:v1","schema_version":1,' +
        '"created_at":"2026-06-20T10:15:29+00:00","payload_hash":"80a5b315ac275e47ea50cb8f97ba111c7a6b2fc9a150e5bd09c3854da8cba0b6",' +
        '"payload":{"status":"ready","amount":10}}',
    );
  });

  it('sends the v2 header set after custom headers, in PHP order', () => {
    const { headers } = buildOutgoingRequest({ ...BASE, customHeaders: { 'X-Tenant': 'acme' } });
    expect(headers.map(([name]) => name)).toEqual([
      'X-Tenant',
      'X-Talkto-Signature',
      'X-Talkto-Timestamp',
      'X-Talkto-Message-Id',
      'X-Talkto-Protocol-Version',
      'X-Talkto-Signature-Version',
      'X-Talkto-Payload-Hash',
      'X-Talkto-Nonce',
      'Content-Type',
    ]);
    expect(headers[1][1]).toBe('b0aa5e0e74fc69910cffca3c0d66b1a23677d50127ae21d8b2bf6c0f91ab0147');
  });

  it('sends only the v1 header set for v1', () => {
    const { headers } = buildOutgoingRequest({ ...BASE, signatureVersion: 'v1', nonce: null });
    expect(headers).toEqual([
      ['X-Talkto-Signature', 'bbbb31b7c434dd15c27432bab88f046bdfc121de88322caad141e685e1fba0d6'],
      ['X-Talkto-Timestamp', BASE.timestamp],
      ['X-Talkto-Message-Id', 'msg-0001'],
      ['X-Talkto-Protocol-Version', '2'],
      ['Content-Type', 'application/json'],
    ]);
  });

  it('writes nulls for absent optional fields and never a schema version below 1', () => {
    const body = buildOutgoingRequest({
      ...BASE,
      correlationId: undefined,
      businessKey: null,
      idempotencyKey: undefined,
      createdAt: null,
      schemaVersion: 0,
      payload: null,
      payloadHash: payloadHash(null),
    }).body;
    expect(body).toContain('"correlation_id":null,"parent_message_id":null');
    expect(body).toContain('"business_key":null,"idempotency_key":null,"schema_version":1,"created_at":null');
    expect(body.endsWith('"payload":null}')).toBe(true);
  });

  it('refuses identifiers that break the identifier rule before signing', () => {
    expect(fieldErrorOf(() => buildOutgoingRequest({ ...BASE, command: 'a\nb' }))).toEqual({
      field: 'command',
      reason: 'control_character',
    });
    expect(fieldErrorOf(() => buildOutgoingRequest({ ...BASE, correlationId: 'c\t' }))?.field).toBe(
      'correlation_id',
    );
  });

  it('refuses bad custom header names and values', () => {
    expect(fieldErrorOf(() => buildOutgoingRequest({ ...BASE, customHeaders: { 'X Bad': 'v' } }))).toEqual({
      field: 'custom_header_name',
      reason: 'header_name',
    });
    expect(fieldErrorOf(() => buildOutgoingRequest({ ...BASE, customHeaders: { 'X-Ok': 'a\rb' } }))).toEqual({
      field: 'header_value',
      reason: 'control_character',
    });
  });

  it('refuses custom headers that collide with protocol headers in any case', () => {
    for (const name of ['x-talkto-nonce', 'X-TALKTO-SIGNATURE', 'content-type']) {
      expect(
        fieldErrorOf(() => buildOutgoingRequest({ ...BASE, customHeaders: [[name, 'v']] }))?.reason,
      ).toBe('header_collision');
    }
  });

  it('refuses a v2 request without a nonce', () => {
    expect(fieldErrorOf(() => buildOutgoingRequest({ ...BASE, nonce: null }))).toEqual({
      field: 'nonce',
      reason: 'missing',
    });
  });

  it('signs with v1 exactly what v1SigningString produces', () => {
    const { headers } = buildOutgoingRequest({ ...BASE, signatureVersion: 'v1' });
    const expected = signTalkto(
      BASE.secret,
      v1SigningString({ ...BASE, message_id: BASE.messageId, payload_hash: BASE.payloadHash }),
    );
    expect(headers[0][1]).toBe(expected);
  });
});

describe('buildOutgoingRequest against requests captured from PHP', () => {
  const document = JSON.parse(readFileSync(vectorsFile, 'utf8')) as { cases: CapturedCase[] };
  const captured = document.cases.filter((vector) => vector.provenance.startsWith('captured'));

  it('has captured cases to compare with', () => {
    expect(captured.length).toBeGreaterThan(0);
  });

  it.each(captured.map((vector) => [vector.name, vector] as const))(
    'rebuilds %s byte for byte',
    (_name, vector) => {
      const body = decodeTalktoJson(vector.request.body) as PhpArray;
      const text = (key: string): string | null => {
        const value = body.get(key);
        return typeof value === 'string' ? value : null;
      };
      const headerList = Object.entries(vector.request.headers);
      const header = (name: string): string | undefined =>
        headerList.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
      const custom = headerList.filter(
        ([name]) => !SINGULAR_HEADER_FIELDS.has(name.toLowerCase()) && name.toLowerCase() !== 'content-type',
      );
      const input: OutgoingRequestInput = {
        messageId: text('message_id')!,
        correlationId: text('correlation_id'),
        parentMessageId: text('parent_message_id'),
        source: text('source')!,
        target: text('target')!,
        command: text('command')!,
        businessKey: text('business_key'),
        idempotencyKey: text('idempotency_key'),
        schemaVersion: body.get('schema_version') as bigint,
        createdAt: text('created_at'),
        payload: (body.get('payload') ?? null) as PhpValue,
        payloadHash: text('payload_hash')!,
        secret: vector.secret,
        signatureVersion: vector.signature_version,
        timestamp: header('X-Talkto-Timestamp')!,
        nonce: header('X-Talkto-Nonce') ?? null,
        customHeaders: custom,
      };
      const rebuilt = buildOutgoingRequest(input);
      expect(payloadHash((body.get('payload') ?? null) as PhpValue)).toBe(text('payload_hash'));
      expect(rebuilt.body).toBe(vector.request.body);
      expect(rebuilt.headers).toEqual(headerList);
      const withText = buildOutgoingRequest({ ...input, payloadJson: encodeBodyJson(input.payload ?? null) });
      expect(withText.body).toBe(vector.request.body);
    },
  );
});

describe('buildOutgoingRequest with the payload already encoded', () => {
  it('embeds a frozen payload text to give the body the value would give', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'small', stringUnit: 'binary' }), (text) => {
        const payload = freezePayload(JSON.parse(text));
        const input = { ...BASE, payload: payload.value, payloadHash: payload.hash };
        // What the send pipeline relies on: the stored text is a fixed point of decode + encode.
        expect(encodeBodyJson(decodeTalktoJson(payload.json))).toBe(payload.json);
        expect(buildOutgoingRequest({ ...input, payloadJson: payload.json }).body).toBe(
          buildOutgoingRequest(input).body,
        );
      }),
    );
  });

  it('embeds the text it is given instead of encoding the value', () => {
    const body = buildOutgoingRequest({ ...BASE, payloadJson: '{"status":"other"}' }).body;
    expect(body.endsWith(',"payload":{"status":"other"}}')).toBe(true);
    expect(decodeTalktoJson(body)).toBeInstanceOf(PhpArray);
  });
});
