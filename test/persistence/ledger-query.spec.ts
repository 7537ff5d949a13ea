import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Logger, QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { runLedgerQuery } from '../../lib/persistence/statements/ledger-query.js';
import { findRow, insertRow } from '../../lib/persistence/statements/row-statements.js';
import { asRow } from '../../lib/persistence/message-history.writer.js';
import { isUniqueViolation } from '../../lib/persistence/statements/unique-violation.util.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

function eventRow(messageId: string) {
  return asRow<TalktoEventEntity>({ messageId, serviceName: 'orders', eventType: 'probe', meta: null });
}

describe.each(DATABASE_KINDS)('runLedgerQuery on %s', (kind) => {
  let db: MigratedDatabase;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('runs in the caller transaction: a rollback takes its writes back', async () => {
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    const id = await insertRow(runner.manager, TalktoEventEntity, eventRow('tx-1'));
    expect(await findRow(runner.manager, TalktoEventEntity, { id })).toMatchObject({ messageId: 'tx-1' });
    await runner.rollbackTransaction();
    await runner.release();
    expect(await findRow(db.dataSource.manager, TalktoEventEntity, { id })).toBeNull();
  });

  // better-sqlite3 has one connection and TypeORM lets a released runner keep using it.
  if (kind !== 'sqlite') {
    it('refuses a released query runner instead of borrowing its old pooled connection', async () => {
      const runner = db.dataSource.createQueryRunner();
      await runner.connect();
      await runner.release();
      await expect(findRow(runner.manager, TalktoEventEntity, { id: 1 })).rejects.toBeInstanceOf(
        QueryRunnerAlreadyReleasedError,
      );
    });
  }

  it('fails with TypeORM’s QueryFailedError, the driver error inside, and logs the failure', async () => {
    const seen: string[] = [];
    const original = db.dataSource.logger;
    const logger: Logger = {
      logQuery: (query) => seen.push(`query ${query}`),
      logQueryError: (error, query) => seen.push(`error ${query}`),
      logQuerySlow: () => undefined,
      logSchemaBuild: () => undefined,
      logMigration: () => undefined,
      log: () => undefined,
    };
    Object.assign(db.dataSource, { logger });
    try {
      const table = db.dataSource.driver.escape('talkto_nonces');
      const insert = `INSERT INTO ${table} (nonce_hash, source_service, target_service) VALUES ('h-dup', 'a', 'b')`;
      await runLedgerQuery(db.dataSource.manager, insert, []);
      const failure = await runLedgerQuery(db.dataSource.manager, insert, []).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(QueryFailedError);
      expect(isUniqueViolation(failure)).toBe(true);
      expect(seen).toEqual([`query ${insert}`, `query ${insert}`, `error ${insert}`]);
    } finally {
      Object.assign(db.dataSource, { logger: original });
    }
  });

  if (kind === 'sqlite') {
    it('prepares each statement text once per connection', async () => {
      const connection = (await db.dataSource.createQueryRunner().connect()) as {
        prepare(sql: string): unknown;
      };
      const prepared: string[] = [];
      const prepare = connection.prepare.bind(connection);
      connection.prepare = (sql: string) => {
        prepared.push(sql);
        return prepare(sql);
      };
      try {
        await insertRow(db.dataSource.manager, TalktoEventEntity, eventRow('cached-1'));
        const shape = { messageId: 'cached-1', eventType: 'probe', serviceName: 'orders' };
        const first = await findRow(db.dataSource.manager, TalktoEventEntity, shape);
        const again = await findRow(db.dataSource.manager, TalktoEventEntity, {
          ...shape,
          messageId: 'none',
        });
        expect(first).toMatchObject({ messageId: 'cached-1' });
        expect(again).toBeNull();
        expect(prepared.filter((sql) => sql.includes('"service_name" = ?'))).toHaveLength(1);
      } finally {
        connection.prepare = prepare;
      }
    });
  }

  if (kind === 'postgres') {
    it('prepares each statement text once per connection, under one name', async () => {
      const runner = db.dataSource.createQueryRunner();
      try {
        await insertRow(runner.manager, TalktoEventEntity, eventRow('named-1'));
        await insertRow(runner.manager, TalktoEventEntity, eventRow('named-2'));
        await findRow(runner.manager, TalktoEventEntity, { messageId: 'named-2' });
        const prepared = (await runner.query(
          `SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'talkto\\_%'`,
        )) as Array<{ name: string; statement: string }>;
        const inserts = prepared.filter((row) => row.statement.startsWith('INSERT INTO "talkto_events"'));
        const selects = prepared.filter(
          (row) => row.statement.startsWith('SELECT') && row.statement.includes('WHERE "message_id"'),
        );
        expect(inserts).toHaveLength(1);
        expect(selects).toHaveLength(1);
        expect(inserts[0]!.name).not.toBe(selects[0]!.name);
        expect(inserts[0]!.name).toMatch(/^talkto_[0-9a-f]{32}$/);
      } finally {
        await runner.release();
      }
    });

    it('fails a statement that lost its prepared form inside a transaction, then runs unprepared', async () => {
      const own = await db.connectAgain();
      const runner = own.createQueryRunner();
      try {
        await runner.startTransaction();
        await insertRow(runner.manager, TalktoEventEntity, eventRow('tx-lost-1'));
        await runner.query('DEALLOCATE ALL');
        const failure = await insertRow(runner.manager, TalktoEventEntity, eventRow('tx-lost-2')).catch(
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(QueryFailedError);
        expect((failure as QueryFailedError).driverError).toMatchObject({ code: '26000' });
        await runner.rollbackTransaction();
        const id = await insertRow(runner.manager, TalktoEventEntity, eventRow('tx-lost-3'));
        expect(await findRow(runner.manager, TalktoEventEntity, { id })).toMatchObject({
          messageId: 'tx-lost-3',
        });
      } finally {
        await runner.release();
      }
    });

    it('runs unprepared from then on when the server lost a prepared statement', async () => {
      const own = await db.connectAgain(); // this data source stops preparing; the others keep on
      const runner = own.createQueryRunner();
      try {
        await insertRow(runner.manager, TalktoEventEntity, eventRow('lost-1'));
        await runner.query('DEALLOCATE ALL'); // what a pooler's reset or another client can do
        const id = await insertRow(runner.manager, TalktoEventEntity, eventRow('lost-2'));
        expect(await findRow(runner.manager, TalktoEventEntity, { id })).toMatchObject({
          messageId: 'lost-2',
        });
        await findRow(runner.manager, TalktoEventEntity, { messageId: 'lost-1' });
        const prepared = (await runner.query(`SELECT name FROM pg_prepared_statements`)) as unknown[];
        expect(prepared).toEqual([]);

        await runner.startTransaction();
        await runner.query('DEALLOCATE ALL');
        await expect(
          insertRow(runner.manager, TalktoEventEntity, eventRow('lost-3')),
        ).resolves.toBeGreaterThan(id);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
    });
  }
});
