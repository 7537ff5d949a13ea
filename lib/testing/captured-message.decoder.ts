import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { PhpArray, type PhpValue } from '../protocol/json/php-value.js';
import { toPlainValue } from '../protocol/json/plain-value.js';
import type { CapturedTalktoRequest } from './loopback.transport.js';
import type { CapturedTalktoMessage } from './talkto-testing.interfaces.js';

function text(envelope: PhpArray, key: string): string | null {
  const value = envelope.get(key);
  return typeof value === 'string' ? value : null;
}

/**
 * Reads a captured request with the protocol's own JSON reader, so the payload a test sees is the
 * one a receiver would hand to its handler (a `JSON.parse` would round big ints, for instance).
 */
export function decodeCapturedRequest(request: CapturedTalktoRequest): CapturedTalktoMessage {
  const decoded: PhpValue = decodeTalktoJson(request.body);
  const envelope = decoded instanceof PhpArray ? decoded : new PhpArray();
  const payload = envelope.get('payload');
  return {
    url: request.url,
    messageId: text(envelope, 'message_id') ?? '',
    correlationId: text(envelope, 'correlation_id'),
    parentMessageId: text(envelope, 'parent_message_id'),
    source: text(envelope, 'source') ?? '',
    target: text(envelope, 'target') ?? '',
    command: text(envelope, 'command') ?? '',
    idempotencyKey: text(envelope, 'idempotency_key'),
    payloadHash: text(envelope, 'payload_hash') ?? '',
    payload: payload === undefined ? null : toPlainValue(payload),
    headers: Object.fromEntries(request.headers.map(([name, value]) => [name.toLowerCase(), value])),
    rawHeaders: request.headers.map(([name, value]) => [name, value]),
    body: request.body,
  };
}
