import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TALKTO_ENTITIES } from '../../lib/persistence/entities/talkto.entities.js';
import {
  findRow,
  INCREMENT,
  insertRow,
  isPassThrough,
  SqlExpression,
  updateRows,
} from '../../lib/persistence/statements/row-statements.js';
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

  it('writes each row its own values and dates when rows name the same columns, or other ones', async () => {
    const later = new Date('2026-03-01T10:00:01.999Z');
    const rows = [
      { messageId: 'same-1', eventType: 'a', createdAt: at, updatedAt: later },
      { messageId: 'same-2', eventType: 'b', createdAt: later, updatedAt: at },
      { messageId: 'same-3', createdAt: later, updatedAt: later, eventType: 'c' },
      { messageId: 'same-4', eventType: 'd', createdAt: at, updatedAt: at },
    ];
    for (const values of rows) {
      const id = await insertRow(
        db.dataSource.manager,
        TalktoEventEntity,
        asRow<TalktoEventEntity>({ ...values, serviceName: 'orders' }),
      );
      const row = await db.dataSource.manager.findOneByOrFail(TalktoEventEntity, { id });
      expect(row).toMatchObject({ messageId: values.messageId, eventType: values.eventType });
      expect(row.createdAt?.toISOString()).toBe(values.createdAt.toISOString());
      expect(row.updatedAt?.toISOString()).toBe(values.updatedAt.toISOString());
    }
  });

  it('passes values through only for columns whose values TypeORM writes unchanged', () => {
    const columns = TALKTO_ENTITIES.flatMap((entity) => db.dataSource.getMetadata(entity).columns);
    const passing = columns.filter(isPassThrough);
    expect(passing.map((column) => column.propertyName)).toEqual(
      expect.arrayContaining(['messageId', 'payload', 'overallStatus', 'attempts', 'eventType']),
    );
    for (const column of passing) {
      const sample = column.type === 'int' || column.type === 'bigint' ? 2 ** 40 + 1 : 'Zoë "x" \\ 1';
      expect(db.dataSource.driver.preparePersistentValue(sample, column)).toBe(sample);
    }
    // A transformer or a type TypeORM converts (dates, JSON) always goes through TypeORM.
    const converted = columns.filter((column) => !isPassThrough(column)).map((column) => column.propertyName);
    expect(converted).toEqual(expect.arrayContaining(['createdAt', 'meta', 'talktoMessageId']));
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

  it('updates only the rows every condition matches and reports how many', async () => {
    const at2 = new Date('2026-03-02T08:30:00.125Z');
    const id = await insertRow(
      db.dataSource.manager,
      TalktoDeadLetterEntity,
      asRow<TalktoDeadLetterEntity>({
        messageId: 'm-4',
        status: 'reprocessing',
        createdAt: at,
        updatedAt: at,
      }),
    );
    const update = (status: string) =>
      updateRows(
        db.dataSource.manager,
        TalktoDeadLetterEntity,
        {
          status: 'reprocessed',
          reprocessCount: INCREMENT,
          reprocessedAt: new SqlExpression(
            (column, bind) => `COALESCE(${column}, ${bind(at2, 'reprocessedAt')})`,
          ),
          updatedAt: at2,
        },
        {
          equal: { id, status, talktoMessageId: null },
          sql: (bind) => `created_at < ${bind(at2, 'createdAt')}`,
        },
      );
    expect(await update('open')).toBe(0);
    expect(await update('reprocessing')).toBe(1);
    const row = await db.dataSource.manager.findOneByOrFail(TalktoDeadLetterEntity, { id });
    expect(row).toMatchObject({ status: 'reprocessed', reprocessCount: 1 });
    expect(row.reprocessedAt?.toISOString()).toBe(at2.toISOString());
    expect(row.updatedAt?.toISOString()).toBe(at2.toISOString());
  });

  it('reads a matching row exactly as TypeORM hydrates it, or null', async () => {
    const id = await insertRow(
      db.dataSource.manager,
      TalktoEventEntity,
      asRow<TalktoEventEntity>({
        talktoMessageId: 7,
        messageId: 'm-5',
        serviceName: 'orders',
        eventType: 'message_sent',
        meta: { http_status: 202, list: ['a', null] },
        createdAt: at,
        updatedAt: null,
      }),
    );
    const ours = await findRow(db.dataSource.manager, TalktoEventEntity, { id });
    expect(ours).toBeInstanceOf(TalktoEventEntity);
    expect(ours).toEqual(await db.dataSource.manager.findOneByOrFail(TalktoEventEntity, { id }));
    expect(
      await findRow(db.dataSource.manager, TalktoEventEntity, {
        messageId: 'm-5',
        eventType: 'message_sent',
      }),
    ).toEqual(ours);
    expect(await findRow(db.dataSource.manager, TalktoEventEntity, { id: id + 1000 })).toBeNull();
  });
});
