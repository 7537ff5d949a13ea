import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  DataSource,
  EntitySubscriberInterface,
  TransactionCommitEvent,
  TransactionStartEvent,
} from 'typeorm';
import { AfterCommitSubscriber } from '../../lib/persistence/after-commit.subscriber.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { insertEvent } from '../../lib/persistence/message-history.writer.js';
import {
  runInTransaction,
  runStandaloneWrite,
} from '../../lib/persistence/statements/run-in-transaction.util.js';
import { underFakeTimers } from '../support/fake-timers.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

/** Counts outermost commits (a released savepoint leaves the transaction active) and savepoints. */
class CommitCounter implements EntitySubscriberInterface {
  commits = 0;
  savepoints = 0;
  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.isTransactionActive) this.commits++;
  }
  afterTransactionStart(event: TransactionStartEvent): void {
    if ((event.queryRunner as { transactionDepth?: number }).transactionDepth! > 1) this.savepoints++;
  }
}

const event = (messageId: string) => ({
  talktoMessageId: null,
  messageId,
  serviceName: 'orders',
  eventType: 'group_commit_test',
});

describe('SQLite group commit', () => {
  let db: MigratedDatabase;
  let other: DataSource;
  const counter = new CommitCounter();

  beforeAll(async () => {
    db = await openMigratedDatabase('sqlite');
    db.dataSource.subscribers.push(counter);
    other = await db.connectAgain();
  });

  afterAll(async () => {
    await db?.close();
  });

  const storedIds = async (prefix: string) =>
    (await other.manager.findBy(TalktoEventEntity, { eventType: 'group_commit_test' }))
      .map((row) => row.messageId)
      .filter((id) => id?.startsWith(prefix))
      .sort();

  it('commits writes queued together in one transaction', async () => {
    counter.commits = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? runInTransaction(db.dataSource, undefined, (tx) => insertEvent(tx, event(`a-${i}`)))
          : runStandaloneWrite(db.dataSource, (manager) => insertEvent(manager, event(`a-${i}`))),
      ),
    );
    expect(counter.commits).toBe(1);
    expect(await storedIds('a-')).toHaveLength(10);
  });

  it('takes no savepoint per unit while no unit fails', async () => {
    counter.savepoints = 0;
    await Promise.all(
      ['s-1', 's-2', 's-3'].map((id) =>
        runInTransaction(db.dataSource, undefined, (tx) => insertEvent(tx, event(id))),
      ),
    );
    expect(counter.savepoints).toBe(0);
    expect(await storedIds('s-')).toEqual(['s-1', 's-2', 's-3']);
  });

  it('rolls back a failing unit that was alone in its transaction', async () => {
    const failing = runInTransaction(db.dataSource, undefined, async (tx) => {
      await insertEvent(tx, event('e-1'));
      throw new Error('unit e-1 fails');
    });
    await expect(failing).rejects.toEqual(new Error('unit e-1 fails'));
    expect(await storedIds('e-')).toEqual([]);
  });

  it('rolls back failing exclusive work and never runs it twice', async () => {
    let runs = 0;
    const results = await Promise.allSettled([
      runInTransaction(db.dataSource, undefined, (tx) => insertEvent(tx, event('f-1'))),
      runInTransaction(
        db.dataSource,
        undefined,
        async (tx) => {
          runs++;
          await insertEvent(tx, event('f-2'));
          throw new Error('exclusive f-2 fails');
        },
        { exclusive: true },
      ),
      runInTransaction(db.dataSource, undefined, (tx) => insertEvent(tx, event('f-3'))),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(runs).toBe(1);
    expect(await storedIds('f-')).toEqual(['f-1', 'f-3']);
  });

  it('runs after-commit work of a unit once when a failing unit made its batch run again', async () => {
    const afterCommit = new AfterCommitSubscriber(db.dataSource);
    afterCommit.onModuleInit();
    const actions: string[] = [];
    try {
      const results = await Promise.allSettled(
        ['g-1', 'g-2'].map((id) =>
          runInTransaction(db.dataSource, undefined, async (tx) => {
            await insertEvent(tx, event(id));
            if (id === 'g-2') throw new Error('unit g-2 fails');
            await afterCommit.runAfterCommit(tx, async () => {
              actions.push(id);
            });
          }),
        ),
      );
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
      expect(actions).toEqual(['g-1']);
      expect(await storedIds('g-')).toEqual(['g-1']);
    } finally {
      afterCommit.onModuleDestroy();
    }
  });

  it('rolls back a failing unit alone and fails only its caller', async () => {
    const results = await Promise.allSettled(
      ['b-1', 'b-2', 'b-3'].map((id) =>
        runInTransaction(db.dataSource, undefined, async (tx) => {
          await insertEvent(tx, event(id));
          await insertEvent(tx, event(`${id}-second`));
          if (id === 'b-2') throw new Error('unit b-2 fails');
          return id;
        }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('unit b-2 fails'));
    expect(await storedIds('b-')).toEqual(['b-1', 'b-1-second', 'b-3', 'b-3-second']);
  });

  it('settles a unit only once its write is visible to another connection', async () => {
    const seen = await Promise.all(
      ['c-1', 'c-2'].map(async (id) => {
        await runInTransaction(db.dataSource, undefined, (tx) => insertEvent(tx, event(id)));
        return storedIds(id);
      }),
    );
    expect(seen).toEqual([['c-1'], ['c-2']]);
  });

  it('commits exclusive work on its own, without holding back the writes queued before it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const before = runInTransaction(db.dataSource, undefined, (tx) => insertEvent(tx, event('d-1')));
    const slow = runInTransaction(
      db.dataSource,
      undefined,
      async (tx) => {
        await insertEvent(tx, event('d-2'));
        await held;
      },
      { exclusive: true },
    );
    const after = runInTransaction(db.dataSource, undefined, (tx) => insertEvent(tx, event('d-3')));
    // Committed long before this unless it waits for the held work; the timer only ends that wait.
    const waited = new Promise((resolve) => setTimeout(() => resolve('held back'), 20_000).unref());
    try {
      expect(await Promise.race([before.then(() => 'committed'), waited])).toBe('committed');
      expect(await storedIds('d-')).toEqual(['d-1']);
    } finally {
      release();
    }
    await Promise.all([before, slow, after]);
    expect(await storedIds('d-')).toEqual(['d-1', 'd-2', 'd-3']);
  });

  it("commits under a host test's fake timers", async () => {
    await underFakeTimers(
      () => runStandaloneWrite(db.dataSource, (manager) => insertEvent(manager, event('fake-1'))),
      { keepDate: true },
    );
    expect(await storedIds('fake-')).toEqual(['fake-1']);
  });
});
