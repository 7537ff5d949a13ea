import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { insertRow } from '../../lib/persistence/insert-row.util.js';
import { asRow } from '../../lib/persistence/message-history.writer.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

describe.each(DATABASE_KINDS)('insertRow on %s', (kind) => {
  let db: MigratedDatabase;
  const at = new Date('2026-03-01T10:00:00.250Z');

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('writes every value as TypeORM reads it back and returns the new id', async () => {
    const meta = { attempt_no: 2, note: 'Zoë "quoted"', nested: { ok: true, list: [1, 2.5] } };
    const first = await insertRow(
      db.dataSource.manager,
      TalktoEventEntity,
      asRow<TalktoEventEntity>({
        talktoMessageId: 41,
        messageId: 'm-1',
        serviceName: 'orders',
        eventType: 'message_received',
        oldStatus: null,
        newStatus: 'queued',
        meta,
        createdAt: at,
        updatedAt: at,
      }),
    );
    const second = await insertRow(
      db.dataSource.manager,
      TalktoEventEntity,
      asRow<TalktoEventEntity>({ messageId: 'm-2', serviceName: 'orders', eventType: 'x', meta: null }),
    );
    expect(second).toBeGreaterThan(first);
    const row = await db.dataSource.manager.findOneByOrFail(TalktoEventEntity, { id: first });
    expect(row).toMatchObject({
      talktoMessageId: 41,
      messageId: 'm-1',
      serviceName: 'orders',
      eventType: 'message_received',
      oldStatus: null,
      newStatus: 'queued',
      meta,
    });
    expect(row.createdAt?.toISOString()).toBe(at.toISOString());
    expect(row.updatedAt?.toISOString()).toBe(at.toISOString());
  });

  it('leaves an undefined property to the column default', async () => {
    const id = await insertRow(
      db.dataSource.manager,
      TalktoAttemptEntity,
      asRow<TalktoAttemptEntity>({
        messageId: 'm-3',
        stage: 'transport',
        status: 'sending',
        attemptNo: undefined,
      }),
    );
    const row = await db.dataSource.manager.findOneByOrFail(TalktoAttemptEntity, { id });
    expect(row.attemptNo).toBe(1);
    expect(row.talktoMessageId).toBeNull();
  });

  it('names the property an entity does not have', async () => {
    await expect(
      insertRow(db.dataSource.manager, TalktoEventEntity, asRow<TalktoEventEntity>({ nope: 1 } as never)),
    ).rejects.toThrow('TalktoEventEntity has no column for "nope"');
  });
});
