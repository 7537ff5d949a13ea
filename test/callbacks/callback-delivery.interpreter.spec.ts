import { describe, expect, it } from '@jest/globals';
import { interpretCallbackResponse } from '../../lib/callbacks/callback-delivery.interpreter.js';

const answer = (status: number, body: unknown) => ({
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers: {},
});

describe('interpretCallbackResponse', () => {
  it('delivers on a 2xx accepted:true answer and keeps its status', () => {
    expect(
      interpretCallbackResponse(
        answer(200, { accepted: true, status: 'duplicate', duplicate: true, original_message_id: 'o' }),
      ),
    ).toEqual({ kind: 'accepted', status: 'duplicate', duplicate: true, originalMessageId: 'o' });
  });

  it('refuses a 2xx without accepted:true, naming the error, the status or the missing key', () => {
    expect(interpretCallbackResponse(answer(200, { accepted: false, error: 'nope' }))).toMatchObject({
      kind: 'rejected',
      code: 'nope',
    });
    expect(interpretCallbackResponse(answer(200, { received: true, status: 'queued' }))).toMatchObject({
      kind: 'rejected',
      code: 'invalid_callback_response',
    });
    expect(interpretCallbackResponse(answer(200, 'not json'))).toMatchObject({
      kind: 'rejected',
      code: 'invalid_callback_response',
    });
    expect(interpretCallbackResponse(answer(202, { accepted: false, status: 'held' }))).toMatchObject({
      kind: 'rejected',
      code: 'held',
    });
    expect(interpretCallbackResponse(answer(200, { accepted: 'yes' }))).toMatchObject({
      kind: 'rejected',
      code: 'callback_rejected',
    });
  });

  it('leaves non-2xx answers to the command rules', () => {
    expect(interpretCallbackResponse(answer(503, { accepted: true }))).toEqual({ kind: 'http_failure' });
    expect(interpretCallbackResponse(answer(404, {}))).toEqual({ kind: 'http_failure' });
  });
});
