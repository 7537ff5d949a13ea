import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { In } from 'typeorm';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import { type Ledgers, ledgersFor } from '../support/ledgers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';
import { incomingInput, nextMessageId, outgoingInput } from './ledger-fixtures.js';

describe.each(DATABASE_KINDS)('The ledger: creation on %s', (kind) => {
  let db: MigratedDatabase;
  let ledger: Ledgers;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    ledger = ledgersFor(db.dataSource);
  });

  afterAll(async () => {
    await db?.close();
  });

  /** Racers with separate pools on servers; SQLite racers share its single connection. */
  const racingLedgers = async (): Promise<Ledgers[]> =>
    kind === 'sqlite' ? [ledger, ledger] : [ledger, ledgersFor(await db.connectAgain())];

  const eventsOf = (talktoMessageId: number) =>
    db.dataSource.manager.find(TalktoEventEntity, { where: { talktoMessageId }, order: { id: 'ASC' } });

  it('creates an outgoing row waiting to send, with its payload text unchanged and a message_created event', async () => {
    const now = new Date('2026-02-01T08:00:00.123Z');
    const input = outgoingInput({ businessKey: 'order-7', now });
    const message = await ledger.outbox.createOutgoing(input);
    expect(message).toMatchObject({
      direction: 'outgoing',
      overallStatus: 'waiting_to_send',
      transportStatus: 'pending',
      sourceActionStatus: 'succeeded_assumed',
      attempts: 0,
      maxAttempts: 5,
      payload: input.payload,
      idempotencyFingerprint: null,
    });
    expect(message.createdAt?.toISOString()).toBe('2026-02-01T08:00:00.123Z');
    const events = await eventsOf(message.id);
    expect(events.map((event) => [event.eventType, event.serviceName, event.meta])).toEqual([
      [
        'message_created',
        'orders',
        { source: 'orders', target: 'billing', command: 'invoice.create', business_key: 'order-7' },
      ],
    ]);
  });

  it('returns the existing outgoing row for a reused idempotency key', async () => {
    const first = await ledger.outbox.createOutgoing(outgoingInput({ idempotencyKey: 'key-1' }));
    const again = await ledger.outbox.createOutgoing(
      outgoingInput({ idempotencyKey: 'key-1', payload: '{"other":true}' }),
    );
    expect(again.id).toBe(first.id);
    expect(again.payload).toBe(first.payload);
  });

  it('creates exactly one outgoing row when callers race on one idempotency key', async () => {
    const ledgers = await racingLedgers();
    const rows = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        ledgers[i % ledgers.length]!.outbox.createOutgoing(outgoingInput({ idempotencyKey: 'race-key' })),
      ),
    );
    expect(new Set(rows.map((row) => row.id)).size).toBe(1);
    expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { idempotencyKey: 'race-key' })).toBe(1);
  });

  it('writes inside the caller transaction and disappears with its rollback', async () => {
    const input = outgoingInput();
    await expect(
      db.dataSource.transaction(async (manager) => {
        await ledger.outbox.createOutgoing(input, manager);
        throw new Error('business write failed');
      }),
    ).rejects.toThrow('business write failed');
    expect(await ledger.messages.existsByMessageId(input.messageId)).toBe(false);
  });

  it('returns the existing row to a caller inside its own transaction and leaves that transaction usable', async () => {
    const existing = await ledger.outbox.createOutgoing(outgoingInput({ idempotencyKey: 'tx-key' }));
    const found = await db.dataSource.transaction(async (manager) => {
      const winner = await ledger.outbox.createOutgoing(outgoingInput({ idempotencyKey: 'tx-key' }), manager);
      await manager.query('SELECT 1');
      return winner;
    });
    expect(found.id).toBe(existing.id);
  });

  it('stores an incoming row as queued with a message_received event', async () => {
    const now = new Date('2026-02-01T09:00:00.000Z');
    const result = await ledger.inbox.insertIncoming(incomingInput({ now, businessKey: 'b-1' }));
    expect(result.kind).toBe('stored');
    const message = result.kind === 'stored' ? result.message : undefined;
    expect(message).toMatchObject({
      direction: 'incoming',
      overallStatus: 'queued',
      destinationReceiveStatus: 'received',
      destinationActionStatus: 'queued',
      maxAttempts: 5,
      payload: '{"b":1,"a":2}',
    });
    expect(message!.receivedAt?.toISOString()).toBe('2026-02-01T09:00:00.000Z');
    const events = await eventsOf(message!.id);
    expect(events.map((event) => [event.eventType, event.serviceName])).toEqual([
      ['message_received', 'billing'],
    ]);
  });

  it('answers a known message_id as already_received without writing', async () => {
    const input = incomingInput();
    await ledger.inbox.insertIncoming(input);
    const again = await ledger.inbox.insertIncoming({ ...input, payload: '{}' });
    expect(again).toEqual({ kind: 'duplicate', status: 'already_received', messageId: input.messageId });
    expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { messageId: input.messageId })).toBe(1);
  });

  it.each([
    ['queued', 'already_accepted'],
    ['processing', 'already_accepted'],
    ['failed_retryable', 'already_accepted'],
    ['succeeded', 'already_processed'],
    ['completed', 'already_processed'],
    ['failed_final', 'already_received'],
    ['skipped', 'already_received'],
  ])('maps a reused idempotency key on a %s message to %s', async (status, expected) => {
    const key = `idem-${status}`;
    const first = await ledger.inbox.insertIncoming(incomingInput({ idempotencyKey: key }));
    const original = first.kind === 'stored' ? first.message : undefined;
    await db.dataSource.manager.update(TalktoMessageEntity, { id: original!.id }, { overallStatus: status });
    const again = await ledger.inbox.insertIncoming(incomingInput({ idempotencyKey: key }));
    expect(again).toEqual({ kind: 'duplicate', status: expected, messageId: original!.messageId });
  });

  it.each([
    ['source', { source: 'shipping' }],
    ['target', { target: 'ledger' }],
    ['command', { command: 'invoice.void' }],
  ])('scopes idempotency keys by %s', async (_part, other) => {
    const key = nextMessageId('scoped');
    await ledger.inbox.insertIncoming(incomingInput({ idempotencyKey: key }));
    expect((await ledger.inbox.insertIncoming(incomingInput({ idempotencyKey: key, ...other }))).kind).toBe(
      'stored',
    );
    // The same key in the first scope is still a duplicate.
    expect((await ledger.inbox.insertIncoming(incomingInput({ idempotencyKey: key }))).kind).toBe(
      'duplicate',
    );
  });

  it('stores exactly one of many concurrent deliveries of one message_id', async () => {
    const messageId = nextMessageId('race');
    const ledgers = await racingLedgers();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ledgers[i % ledgers.length]!.inbox.insertIncoming(incomingInput({ messageId })),
      ),
    );
    expect(results.filter((result) => result.kind === 'stored')).toHaveLength(1);
    expect(
      results
        .filter((result) => result.kind === 'duplicate')
        .map((result) => 'status' in result && result.status),
    ).toEqual(Array(9).fill('already_received'));
    expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { messageId })).toBe(1);
    expect(await db.dataSource.manager.countBy(TalktoEventEntity, { messageId })).toBe(1);
  });

  it('stores exactly one of many concurrent messages sharing an idempotency key', async () => {
    const ledgers = await racingLedgers();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ledgers[i % ledgers.length]!.inbox.insertIncoming(incomingInput({ idempotencyKey: 'race-idem' })),
      ),
    );
    expect(results.filter((result) => result.kind === 'stored')).toHaveLength(1);
    expect(
      results.filter((result) => result.kind === 'duplicate' && result.status === 'already_accepted'),
    ).toHaveLength(7);
  });

  describe('with the request nonce', () => {
    let nonceCount = 0;
    const freshNonce = (messageId: string) => ({
      nonceHash: (++nonceCount).toString(16).padStart(64, '0'),
      source: 'orders',
      target: 'billing',
      messageId,
      signedTimestamp: '1772359200',
      retentionDays: 7,
    });
    const nonceRows = (nonceHash: string) => db.dataSource.manager.findBy(TalktoNonceEntity, { nonceHash });

    it('records the nonce with the message', async () => {
      const input = incomingInput();
      const nonce = freshNonce(input.messageId);
      expect((await ledger.inbox.insertIncoming({ ...input, nonce })).kind).toBe('stored');
      expect((await nonceRows(nonce.nonceHash)).map((row) => row.messageId)).toEqual([input.messageId]);
    });

    it('answers a used nonce as a replay and stores nothing', async () => {
      const first = incomingInput();
      const nonce = freshNonce(first.messageId);
      await ledger.inbox.insertIncoming({ ...first, nonce });
      const replay = incomingInput();
      expect(
        await ledger.inbox.insertIncoming({ ...replay, nonce: { ...nonce, messageId: replay.messageId } }),
      ).toEqual({
        kind: 'replay',
      });
      expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { messageId: replay.messageId })).toBe(
        0,
      );
      expect(await db.dataSource.manager.countBy(TalktoEventEntity, { messageId: replay.messageId })).toBe(0);
    });

    it('still records the nonce of a duplicate by idempotency key, and checks it first', async () => {
      const original = await ledger.inbox.insertIncoming(incomingInput({ idempotencyKey: 'nonce-idem' }));
      const again = incomingInput({ idempotencyKey: 'nonce-idem' });
      const nonce = freshNonce(again.messageId);
      expect(await ledger.inbox.insertIncoming({ ...again, nonce })).toMatchObject({
        kind: 'duplicate',
        status: 'already_accepted',
        messageId: original.kind === 'stored' ? original.message.messageId : undefined,
      });
      expect(await nonceRows(nonce.nonceHash)).toHaveLength(1);
      const reused = incomingInput({ idempotencyKey: 'nonce-idem' });
      expect(await ledger.inbox.insertIncoming({ ...reused, nonce })).toEqual({ kind: 'replay' });
    });

    it('lets one of many concurrent messages sharing a nonce in, the others are replays', async () => {
      const ledgers = await racingLedgers();
      const nonce = freshNonce('race-nonce');
      const inputs = Array.from({ length: 8 }, () => incomingInput());
      const results = await Promise.all(
        inputs.map((input, i) => ledgers[i % ledgers.length]!.inbox.insertIncoming({ ...input, nonce })),
      );
      expect(results.filter((result) => result.kind === 'stored')).toHaveLength(1);
      expect(results.filter((result) => result.kind === 'replay')).toHaveLength(7);
      const stored = await db.dataSource.manager.findBy(TalktoMessageEntity, {
        messageId: In(inputs.map((input) => input.messageId)),
      });
      expect(stored).toHaveLength(1);
      expect(await nonceRows(nonce.nonceHash)).toHaveLength(1);
    });

    it("answers concurrent deliveries of one message_id as duplicates, keeping the stored one's nonce", async () => {
      const ledgers = await racingLedgers();
      const messageId = nextMessageId('race-nonces');
      const nonces = Array.from({ length: 6 }, () => freshNonce(messageId));
      const results = await Promise.all(
        nonces.map((nonce, i) =>
          ledgers[i % ledgers.length]!.inbox.insertIncoming(incomingInput({ messageId, nonce })),
        ),
      );
      expect(results.filter((result) => result.kind === 'stored')).toHaveLength(1);
      expect(
        results.filter((result) => result.kind === 'duplicate' && result.status === 'already_received'),
      ).toHaveLength(5);
      expect(
        await db.dataSource.manager.countBy(TalktoNonceEntity, {
          nonceHash: In(nonces.map((n) => n.nonceHash)),
        }),
      ).toBe(1);
    });

    it('answers a resent request by its message id before looking at its used nonce', async () => {
      const input = incomingInput();
      const nonce = freshNonce(input.messageId);
      await ledger.inbox.insertIncoming({ ...input, nonce });
      expect(await ledger.inbox.insertIncoming({ ...input, nonce })).toEqual({
        kind: 'duplicate',
        status: 'already_received',
        messageId: input.messageId,
      });
    });
  });
});
