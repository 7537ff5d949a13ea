import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EntityManager } from 'typeorm';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { RowChain } from '../../lib/persistence/statements/index.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type Ledgers, ledgersFor } from '../support/ledgers.js';
import { outgoingInput } from './ledger-fixtures.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

const LEASE_MS = 60_000;
const T0 = new Date('2026-04-01T12:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

type RowChanges = Partial<TalktoMessageEntity>;

/**
 * Every status change is a conditional update whose WHERE restates the state it starts from.
 * The callers check that state first, so these tests call the ledger directly with rows the
 * callers would not hand it, and change rows between the ledger's read and its update.
 */
describe.each(DATABASE_KINDS)('MessageLedger conditional updates on %s', (kind) => {
  let db: MigratedDatabase;
  let ledger: Ledgers;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    ledger = ledgersFor(db.dataSource);
  });

  afterAll(async () => {
    await db?.close();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const reload = (id: number) => db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id });

  /** An outgoing row whose first send failed: `failed_retryable`, retry due at T0 + 1 s. */
  const failedRetryable = async (maxAttempts = 5) => {
    const message = await ledger.outbox.createOutgoing(outgoingInput({ now: T0, maxAttempts }));
    const claimed = await ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, T0);
    await ledger.outbox.markRetryableFailure(claimed!.claim, {
      error: 'busy',
      nextRetryAt: later(1_000),
      column: 'transport_status',
      now: T0,
    });
    return reload(message.id);
  };

  /**
   * Makes the next `findOneBy` (the ledger's read inside its transaction) return the row as it
   * was, then changes the row in that same transaction: another worker acted in between.
   */
  const changeAfterNextRead = (id: number, changes: RowChanges) => {
    const read = EntityManager.prototype.findOneBy;
    jest.spyOn(EntityManager.prototype, 'findOneBy').mockImplementationOnce(async function (
      this: EntityManager,
      ...args: Parameters<EntityManager['findOneBy']>
    ) {
      const row = await read.apply(this, args);
      await this.update(TalktoMessageEntity, { id }, changes);
      return row;
    } as EntityManager['findOneBy']);
  };

  /** Changes the row just before the next chain of writes runs, after the ledger read it. */
  const changeBeforeNextChain = (id: number, changes: RowChanges) => {
    const run = RowChain.prototype.run;
    jest.spyOn(RowChain.prototype, 'run').mockImplementationOnce(async function (
      this: RowChain,
      manager: EntityManager,
    ) {
      await manager.update(TalktoMessageEntity, { id }, changes);
      return run.call(this, manager);
    });
  };

  describe('the retry-dispatch claim', () => {
    const options = { now: later(2_000), leaseMs: LEASE_MS };

    it('claims a due failed_retryable row back to waiting_to_send', async () => {
      const row = await failedRetryable();
      const claim = await ledger.recovery.claimRetryDispatch(row.id, 'sweeper', options);
      expect(claim?.id).toBe(row.id);
      expect(await reload(row.id)).toMatchObject({
        overallStatus: 'waiting_to_send',
        transportStatus: 'pending',
        lockedBy: claim!.claimId,
      });
    });

    it('refuses a row that is not failed_retryable, even when due is ignored', async () => {
      const message = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
      const claimed = await ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, T0);
      await ledger.outbox.markFinalFailure(claimed!.claim, {
        error: 'rejected',
        column: 'transport_status',
        deadLetter: false,
        now: T0,
      });
      expect(
        await ledger.recovery.claimRetryDispatch(message.id, 'panel-retry', { ...options, ignoreDue: true }),
      ).toBe(null);
      expect(await reload(message.id)).toMatchObject({ overallStatus: 'failed_final', lockedBy: null });
    });

    it('refuses a failed_retryable row whose retries are spent', async () => {
      const row = await failedRetryable(1);
      expect(row).toMatchObject({ retryCount: 1, maxAttempts: 1 });
      expect(await ledger.recovery.claimRetryDispatch(row.id, 'sweeper', options)).toBeNull();
      expect(await reload(row.id)).toMatchObject({ overallStatus: 'failed_retryable', lockedBy: null });
    });

    it('refuses a row another worker delivered between the read and the update', async () => {
      const row = await failedRetryable();
      changeAfterNextRead(row.id, {
        overallStatus: 'destination_received',
        transportStatus: 'sent',
        nextRetryAt: null,
        nextAttemptAt: null,
        updatedAt: later(1_500),
      });
      expect(
        await ledger.recovery.claimRetryDispatch(row.id, 'panel-retry', { ...options, ignoreDue: true }),
      ).toBe(null);
      expect(await reload(row.id)).toMatchObject({
        overallStatus: 'destination_received',
        transportStatus: 'sent',
        lockedBy: null,
      });
    });
  });

  describe('the stale-claim release', () => {
    it('leaves a claim that another worker took between the read and the update to that worker', async () => {
      const message = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
      await ledger.outbox.claimForSend(message.id, 'dead-sender', LEASE_MS, T0);
      // The other worker's lease has run out as well by the time of the release.
      changeAfterNextRead(message.id, { lockedBy: 'other-sender', lockedAt: later(10) });
      expect(await ledger.recovery.releaseStaleClaim(message.id, 'dead-sender', later(3 * LEASE_MS))).toBe(
        'changed',
      );
      expect(await reload(message.id)).toMatchObject({ overallStatus: 'sending', lockedBy: 'other-sender' });
    });
  });

  describe('the claim for a send', () => {
    const attemptNumbers = async (id: number) =>
      (
        await db.dataSource.manager.find(TalktoAttemptEntity, {
          where: { talktoMessageId: id },
          order: { id: 'ASC' },
        })
      ).map((attempt) => attempt.attemptNo);

    it.each([
      [
        'claimed and failed',
        'waiting',
        {
          overallStatus: 'failed_retryable',
          transportStatus: 'failed',
          attempts: 1,
          retryCount: 1,
          nextRetryAt: later(1),
        },
      ],
      // The status alone changes: a retry dispatch keeps attempts and retry_count.
      [
        'took for a retry dispatch',
        'retryable',
        {
          overallStatus: 'waiting_to_send',
          transportStatus: 'pending',
          lockedBy: 'dispatch-claim:sweeper:other',
          lockedUntil: later(LEASE_MS),
        },
      ],
      // The attempts alone change: the other worker's claim expired and was released.
      ['claimed and lost to the sweeper', 'waiting', { attempts: 1 }],
    ] as const)(
      'does not claim a row another worker %s between the read and the update',
      async (_what, start, changes) => {
        // Made by another process: this ledger reads the row before it claims it.
        const other = ledgersFor(db.dataSource);
        const message =
          start === 'waiting'
            ? await other.outbox.createOutgoing(outgoingInput({ now: T0 }))
            : await failedRetryable();
        changeBeforeNextChain(message.id, { ...changes, updatedAt: later(1_500) });
        expect(await ledger.outbox.claimForSend(message.id, 'sender-2', LEASE_MS, later(2_000))).toBeNull();
        expect(await reload(message.id)).toMatchObject({ ...changes, updatedAt: later(1_500) });
      },
    );

    it('claims as it is now a row another worker claimed and failed in the same millisecond as the insert', async () => {
      const message = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
      // Another process (a ledger without this one's memory of the insert) acts at the same instant,
      // so updated_at still equals the inserted value.
      const other = ledgersFor(db.dataSource);
      const first = await other.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, T0);
      await other.outbox.markRetryableFailure(first!.claim, {
        error: 'busy',
        nextRetryAt: T0,
        column: 'transport_status',
        now: T0,
      });
      expect((await reload(message.id)).updatedAt).toEqual(message.updatedAt);

      const second = await ledger.outbox.claimForSend(message.id, 'sender-2', LEASE_MS, T0);
      expect(second?.claim.attemptNo).toBe(2);
      expect(second!.message).toEqual(await reload(message.id));
      expect(await attemptNumbers(message.id)).toEqual([1, 2]);
    });
  });
});
