import type { DataSource, EntityManager } from 'typeorm';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { insertEvent } from './message-history.writer.js';
import type { RecordEventInput } from './message-ledger.interfaces.js';
import { findRow, runStandaloneWrite } from './statements/index.js';

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

  recordEvent(input: RecordEventInput, manager?: EntityManager): Promise<number> {
    return manager
      ? insertEvent(manager, input)
      : runStandaloneWrite(this.dataSource, (own) => insertEvent(own, input));
  }
}
