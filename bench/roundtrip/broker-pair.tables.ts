/**
 * The tables and transactions of the broker pairs (BullMQ, RabbitMQ), as a Nest team would write
 * them without Talkto: the sender keeps an outgoing row per command and stores the result on it;
 * the receiver writes an inbox row under a unique message id in the same transaction as the
 * handler's effect, so a redelivered job runs the handler once.
 */
import { TypeOrmModule } from '@nestjs/typeorm';
import { type DataSource, EntitySchema } from 'typeorm';
import type { TestDatabase } from '../../test/support/databases.js';

interface OutgoingCommand {
  id: number;
  messageId: string;
  command: string;
  payload: string;
  status: string;
  result: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

interface InboxCommand {
  id: number;
  messageId: string;
  command: string;
  payload: string;
  receivedAt: Date;
}

const OutgoingCommandSchema = new EntitySchema<OutgoingCommand>({
  name: 'OutgoingCommand',
  tableName: 'outgoing_commands',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    messageId: { type: String, length: 100, unique: true },
    command: { type: String, length: 150 },
    payload: { type: 'text' },
    status: { type: String, length: 30 },
    result: { type: 'text', nullable: true },
    createdAt: { type: 'timestamp', createDate: true },
    completedAt: { type: 'timestamp', nullable: true },
  },
});

const InboxCommandSchema = new EntitySchema<InboxCommand>({
  name: 'InboxCommand',
  tableName: 'inbox_commands',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    messageId: { type: String, length: 100, unique: true },
    command: { type: String, length: 150 },
    payload: { type: 'text' },
    receivedAt: { type: 'timestamp', createDate: true },
  },
});

export const SENDER_ENTITIES: EntitySchema[] = [OutgoingCommandSchema];
export const RECEIVER_ENTITIES: EntitySchema[] = [InboxCommandSchema];

/** One side's database, its tables created from the entities (a bench database, dropped afterwards). */
export function pairDatabase(db: TestDatabase, entities: EntitySchema[]) {
  return TypeOrmModule.forRoot({ ...db.options, entities, synchronize: true, logging: false } as Parameters<
    typeof TypeOrmModule.forRoot
  >[0]);
}

/** What travels on the command queue and back on the result queue. */
export interface CommandMessage {
  messageId: string;
  command: string;
  payload: unknown;
}

export interface ResultMessage {
  messageId: string;
  status: 'succeeded' | 'duplicate';
  result: unknown;
}

/** The sender's half before the job is added: the outgoing row. */
export async function recordOutgoing(dataSource: DataSource, message: CommandMessage): Promise<void> {
  await dataSource.getRepository(OutgoingCommandSchema).insert({
    messageId: message.messageId,
    command: message.command,
    payload: JSON.stringify(message.payload),
    status: 'pending',
  });
}

/**
 * The receiver's half: inbox row and handler effect in one transaction. A message id already in
 * the inbox is a redelivery: the handler does not run again and the result says so.
 */
export async function receiveCommand(
  dataSource: DataSource,
  message: CommandMessage,
  handle: (payload: unknown) => unknown,
): Promise<ResultMessage> {
  return dataSource.transaction(async (tx) => {
    const inserted = await tx
      .createQueryBuilder()
      .insert()
      .into(InboxCommandSchema)
      .values({
        messageId: message.messageId,
        command: message.command,
        payload: JSON.stringify(message.payload),
      })
      .orIgnore()
      .execute();
    // PostgreSQL: ON CONFLICT DO NOTHING returns no row for a message id already stored.
    if ((inserted.raw as unknown[]).length === 0) {
      return { messageId: message.messageId, status: 'duplicate', result: null };
    }
    return { messageId: message.messageId, status: 'succeeded', result: await handle(message.payload) };
  });
}

/** The sender stores the result on its outgoing row, once (a conditional update). */
export async function storeResult(dataSource: DataSource, result: ResultMessage): Promise<boolean> {
  const updated = await dataSource
    .getRepository(OutgoingCommandSchema)
    .update(
      { messageId: result.messageId, status: 'pending' },
      { status: 'completed', result: JSON.stringify(result.result), completedAt: new Date() },
    );
  return updated.affected === 1;
}
