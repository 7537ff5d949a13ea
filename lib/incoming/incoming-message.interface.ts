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
  /** 1 on the first run, higher on retries and reprocessing. */
  attempt: number;
  payload: TPayload;
  /**
   * Present for handlers declared `transactional: true`: writes made through it commit together
   * with the message's move to its final state.
   */
  manager?: EntityManager;
}

export interface TalktoCommandHandler<TPayload = unknown> {
  handle(payload: TPayload, message: IncomingMessage<TPayload>): unknown;
}
