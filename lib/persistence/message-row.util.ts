import type { DataSource } from 'typeorm';
import { idempotencyFingerprint } from '../protocol/derived-ids.util.js';
import { type MessageDirection, TalktoMessageEntity } from './entities/message.entity.js';
import type { CreateOutgoingInput, InsertIncomingInput } from './message-ledger.interfaces.js';
import { MessageStatus as S } from './message.statuses.js';

/** How a new outgoing message starts, unless its source action failed. */
export const OUTGOING_START = { transportStatus: S.pending, overallStatus: S.waitingToSend } as const;

export function outgoingFingerprint(input: CreateOutgoingInput): string | null {
  return idempotencyFingerprint('outgoing', input.source, input.target, input.command, input.idempotencyKey);
}

/** A new outgoing row's values and the meta of its `message_created` event. */
export function newOutgoing(
  input: CreateOutgoingInput,
  fingerprint: string | null,
  state: Partial<TalktoMessageEntity>,
  now: Date,
): { values: Partial<TalktoMessageEntity>; meta: Record<string, unknown> } {
  return {
    values: Object.assign(
      {},
      identity(input, 'outgoing', fingerprint, now),
      { maxAttempts: input.maxAttempts, sourceActionStatus: input.sourceActionStatus ?? S.succeededAssumed },
      state,
    ),
    meta: withoutNulls(
      Object.assign({}, input.eventMeta, {
        source: input.source,
        target: input.target,
        command: input.command,
        business_key: input.businessKey,
        idempotency_key: input.idempotencyKey,
      }),
    ),
  };
}

/** Per data source: every message column's property with the value a new row gets when none is written. */
const messageTemplates = new WeakMap<DataSource, Record<string, unknown>>();

/**
 * A message row as a re-read would return it once inserted (`id` is set by the caller): every
 * column is written by the ledger, else takes its literal default, else is null.
 */
export function messageRow(
  dataSource: DataSource,
  values: Partial<TalktoMessageEntity>,
): TalktoMessageEntity {
  let template = messageTemplates.get(dataSource);
  if (template === undefined) {
    template = Object.fromEntries(
      dataSource
        .getMetadata(TalktoMessageEntity)
        .columns.map((column) => [
          column.propertyName,
          typeof column.default === 'function' ? undefined : (column.default ?? null),
        ]),
    );
    messageTemplates.set(dataSource, template);
  }
  // A copy of the template keeps one fast object shape. Adding ~40 properties one by one to a new
  // entity turns it into a dictionary object, which cost ~5 µs here and ~15 µs per later copy.
  const row: Record<string, unknown> = { ...template };
  const written = values as Record<string, unknown>;
  for (const property in written) {
    const value = written[property];
    if (value !== undefined && Object.hasOwn(template, property)) row[property] = value;
  }
  return Object.setPrototypeOf(row, TalktoMessageEntity.prototype) as TalktoMessageEntity;
}

/**
 * `row` with `changes` applied, as a new entity. A copy keeps the row's hidden class; its ~40
 * columns added one by one to a new entity would make a dictionary object, read slowly
 * everywhere the row goes.
 */
export function changedRow(
  row: TalktoMessageEntity,
  ...changes: Array<Partial<TalktoMessageEntity>>
): TalktoMessageEntity {
  return Object.setPrototypeOf(
    Object.assign({ ...row }, ...changes),
    TalktoMessageEntity.prototype,
  ) as TalktoMessageEntity;
}

/** The columns of a new message that come from its envelope. */
export function identity(
  input: CreateOutgoingInput | InsertIncomingInput,
  direction: MessageDirection,
  fingerprint: string | null,
  now: Date,
): Partial<TalktoMessageEntity> {
  return {
    messageId: input.messageId,
    correlationId: input.correlationId ?? null,
    parentMessageId: input.parentMessageId ?? null,
    direction,
    sourceService: input.source,
    targetService: input.target,
    command: input.command,
    businessKey: input.businessKey ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    idempotencyFingerprint: fingerprint,
    payload: input.payload,
    payloadHash: input.payloadHash,
    schemaVersion: input.schemaVersion ?? 1,
    traceparent: input.traceparent ?? null,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

export function withoutNulls(values: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(values)) {
    const value = values[key];
    if (value !== null && value !== undefined) kept[key] = value;
  }
  return kept;
}
