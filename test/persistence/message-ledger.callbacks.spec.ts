import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { type Ledgers, ledgersFor } from '../support/ledgers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { outgoingInput } from './ledger-fixtures.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

const T0 = new Date('2026-04-01T12:00:00.000Z');

describe.each(DATABASE_KINDS)('The ledger: result callbacks on %s', (kind) => {
  let db: MigratedDatabase;
  let ledger: Ledgers;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    ledger = ledgersFor(db.dataSource);
  });

  afterAll(async () => {
    await db?.close();
  });

  const reload = (id: number) => db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id });
  const eventTypes = async (id: number) =>
    (
      await db.dataSource.manager.find(TalktoEventEntity, {
        where: { talktoMessageId: id },
        order: { id: 'ASC' },
      })
    ).map((event) => event.eventType);
  const apply = (original: TalktoMessageEntity, status: string, errorMessage: string | null = null) =>
    ledger.callbacks.applyCallback({
      original,
      callbackMessageId: `cb-${status}`,
      status,
      source: 'billing',
      command: 'talkto.result',
      errorMessage,
      result: {},
      meta: {},
      now: T0,
    });

  it('finds only outgoing messages as callback originals', async () => {
    const sent = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
    expect((await ledger.messages.findOutgoingByMessageId(sent.messageId))?.id).toBe(sent.id);
    expect(await ledger.messages.findOutgoingByMessageId('never-sent')).toBeNull();
  });

  it('applies a failure, then lets a later success complete the message and clear the error', async () => {
    const sent = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
    const failed = await apply(sent, 'failed_retryable', 'busy');
    expect(failed.application).toBe('applied');
    expect(await reload(sent.id)).toMatchObject({
      overallStatus: 'failed_retryable',
      destinationActionStatus: 'failed_retryable',
      lastError: 'busy',
      completedAt: null,
    });
    expect((await apply(sent, 'succeeded')).application).toBe('applied');
    const row = await reload(sent.id);
    expect(row).toMatchObject({
      overallStatus: 'completed',
      destinationActionStatus: 'succeeded',
      lastError: null,
    });
    expect(row.failedAt).toBeNull();
    expect(row.completedAt).not.toBeNull();
    expect(await eventTypes(sent.id)).toEqual([
      'message_created',
      'result_callback_received',
      'result_callback_applied',
      'result_callback_received',
      'result_callback_applied',
    ]);
  });

  it('returns the original as stored after the callback, reading it again when it changed meanwhile', async () => {
    const sent = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
    const fresh = await apply(sent, 'failed_retryable', 'busy');
    expect(fresh.original).toEqual(await reload(sent.id));
    // The statuses in the caller's copy are still right; another column is not.
    await db.dataSource.manager.update(
      TalktoMessageEntity,
      { id: sent.id },
      { lastResponse: 'noted meanwhile', updatedAt: new Date(T0.getTime() + 1) },
    );
    const applied = await apply(fresh.original, 'succeeded');
    expect(applied.application).toBe('applied');
    expect(applied.original).toEqual(await reload(sent.id));
    expect(applied.original).toMatchObject({ overallStatus: 'completed', lastResponse: 'noted meanwhile' });
  });

  it('lets exactly one of two racing reports of the same status apply; the other is a duplicate', async () => {
    const sent = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
    const other = kind === 'sqlite' ? ledger : ledgersFor(await db.connectAgain());
    const results = await Promise.all([
      apply(sent, 'failed_final', 'x'),
      other.callbacks.applyCallback({
        original: sent,
        callbackMessageId: 'cb-failed_final',
        status: 'failed_final',
        source: 'billing',
        command: 'talkto.result',
        errorMessage: 'x',
        result: {},
        meta: {},
        now: T0,
      }),
    ]);
    expect(results.map((result) => result.application).sort()).toEqual(['applied', 'duplicate']);
    expect((await eventTypes(sent.id)).filter((type) => type === 'result_callback_applied')).toHaveLength(1);
  });

  it('keeps a success when a failure races it', async () => {
    const sent = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
    const other = kind === 'sqlite' ? ledger : ledgersFor(await db.connectAgain());
    await Promise.all([
      apply(sent, 'succeeded'),
      other.callbacks.applyCallback({
        original: sent,
        callbackMessageId: 'cb-failed_final',
        status: 'failed_final',
        source: 'billing',
        command: 'talkto.result',
        errorMessage: 'late',
        result: {},
        meta: {},
        now: T0,
      }),
    ]);
    // Whichever ran first, success wins: it overrides a failure and a failure after it is stale.
    expect(await reload(sent.id)).toMatchObject({
      overallStatus: 'completed',
      destinationActionStatus: 'succeeded',
    });
  });
});
