import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { TalktoAttemptEntity } from './entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from './entities/dead-letter.entity.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import type { TalktoMessageEntity } from './entities/message.entity.js';
import { insertRow } from './statements/index.js';
import type { DeadLetterInput, RecordAttemptInput, RecordEventInput } from './message-ledger.interfaces.js';
import { limitText } from './text-limit.util.js';

/** The service whose log an event belongs to: the sender for outgoing rows, the receiver otherwise. */
export function localServiceOf(message: TalktoMessageEntity): string {
  return message.direction === 'outgoing' ? message.sourceService : message.targetService;
}

export function insertEvent(manager: EntityManager, input: RecordEventInput): Promise<number> {
  return insertRow(manager, TalktoEventEntity, asRow(eventRow(input)));
}

/** The row of an event. */
export function eventRow(input: RecordEventInput): Partial<TalktoEventEntity> {
  const now = input.now ?? new Date();
  return {
    talktoMessageId: input.talktoMessageId,
    messageId: input.messageId,
    serviceName: input.serviceName,
    eventType: input.eventType,
    oldStatus: input.oldStatus ?? null,
    newStatus: input.newStatus ?? null,
    meta: input.meta ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The row of an attempt. */
export function attemptRow(input: RecordAttemptInput): Partial<TalktoAttemptEntity> {
  const now = input.now ?? new Date();
  return {
    talktoMessageId: input.talktoMessageId,
    messageId: input.messageId,
    stage: input.stage,
    attemptNo: input.attemptNo,
    status: input.status,
    httpStatus: input.httpStatus ?? null,
    errorClass: limitText(input.errorClass, 191),
    errorMessage: limitText(input.errorMessage),
    responseExcerpt: limitText(input.responseExcerpt),
    meta: input.meta ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * TypeORM's deep-partial row type cannot express free-form `simple-json` meta
 * (`Record<string, unknown>`); the values are plain entity fields, so the cast is safe.
 */
export function asRow<T>(values: Partial<T>): QueryDeepPartialEntity<T> {
  return values as QueryDeepPartialEntity<T>;
}

/**
 * One dead letter per message (BEHAVIOR §9.1): a new row is `open`; a row being reprocessed
 * becomes `failed_reprocess` with the fresh reason; any other existing row is left alone.
 * Returns the id of a newly inserted row, or null.
 */
export async function upsertDeadLetter(
  manager: EntityManager,
  message: TalktoMessageEntity,
  input: DeadLetterInput,
): Promise<number | null> {
  const now = input.now ?? new Date();
  const details = {
    failureReason: limitText(input.reason ?? message.lastError),
    exceptionClass: limitText(input.exceptionClass, 191),
    exceptionMessage: limitText(input.exceptionMessage),
    failedStatus: message.overallStatus,
    originalRetryCount: message.retryCount,
    updatedAt: now,
  };
  const existing = await manager.findOneBy(TalktoDeadLetterEntity, { talktoMessageId: message.id });
  if (existing) {
    if (existing.status === 'reprocessing') {
      await manager.update(
        TalktoDeadLetterEntity,
        { id: existing.id, status: 'reprocessing' },
        Object.assign({}, details, { status: 'failed_reprocess' as const }),
      );
    }
    return null;
  }
  const result = await manager.insert(
    TalktoDeadLetterEntity,
    Object.assign({}, details, {
      talktoMessageId: message.id,
      messageId: message.messageId,
      direction: message.direction,
      source: message.sourceService,
      target: message.targetService,
      command: message.command,
      payload: message.payload,
      status: 'open' as const,
      createdAt: now,
    }),
  );
  return Number(result.identifiers[0]!.id);
}
