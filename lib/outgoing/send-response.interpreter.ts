import type { SentResponse } from '../persistence/message-ledger.interfaces.js';
import type { TalktoTransportResponse } from './talkto.transport.js';

export type SendResponseOutcome = { kind: 'success'; sent: SentResponse } | { kind: 'failure' };

function parseObject(body: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Any 2xx is a delivery; `received: true` in a JSON answer also says the peer stored it (PROTOCOL §10). */
export function interpretSendResponse(response: TalktoTransportResponse): SendResponseOutcome {
  if (response.status < 200 || response.status > 299) {
    return { kind: 'failure' };
  }
  const json = parseObject(response.body);
  const received = json?.received === true;
  return {
    kind: 'success',
    sent: {
      httpStatus: response.status,
      body: response.body,
      received,
      destinationStatus: received && typeof json?.status === 'string' ? json.status : null,
    },
  };
}
