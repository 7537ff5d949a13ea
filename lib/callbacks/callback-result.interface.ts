import type { CallbackStatus } from './callback-payload.js';

/** A result callback as the host's `@OnTalktoResult` handler sees it (plain JS values). */
export interface TalktoCallbackResult {
  /** The callback message's own id (`cb-…`). */
  callbackMessageId: string;
  originalMessageId: string;
  originalCommand: string;
  status: CallbackStatus;
  succeeded: boolean;
  retryable: boolean;
  skipped: boolean;
  errorClass: string | null;
  errorMessage: string | null;
  /** The handler's result data on the peer (empty object when none). */
  result: Record<string, unknown>;
  meta: Record<string, unknown>;
}

/** The outgoing command the callback answers, after the callback was applied. */
export interface TalktoOriginalMessage {
  id: number;
  messageId: string;
  correlationId: string | null;
  businessKey: string | null;
  target: string;
  command: string;
  overallStatus: string;
  destinationActionStatus: string | null;
  payload: unknown;
}

/** Implemented by classes decorated with `@OnTalktoResult(command)`. */
export interface TalktoResultHandler {
  handle(result: TalktoCallbackResult, original: TalktoOriginalMessage): unknown;
}
