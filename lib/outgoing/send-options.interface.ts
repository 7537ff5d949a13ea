import type { EntityManager } from 'typeorm';

export interface TalktoSendOptions {
  /** Message id on the wire (default: a random UUID). Retries reuse it. */
  messageId?: string;
  /** Groups related messages (default: a random UUID). */
  correlationId?: string;
  /** The message this one derives from. */
  parentMessageId?: string;
  /** Free-form business reference for operators (≤191 characters). */
  businessKey?: string;
  /** Deduplicates sends: the same key for the same target and command returns the first message. */
  idempotencyKey?: string;
  /** Payload schema version (default 1). */
  schemaVersion?: number;
  /** Attempts for this message, first send included (default: the retry layers for target and command, else 5). */
  maxAttempts?: number;
  /**
   * W3C `traceparent` sent with the message (never signed). Default: the active OpenTelemetry span
   * when `@opentelemetry/api` is installed, else none. An invalid value is ignored.
   */
  traceparent?: string;
  /**
   * The caller's transaction: the message is written in it and dispatched only after it commits,
   * so a rollback leaves nothing to send.
   */
  manager?: EntityManager;
}

/** What `send()` stored. Delivery happens in the background. */
export interface TalktoSentMessage {
  /** Database id of the outgoing row. */
  id: number;
  messageId: string;
  correlationId: string | null;
  payloadHash: string;
  /** `waiting_to_send` when new; the existing row's status for an idempotent repeat. */
  status: string;
  /** True when an earlier message with the same idempotency key was returned instead. */
  duplicate: boolean;
}
