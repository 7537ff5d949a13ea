import type { DataSource, EntityManager } from 'typeorm';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { eventRow, insertEvent } from './message-history.writer.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import type { RecordEventInput } from './message-ledger.interfaces.js';
import { findRow, insertStandalone } from './statements/index.js';

/** Reads of message rows, and events recorded beside them; nothing here changes a status. */
export class MessageLog {
  constructor(private readonly dataSource: DataSource) {}

  findById(id: number): Promise<TalktoMessageEntity | null> {
    return findRow(this.dataSource.manager, TalktoMessageEntity, { id });
  }

  findByMessageId(messageId: string): Promise<TalktoMessageEntity | null> {
    return findRow(this.dataSource.manager, TalktoMessageEntity, { messageId });
  }

  /** Only outgoing rows: a callback never matches a message this service received. */
  findOutgoingByMessageId(messageId: string): Promise<TalktoMessageEntity | null> {
    return findRow(this.dataSource.manager, TalktoMessageEntity, { messageId, direction: 'outgoing' });
  }

  existsByMessageId(messageId: string): Promise<boolean> {
    return this.dataSource.manager.existsBy(TalktoMessageEntity, { messageId });
  }

  /** In `manager`'s transaction when given; else alone (on PostgreSQL, batched with its like). */
  recordEvent(input: RecordEventInput, manager?: EntityManager): Promise<number> {
    return manager
      ? insertEvent(manager, input)
      : insertStandalone(this.dataSource, TalktoEventEntity, eventRow(input));
  }
}
