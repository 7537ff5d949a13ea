import { describe, expect, it } from '@jest/globals';
import { callbackPayload, isCallbackMessage } from '../../lib/callbacks/callback-payload.js';
import { callbackIdempotencyKey, callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';

describe('callbackPayload', () => {
  it('reproduces the payload, hash and id of PROTOCOL Example E', () => {
    const payload = callbackPayload(
      { messageId: 'msg-0001', command: 'catalog.sync' },
      {
        status: 'succeeded',
        errorClass: null,
        errorMessage: null,
        result: { synced: true, sku: 'A-1' },
        meta: {},
      },
    );
    const frozen = freezePayload(payload);
    expect(frozen.json).toBe(
      '{"original_message_id":"msg-0001","original_command":"catalog.sync","status":"succeeded","succeeded":true,' +
        '"retryable":false,"skipped":false,"error_class":null,"error_message":null,' +
        '"result":{"synced":true,"sku":"A-1"},"meta":[]}',
    );
    expect(frozen.hash).toBe('68469e4ef80a6b69aace2775fec7a8ad80f24fff265e39381f2de6dfb57df66f');
    expect(callbackMessageId('msg-0001', 'succeeded')).toBe('cb-eec0682928d8294f8d2690d53fa38257fb480adf');
    expect(callbackIdempotencyKey('msg-0001', 'succeeded')).toBe('talkto:callback:msg-0001:succeeded');
  });

  it.each([
    ['succeeded', true, false, false],
    ['skipped', true, false, true],
    ['failed_retryable', false, true, false],
    ['failed_final', false, false, false],
  ] as const)('derives the flags of a %s report', (status, succeeded, retryable, skipped) => {
    const payload = callbackPayload(
      { messageId: 'm', command: 'c' },
      { status, errorClass: null, errorMessage: null, result: {}, meta: {} },
    );
    expect(payload).toMatchObject({ succeeded, retryable, skipped });
  });
});

describe('isCallbackMessage', () => {
  const payload = (json: string) => decodeTalktoJson(json);

  it('recognises the callback command with the three identifying keys filled', () => {
    const body = payload('{"original_message_id":"m","original_command":"c","status":"succeeded"}');
    expect(isCallbackMessage('talkto.result', body, 'talkto.result')).toBe(true);
  });

  it('treats another command, or an empty or missing identifying key, as a plain command', () => {
    const body = payload('{"original_message_id":"m","original_command":"c","status":"succeeded"}');
    expect(isCallbackMessage('orders.reserve', body, 'talkto.result')).toBe(false);
    expect(
      isCallbackMessage(
        'talkto.result',
        payload('{"original_message_id":"m","status":"x"}'),
        'talkto.result',
      ),
    ).toBe(false);
    expect(
      isCallbackMessage(
        'talkto.result',
        payload('{"original_message_id":"","original_command":"c","status":"x"}'),
        'talkto.result',
      ),
    ).toBe(false);
    expect(isCallbackMessage('talkto.result', null, 'talkto.result')).toBe(false);
  });
});
