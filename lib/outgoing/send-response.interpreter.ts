import type { SentResponse } from '../persistence/message-ledger.interfaces.js';
import { parseJsonObject } from './parse-json-object.util.js';
import type { TalktoTransportResponse } from './talkto.transport.js';

export type SendResponseOutcome = { kind: 'success'; sent: SentResponse } | { kind: 'failure' };

/** Any 2xx is a delivery; `received: true` in a JSON answer also says the peer stored it (PROTOCOL §10). */
export function interpretSendResponse(response: TalktoTransportResponse): SendResponseOutcome {
  if (response.status < 200 || response.status > 299) {
    return { kind: 'failure' };
  }
  const json = parseJsonObject(response.body);
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
