import type { EntityEventOperation } from '../../persistence/entities/entity-event.entity.js';

export type { EntityEventOperation };

/** A remote command an entity event is forwarded as, through `TalktoClient`. */
export interface TalktoEntityEventForward {
  /** Outgoing target (a key of `outgoing`). */
  target: string;
  /** One command for every watched operation, or one per operation (unlisted ones are not forwarded). */
  command: string | Partial<Record<EntityEventOperation, string>>;
}

/** What to watch on one entity class; the same shape as `@TalktoEntityEvents()`. */
export interface TalktoEntityEventsWatch {
  /** Operations that raise events (default all three). */
  on?: EntityEventOperation[];
  /** Forward each event as a signed command (default none). */
  forward?: TalktoEntityEventForward | TalktoEntityEventForward[];
  /** Properties whose values are replaced by `[redacted]` in stored and forwarded data (default none). */
  redact?: string[];
}

/** One watched entity in the module options: the class (or its TypeORM entity name) and what to watch. */
export interface TalktoEntityEventsEntry extends TalktoEntityEventsWatch {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entity: Function | string;
}

/** Delivery of entity events to local handlers and forwards. */
export interface TalktoEntityEventDeliveryOptions {
  /** Runs per handler, the first included, before it is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Waits between runs, in seconds; the last repeats (default 10, 30, 60, 120, 300). */
  backoffSeconds?: number[];
  /** How often undelivered events are looked for, e.g. after a crash, in seconds (default 5). */
  recoveryIntervalSeconds?: number;
  /** Parallel event jobs per process (default 4). */
  concurrency?: number;
}
