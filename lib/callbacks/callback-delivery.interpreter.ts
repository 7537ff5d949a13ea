import { parseJsonObject } from '../outgoing/parse-json-object.util.js';
import type { TalktoTransportResponse } from '../outgoing/talkto.transport.js';

export type CallbackDeliveryOutcome =
  | { kind: 'accepted'; status: string | null; duplicate: boolean; originalMessageId: string | null }
  | { kind: 'rejected'; code: string; status: string | null }
  /** Not a 2xx: classified exactly like a command answer. */
  | { kind: 'http_failure' };

const filled = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * What a 2xx answer to a result callback means (PROTOCOL §11.7): only `accepted: true` delivers
 * it; any other 2xx is a refusal that no retry can change.
 */
export function interpretCallbackResponse(response: TalktoTransportResponse): CallbackDeliveryOutcome {
  if (response.status < 200 || response.status > 299) {
    return { kind: 'http_failure' };
  }
  const json = parseJsonObject(response.body) ?? {};
  const status = filled(json.status) ? json.status : null;
  if (json.accepted === true) {
    return {
      kind: 'accepted',
      status,
      duplicate: json.duplicate === true,
      originalMessageId: filled(json.original_message_id) ? json.original_message_id : null,
    };
  }
  const code = filled(json.error)
    ? json.error
    : !('accepted' in json)
      ? 'invalid_callback_response'
      : (status ?? 'callback_rejected');
  return { kind: 'rejected', code, status };
}
