import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { MessageLedger } from '../../lib/persistence/message.ledger.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { incomingInput, nextMessageId, outgoingInput } from './ledger-fixtures.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

const LEASE_MS = 60_000;
const T0 = new Date('2026-05-01T08:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

describe.each(DATABASE_KINDS)('MessageLedger: the first claim after an insert on %s', (kind) => {
  let db: MigratedDatabase;
  let ledger: MessageLedger;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    ledger = new MessageLedger(db.dataSource);
  });

  afterAll(async () => {
    await db?.close();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** Runs `work` and returns the message-table reads the data source's logger saw meanwhile. */
  const messageReads = async (work: () => Promise<unknown>): Promise<string[]> => {
    const logged = jest.spyOn(db.dataSource.logger, 'logQuery');
    await work();
    return logged.mock.calls
      .map(([sql]) => sql)
      .filter((sql) => /^\s*SELECT\b/i.test(sql) && sql.includes('talkto_messages'));
  };
  const reload = (id: number) => db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id });

  it('claims an outgoing message this ledger inserted without reading it back', async () => {
    const message = await ledger.createOutgoing(outgoingInput({ now: T0 }));
    let claimed: Awaited<ReturnType<MessageLedger['claimForSend']>> = null;
    const reads = await messageReads(async () => {
      claimed = await ledger.claimForSend(message.id, 'sender-1', LEASE_MS, later(5));
    });
    expect(reads).toEqual([]);
    expect(claimed!.message).toEqual(await reload(message.id));
    expect(claimed!.message).toMatchObject({ overallStatus: 'sending', attempts: 1, lockedBy: 'sender-1' });
  });

  it('claims an incoming message this ledger stored without reading it back', async () => {
    const stored = await ledger.insertIncoming(incomingInput({ now: T0 }));
    if (stored.kind !== 'stored') throw new Error('expected a stored message');
    let claimed: Awaited<ReturnType<MessageLedger['claimForProcessing']>> = null;
    const reads = await messageReads(async () => {
      claimed = await ledger.claimForProcessing(stored.message.id, 'worker-1', LEASE_MS, later(5));
    });
    expect(reads).toEqual([]);
    expect(claimed!.message).toEqual(await reload(stored.message.id));
    expect(claimed!.message).toMatchObject({ overallStatus: 'processing', processingStartedAt: later(5) });
  });

  it('reads the row again when something changed it after the insert', async () => {
    const message = await ledger.createOutgoing(outgoingInput({ now: T0 }));
    await db.dataSource.manager.update(
      TalktoMessageEntity,
      { id: message.id },
      { lastError: 'noted by an operator', updatedAt: later(1) },
    );
    let claimed: Awaited<ReturnType<MessageLedger['claimForSend']>> = null;
    const reads = await messageReads(async () => {
      claimed = await ledger.claimForSend(message.id, 'sender-1', LEASE_MS, later(5));
    });
    expect(reads).toHaveLength(1);
    expect(claimed!.message.lastError).toBe('noted by an operator');
    expect(claimed!.message).toEqual(await reload(message.id));
  });

  it('does not claim a row whose status moved on since the insert', async () => {
    const message = await ledger.createOutgoing(outgoingInput({ now: T0 }));
    await db.dataSource.manager.update(
      TalktoMessageEntity,
      { id: message.id },
      { overallStatus: 'sent', updatedAt: later(1) },
    );
    expect(await ledger.claimForSend(message.id, 'sender-1', LEASE_MS, later(5))).toBeNull();
    expect(await reload(message.id)).toMatchObject({ overallStatus: 'sent', attempts: 0 });
  });

  it('claims the row that now holds the id of an insert rolled back with its transaction', async () => {
    let rolledBack: TalktoMessageEntity | undefined;
    await expect(
      db.dataSource.transaction(async (manager) => {
        rolledBack = await ledger.createOutgoing(outgoingInput({ now: T0 }), manager);
        throw new Error('the host changes its mind');
      }),
    ).rejects.toThrow('the host changes its mind');
    // Another process (or SQLite reusing the rowid) writes a different message under that id.
    const otherId = nextMessageId('other');
    const { identifiers } = await db.dataSource.manager.insert(TalktoMessageEntity, {
      messageId: otherId,
      direction: 'outgoing',
      sourceService: 'orders',
      targetService: 'billing',
      command: 'invoice.create',
      payload: '{"other":true}',
      transportStatus: 'pending',
      overallStatus: 'waiting_to_send',
      createdAt: T0,
      updatedAt: T0,
    });
    await db.dataSource.manager.update(TalktoMessageEntity, identifiers[0]!, { id: rolledBack!.id });
    const claimed = await ledger.claimForSend(rolledBack!.id, 'sender-1', LEASE_MS, later(5));
    expect(claimed!.message.messageId).toBe(otherId);
    expect(claimed!.claim.messageId).toBe(otherId);
  });
});
