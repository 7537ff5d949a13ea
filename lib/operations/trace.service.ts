import { Inject, Injectable } from '@nestjs/common';
import { Brackets, type DataSource, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { TalktoUsageError } from '../errors/talkto-usage.error.js';
import { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import { checkIntegerRange } from './operations-input.util.js';
import { REDACTED, TalktoRedactor } from './talkto.redactor.js';
import type {
  TalktoTrace,
  TimelineEntry,
  TraceQuery,
  TracedAttempt,
  TracedDeadLetter,
  TracedEvent,
  TracedMessage,
} from './trace.interfaces.js';

const MESSAGE_MOMENTS = [
  ['createdAt', 'created'],
  ['sentAt', 'sent'],
  ['receivedAt', 'received'],
  ['processingStartedAt', 'processing started'],
  ['completedAt', 'completed'],
  ['failedAt', 'failed'],
] as const;

/** Messages, attempts, events, dead letters and a timeline for one message or correlation id. */
@Injectable()
export class TraceService {
  constructor(
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly redactor: TalktoRedactor,
  ) {}

  async trace(query: TraceQuery): Promise<TalktoTrace> {
    const limit = checkIntegerRange(query.limit ?? 100, 'limit', 1, 500);
    const messageId = query.messageId?.trim() || null;
    const correlationId = query.correlationId?.trim() || null;
    if (messageId === null && correlationId === null) {
      throw new TalktoUsageError('message id', 'provide a message id or a correlation id');
    }
    const reveal = query.includePayload === true;
    const repository = this.dataSource.manager.getRepository(TalktoMessageEntity);

    let anchor: TalktoMessageEntity | null;
    let rows: TalktoMessageEntity[];
    let truncated = false;
    if (messageId !== null) {
      anchor = await repository.findOne({ where: { messageId } });
      const related = this.limited(
        repository
          .createQueryBuilder('m')
          .where('m.message_id = :messageId OR m.parent_message_id = :messageId', { messageId }),
        limit,
      );
      if (anchor?.correlationId) {
        related.orWhere('m.correlation_id = :correlationId', { correlationId: anchor.correlationId });
      }
      if (anchor?.parentMessageId) {
        related.orWhere('m.message_id = :parentId', { parentId: anchor.parentMessageId });
      }
      rows = await related.getMany();
    } else {
      rows = await this.limited(
        repository.createQueryBuilder('m').where('m.correlation_id = :correlationId', { correlationId }),
        limit,
      ).getMany();
      anchor = rows[0] ?? null;
    }
    if (rows.length > limit) {
      rows = rows.slice(0, limit);
      truncated = true;
    }

    const ids = rows.map((row) => row.id);
    const messageIds = rows.map((row) => row.messageId);
    const [attempts, events, deadLetters] = await Promise.all([
      this.linked(TalktoAttemptEntity, 'a', ids, messageIds, limit),
      this.linked(TalktoEventEntity, 'e', ids, messageIds, limit),
      this.linked(TalktoDeadLetterEntity, 'd', ids, messageIds, limit),
    ]);
    truncated ||= attempts.truncated || events.truncated || deadLetters.truncated;

    const messages = rows.map((row) => this.presentMessage(row, reveal));
    const tracedAttempts = attempts.rows.map((row) => this.presentAttempt(row));
    const tracedEvents = events.rows.map((row) => this.presentEvent(row));
    const tracedDeadLetters = deadLetters.rows.map((row) => this.presentDeadLetter(row, reveal));
    let timeline = this.timeline(messages, tracedAttempts, tracedEvents, tracedDeadLetters);
    if (timeline.length > limit) {
      timeline = timeline.slice(0, limit);
      truncated = true;
    }
    const anchorView = anchor === null ? null : this.presentMessage(anchor, reveal);
    const tracedId = messageId ?? anchorView?.messageId ?? null;

    return {
      found: anchor !== null,
      query: { messageId, correlationId },
      anchor: anchorView,
      correlationId: anchor?.correlationId ?? correlationId,
      messages,
      callbacks: tracedId === null ? [] : messages.filter((row) => row.parentMessageId === tracedId),
      attempts: tracedAttempts,
      events: tracedEvents,
      deadLetters: tracedDeadLetters,
      timeline,
      truncated,
      limit,
    };
  }

  /** One row more than asked for tells us whether the section was cut. */
  private limited(
    builder: SelectQueryBuilder<TalktoMessageEntity>,
    limit: number,
  ): SelectQueryBuilder<TalktoMessageEntity> {
    return builder
      .orderBy('m.created_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .limit(limit + 1);
  }

  private async linked<T extends ObjectLiteral>(
    entity: new () => T,
    alias: string,
    ids: number[],
    messageIds: string[],
    limit: number,
  ): Promise<{ rows: T[]; truncated: boolean }> {
    if (ids.length === 0) {
      return { rows: [], truncated: false };
    }
    const rows = await this.dataSource.manager
      .createQueryBuilder(entity, alias)
      .where(
        new Brackets((any) =>
          any
            .where(`${alias}.talkto_message_id IN (:...ids)`, { ids })
            .orWhere(`${alias}.message_id IN (:...messageIds)`, { messageIds }),
        ),
      )
      .orderBy(`${alias}.created_at`, 'ASC')
      .addOrderBy(`${alias}.id`, 'ASC')
      .limit(limit + 1)
      .getMany();
    return { rows: rows.slice(0, limit), truncated: rows.length > limit };
  }

  private text(value: string | null): string | null {
    return value === null ? null : this.redactor.redactText(value);
  }

  private presentMessage(row: TalktoMessageEntity, reveal: boolean): TracedMessage {
    return {
      id: row.id,
      messageId: row.messageId,
      correlationId: row.correlationId,
      parentMessageId: row.parentMessageId,
      direction: row.direction,
      sourceService: row.sourceService,
      targetService: row.targetService,
      command: row.command,
      businessKey: this.text(row.businessKey),
      idempotencyKey: this.text(row.idempotencyKey),
      overallStatus: row.overallStatus,
      transportStatus: row.transportStatus,
      destinationReceiveStatus: row.destinationReceiveStatus,
      destinationActionStatus: row.destinationActionStatus,
      attempts: row.attempts,
      retryCount: row.retryCount,
      maxAttempts: row.maxAttempts,
      nextRetryAt: row.nextRetryAt,
      lastHttpStatus: row.lastHttpStatus,
      lastError: this.text(row.lastError),
      payloadHash: row.payloadHash,
      payload: this.redactor.presentPayload(row.payload, reveal),
      createdAt: row.createdAt,
      sentAt: row.sentAt,
      receivedAt: row.receivedAt,
      processingStartedAt: row.processingStartedAt,
      completedAt: row.completedAt,
      failedAt: row.failedAt,
    };
  }

  private presentAttempt(row: TalktoAttemptEntity): TracedAttempt {
    return {
      id: row.id,
      messageId: row.messageId,
      stage: row.stage,
      attemptNo: row.attemptNo,
      status: row.status,
      httpStatus: row.httpStatus,
      errorClass: row.errorClass,
      errorMessage: this.text(row.errorMessage),
      requestExcerpt: this.text(row.requestExcerpt),
      responseExcerpt: this.text(row.responseExcerpt),
      meta: this.redactor.redact(row.meta),
      createdAt: row.createdAt,
    };
  }

  private presentEvent(row: TalktoEventEntity): TracedEvent {
    return {
      id: row.id,
      messageId: row.messageId,
      serviceName: row.serviceName,
      eventType: row.eventType,
      oldStatus: row.oldStatus,
      newStatus: row.newStatus,
      meta: this.redactor.redact(row.meta),
      createdAt: row.createdAt,
    };
  }

  private presentDeadLetter(row: TalktoDeadLetterEntity, reveal: boolean): TracedDeadLetter {
    return {
      id: row.id,
      messageId: row.messageId,
      direction: row.direction,
      command: row.command,
      status: row.status,
      failedStatus: row.failedStatus,
      failureReason: this.text(row.failureReason),
      exceptionClass: row.exceptionClass,
      exceptionMessage: this.text(row.exceptionMessage),
      reprocessCount: row.reprocessCount,
      headers: row.headers === null ? null : REDACTED,
      payload: this.redactor.presentPayload(row.payload, reveal),
      createdAt: row.createdAt,
    };
  }

  private timeline(
    messages: TracedMessage[],
    attempts: TracedAttempt[],
    events: TracedEvent[],
    deadLetters: TracedDeadLetter[],
  ): TimelineEntry[] {
    const entries: TimelineEntry[] = [];
    for (const message of messages) {
      for (const [field, label] of MESSAGE_MOMENTS) {
        const at = message[field];
        if (at) {
          entries.push({ at, messageId: message.messageId, kind: 'message', label });
        }
      }
    }
    for (const attempt of attempts) {
      if (attempt.createdAt) {
        const label = `attempt #${attempt.attemptNo} ${attempt.stage} ${attempt.status}`;
        entries.push({ at: attempt.createdAt, messageId: attempt.messageId, kind: 'attempt', label });
      }
    }
    for (const event of events) {
      if (event.createdAt) {
        entries.push({
          at: event.createdAt,
          messageId: event.messageId,
          kind: 'event',
          label: event.eventType,
        });
      }
    }
    for (const deadLetter of deadLetters) {
      if (deadLetter.createdAt) {
        const label = `dead letter ${deadLetter.status}`;
        entries.push({
          at: deadLetter.createdAt,
          messageId: deadLetter.messageId,
          kind: 'dead_letter',
          label,
        });
      }
    }
    // Stable sort: same-millisecond entries keep message → attempt → event → dead-letter order.
    return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
  }
}
