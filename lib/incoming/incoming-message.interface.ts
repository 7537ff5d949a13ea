import type { EntityManager } from 'typeorm';

/** The stored incoming message as a handler sees it. */
export interface IncomingMessage<TPayload = unknown> {
  /** Database id of the stored row. */
  id: number;
  messageId: string;
  correlationId: string | null;
  parentMessageId: string | null;
  source: string;
  target: string;
  command: string;
  businessKey: string | null;
  idempotencyKey: string | null;
  schemaVersion: number;
  /** The sender's W3C `traceparent`, to continue its trace in the handler (null when none was sent). */
  traceparent?: string | null;
  /** 1 on the first run, higher on retries and reprocessing. */
  attempt: number;
  payload: TPayload;
  /**
   * Only for `transactional` handlers: the transaction that will also record the outcome. Write
   * through it for an exactly-once effect; work done elsewhere is at-least-once.
   */
  manager?: EntityManager;
}

export interface TalktoCommandHandler<TPayload = unknown> {
  handle(payload: TPayload, message: IncomingMessage<TPayload>): unknown;
}
