import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { PhpArray, type PhpValue } from '../protocol/json/php-value.js';

export type CallbackStatus = 'succeeded' | 'skipped' | 'failed_retryable' | 'failed_final';

export const CALLBACK_STATUSES: readonly CallbackStatus[] = [
  'succeeded',
  'skipped',
  'failed_retryable',
  'failed_final',
];

export function isCallbackStatus(value: unknown): value is CallbackStatus {
  return (CALLBACK_STATUSES as readonly unknown[]).includes(value);
}

/** What a callback reports about one processed command. */
export interface CallbackReport {
  status: CallbackStatus;
  errorClass: string | null;
  errorMessage: string | null;
  result: Record<string, unknown>;
  meta: Record<string, unknown>;
}

/**
 * The callback payload with its keys in the order a PHP sender writes them (PROTOCOL §11.3). The
 * body keeps insertion order, so the order is part of the wire format even though the hash is not.
 * Empty `result`/`meta` maps become `[]` once the payload is frozen, as in PHP.
 */
export function callbackPayload(
  original: { messageId: string; command: string },
  report: CallbackReport,
): Record<string, unknown> {
  return {
    original_message_id: original.messageId,
    original_command: original.command,
    status: report.status,
    succeeded: report.status === 'succeeded' || report.status === 'skipped',
    retryable: report.status === 'failed_retryable',
    skipped: report.status === 'skipped',
    error_class: report.errorClass,
    error_message: report.errorMessage,
    result: report.result,
    meta: report.meta,
  };
}

/** A scalar PHP would not call empty (`empty()`): what §11.1 demands of the identifying keys. */
function isFilledScalar(value: PhpValue | undefined): boolean {
  if (typeof value === 'string') {
    return value !== '' && value !== '0';
  }
  if (typeof value === 'bigint') {
    return value !== 0n;
  }
  if (typeof value === 'number') {
    return value !== 0;
  }
  return value === true;
}

/**
 * Whether a stored outgoing message is a result callback (PROTOCOL §11.1): the callback command and
 * a payload naming the original message, its command and a status. Such rows go to the callback URL.
 */
export function isCallbackMessage(command: string, payload: PhpValue, callbackCommand: string): boolean {
  return (
    command === callbackCommand &&
    payload instanceof PhpArray &&
    ['original_message_id', 'original_command', 'status'].every((key) => isFilledScalar(payload.get(key)))
  );
}

/** `isCallbackMessage` for a stored row, whose payload is body-JSON text. */
export function isCallbackRow(
  message: { command: string; payload: string | null },
  callbackCommand: string,
): boolean {
  if (message.command !== callbackCommand || message.payload === null) {
    return false;
  }
  try {
    return isCallbackMessage(message.command, decodeTalktoJson(message.payload), callbackCommand);
  } catch {
    return false; // An undecodable payload fails the integrity check when the request is built.
  }
}
