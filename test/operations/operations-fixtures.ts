import type { DataSource } from 'typeorm';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';

export const NOW = new Date('2026-03-01T12:00:00.000Z');

export function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * 60_000);
}

/** Inserts a message row as the pipelines would have left it; only the columns a test cares about vary. */
export async function seedMessage(
  dataSource: DataSource,
  row: Partial<TalktoMessageEntity> & Pick<TalktoMessageEntity, 'messageId'>,
): Promise<TalktoMessageEntity> {
  const outgoing = (row.direction ?? 'outgoing') === 'outgoing';
  return dataSource.getRepository(TalktoMessageEntity).save({
    direction: 'outgoing',
    sourceService: outgoing ? 'shop' : 'billing',
    targetService: outgoing ? 'billing' : 'shop',
    command: 'billing.create-invoice',
    overallStatus: 'completed',
    payload: '{"order_id":7,"card":{"token":"tok_live_123","last4":"4242"}}',
    payloadHash: 'hash',
    createdAt: minutesAgo(30),
    updatedAt: minutesAgo(30),
    ...row,
  });
}

export async function seedAttempt(
  dataSource: DataSource,
  message: TalktoMessageEntity,
  row: Partial<TalktoAttemptEntity> = {},
): Promise<TalktoAttemptEntity> {
  return dataSource.getRepository(TalktoAttemptEntity).save({
    talktoMessageId: message.id,
    messageId: message.messageId,
    stage: 'transport',
    status: 'sent',
    createdAt: message.createdAt,
    ...row,
  });
}

export async function seedEvent(
  dataSource: DataSource,
  message: TalktoMessageEntity,
  row: Partial<TalktoEventEntity> & Pick<TalktoEventEntity, 'eventType'>,
): Promise<TalktoEventEntity> {
  return dataSource.getRepository(TalktoEventEntity).save({
    talktoMessageId: message.id,
    messageId: message.messageId,
    serviceName: 'shop',
    createdAt: message.createdAt,
    ...row,
  });
}

export async function seedDeadLetter(
  dataSource: DataSource,
  message: TalktoMessageEntity,
  row: Partial<TalktoDeadLetterEntity> = {},
): Promise<TalktoDeadLetterEntity> {
  return dataSource.getRepository(TalktoDeadLetterEntity).save({
    talktoMessageId: message.id,
    messageId: message.messageId,
    direction: message.direction,
    command: message.command,
    payload: message.payload,
    failedStatus: message.overallStatus,
    status: 'open',
    createdAt: message.createdAt,
    ...row,
  });
}
