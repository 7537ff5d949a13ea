import { describe, expect, it } from '@jest/globals';
import { TalktoRequestValidationError } from '../../lib/protocol/errors/request-validation.error.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { PhpArray } from '../../lib/protocol/json/php-value.js';
import { validateEnvelopeRequest } from '../../lib/protocol/request.validator.js';

const COMMAND = {
  protocol_version: 2,
  message_id: 'm-1',
  correlation_id: 'c-1',
  parent_message_id: null,
  source: 'inventory',
  target: 'website',
  command: 'catalog.sync',
  business_key: null,
  idempotency_key: null,
  schema_version: 1,
  created_at: '2026-06-20T12:00:00+00:00',
  payload_hash: 'h',
  payload: { a: 1 },
};

const CALLBACK = {
  ...COMMAND,
  command: 'talkto.result',
  payload: {
    original_message_id: 'm-0',
    original_command: 'catalog.sync',
    status: 'succeeded',
    succeeded: true,
    retryable: false,
    skipped: false,
    error_class: null,
    error_message: null,
    result: {},
    meta: [],
  },
};

function body(value: object, rawOverrides = ''): PhpArray {
  const text = JSON.stringify(value);
  return decodeTalktoJson(rawOverrides === '' ? text : `${text.slice(0, -1)},${rawOverrides}}`) as PhpArray;
}

function detailsOf(
  input: PhpArray,
  kind: 'command' | 'callback' = 'command',
): Record<string, string[]> | null {
  try {
    validateEnvelopeRequest(input, kind);
    return null;
  } catch (error) {
    if (!(error instanceof TalktoRequestValidationError)) {
      throw error;
    }
    expect(error.code).toBe('validation_failed');
    return error.details;
  }
}

describe('validateEnvelopeRequest (command)', () => {
  it('accepts a complete PHP-shaped envelope', () => {
    expect(detailsOf(body(COMMAND))).toBeNull();
  });

  it('accepts an envelope with only the required fields', () => {
    const { message_id, source, target, command, payload_hash } = COMMAND;
    expect(detailsOf(body({ message_id, source, target, command, payload_hash }))).toBeNull();
  });

  it('reports every missing or blank required field as required', () => {
    expect(detailsOf(body({ message_id: '', source: '  ', target: null, payload_hash: 'h' }))).toEqual({
      message_id: ['required'],
      source: ['required'],
      target: ['required'],
      command: ['required'],
    });
  });

  it('counts string length in code points, not bytes or UTF-16 units', () => {
    expect(detailsOf(body({ ...COMMAND, source: '😀'.repeat(80) }))).toBeNull();
    expect(detailsOf(body({ ...COMMAND, source: 'é'.repeat(81) }))).toEqual({ source: ['max.string'] });
  });

  it.each([
    ['message_id', 101],
    ['command', 151],
    ['payload_hash', 101],
    ['correlation_id', 101],
    ['parent_message_id', 101],
    ['business_key', 192],
    ['idempotency_key', 192],
  ])('limits %s to one less than %i characters', (field, tooLong) => {
    expect(detailsOf(body({ ...COMMAND, [field]: 'x'.repeat(tooLong - 1) }))).toBeNull();
    expect(detailsOf(body({ ...COMMAND, [field]: 'x'.repeat(tooLong) }))).toEqual({
      [field]: ['max.string'],
    });
  });

  it('requires strings where strings are expected', () => {
    expect(detailsOf(body({ ...COMMAND, message_id: 12345, created_at: false }))).toEqual({
      message_id: ['string'],
      created_at: ['string'],
    });
  });

  it('accepts integer-like protocol and schema versions and refuses others', () => {
    expect(detailsOf(body({ ...COMMAND, protocol_version: '2', schema_version: 3 }))).toBeNull();
    expect(detailsOf(body({ ...COMMAND, protocol_version: 'two' }))).toEqual({
      protocol_version: ['integer'],
    });
    expect(detailsOf(body(COMMAND, '"protocol_version":2.5'))).toEqual({ protocol_version: ['integer'] });
    expect(detailsOf(body(COMMAND, '"protocol_version":2.0'))).toBeNull();
  });

  it('requires schema_version to be at least 1', () => {
    expect(detailsOf(body({ ...COMMAND, schema_version: 0 }))).toEqual({ schema_version: ['min.numeric'] });
    expect(detailsOf(body({ ...COMMAND, schema_version: 'x' }))).toEqual({ schema_version: ['integer'] });
  });

  it('allows a null or absent payload and refuses a scalar one', () => {
    expect(detailsOf(body({ ...COMMAND, payload: null }))).toBeNull();
    expect(detailsOf(body({ ...COMMAND, payload: [] }))).toBeNull();
    expect(detailsOf(body({ ...COMMAND, payload: 'text' }))).toEqual({ payload: ['array'] });
  });

  it('reports an empty body as five missing required fields', () => {
    expect(Object.keys(detailsOf(new PhpArray()) ?? {})).toEqual([
      'message_id',
      'source',
      'target',
      'command',
      'payload_hash',
    ]);
  });
});

describe('validateEnvelopeRequest (callback)', () => {
  it('accepts a PHP-shaped result callback', () => {
    expect(detailsOf(body(CALLBACK), 'callback')).toBeNull();
  });

  it('requires the callback payload and its identity fields', () => {
    expect(detailsOf(body({ ...CALLBACK, payload: null }), 'callback')).toMatchObject({
      payload: ['required'],
      'payload.original_message_id': ['required'],
      'payload.status': ['required'],
    });
  });

  it('accepts PHP boolean forms for the flags and refuses others', () => {
    const flags = { ...CALLBACK.payload, succeeded: 1, retryable: '0', skipped: false };
    expect(detailsOf(body({ ...CALLBACK, payload: flags }), 'callback')).toBeNull();
    const bad = { ...CALLBACK.payload, succeeded: 'yes', retryable: 2 };
    expect(detailsOf(body({ ...CALLBACK, payload: bad }), 'callback')).toEqual({
      'payload.succeeded': ['boolean'],
      'payload.retryable': ['boolean'],
    });
  });

  it('refuses a missing flag and a scalar result', () => {
    const { succeeded: _succeeded, ...rest } = CALLBACK.payload;
    expect(detailsOf(body({ ...CALLBACK, payload: { ...rest, result: 'x' } }), 'callback')).toEqual({
      'payload.succeeded': ['required'],
      'payload.result': ['array'],
    });
  });
});
