import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { type Ledgers, ledgersFor } from '../support/ledgers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { hasFastProperties } from '../support/object-shape.js';
import { incomingInput, nextMessageId, outgoingInput } from './ledger-fixtures.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

const LEASE_MS = 60_000;
const T0 = new Date('2026-04-01T12:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

describe.each(DATABASE_KINDS)('The ledger: claims and outcomes on %s', (kind) => {
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
  const attemptsOf = (id: number) =>
    db.dataSource.manager.find(TalktoAttemptEntity, { where: { talktoMessageId: id }, order: { id: 'ASC' } });
  const newOutgoing = () => ledger.outbox.createOutgoing(outgoingInput({ now: T0 }));
  const newIncoming = async () => {
    const result = await ledger.inbox.insertIncoming(incomingInput({ now: T0 }));
    if (result.kind !== 'stored') throw new Error('expected a stored message');
    return result.message;
  };

  it('lets exactly one of several concurrent workers claim a message for sending', async () => {
    const message = await newOutgoing();
    const ledgers =
      kind === 'sqlite'
        ? [ledger, ledger, ledger]
        : [ledger, ledgersFor(await db.connectAgain()), ledgersFor(await db.connectAgain())];
    const claims = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        ledgers[i % ledgers.length]!.outbox.claimForSend(message.id, `worker-${i}`, LEASE_MS, T0),
      ),
    );
    const winners = claims.filter((claim) => claim !== null);
    expect(winners).toHaveLength(1);
    const row = await reload(message.id);
    expect(row).toMatchObject({
      overallStatus: 'sending',
      transportStatus: 'sending',
      attempts: 1,
      lockedBy: winners[0]!.claim.workerId,
    });
    expect(row.lockedUntil?.toISOString()).toBe(later(LEASE_MS).toISOString());
    expect(
      (await attemptsOf(message.id)).map((attempt) => [attempt.stage, attempt.status, attempt.attemptNo]),
    ).toEqual([['transport', 'sending', 1]]);
    expect(await eventTypes(message.id)).toEqual(['message_created', 'message_sending_started']);
  });

  it('refuses to claim an incoming message for sending or an outgoing one for processing', async () => {
    const outgoing = await newOutgoing();
    const incoming = await newIncoming();
    expect(await ledger.outbox.claimForSend(incoming.id, 'w', LEASE_MS, T0)).toBeNull();
    expect(await ledger.inbox.claimForProcessing(outgoing.id, 'w', LEASE_MS, T0)).toBeNull();
  });

  it('records a received 2xx as destination_received and releases the claim', async () => {
    const message = await newOutgoing();
    const claimed = await ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, T0);
    const body = '{"received":true,"status":"queued"}';
    expect(
      await ledger.outbox.markSent(claimed!.claim, {
        httpStatus: 202,
        body,
        received: true,
        destinationStatus: 'queued',
        now: later(10),
      }),
    ).toBe(true);
    const row = await reload(message.id);
    expect(row).toMatchObject({
      overallStatus: 'destination_received',
      transportStatus: 'sent',
      destinationReceiveStatus: 'received',
      destinationActionStatus: 'queued',
      lastHttpStatus: 202,
      lastResponse: body,
      lockedBy: null,
      lockedUntil: null,
    });
    expect((await attemptsOf(message.id)).map((attempt) => attempt.status)).toEqual(['sent']);
    expect(await eventTypes(message.id)).toContain('message_sent');
    // The claim is spent: a late duplicate outcome changes nothing.
    expect(
      await ledger.outbox.markSent(claimed!.claim, { httpStatus: 200, body: null, received: false }),
    ).toBe(false);
    expect(await ledger.outbox.claimForSend(message.id, 'sender-2', LEASE_MS, later(20))).toBeNull();
  });

  it('records a 2xx without received:true as sent with an unknown receive status', async () => {
    const message = await newOutgoing();
    const claimed = await ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, T0);
    await ledger.outbox.markSent(claimed!.claim, { httpStatus: 200, body: 'ok', received: false });
    expect(await reload(message.id)).toMatchObject({
      overallStatus: 'sent',
      destinationReceiveStatus: 'unknown',
    });
  });

  it('schedules a retry, and the row becomes sendable again only when due', async () => {
    const message = await newOutgoing();
    const first = await ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, T0);
    const retryAt = later(10_000);
    const error = 'x'.repeat(2500);
    expect(
      await ledger.outbox.markRetryableFailure(first!.claim, {
        error,
        errorClass: 'http_error',
        httpStatus: 503,
        nextRetryAt: retryAt,
        column: 'transport_status',
        now: later(5),
      }),
    ).toBe(true);
    const row = await reload(message.id);
    expect(row).toMatchObject({
      overallStatus: 'failed_retryable',
      transportStatus: 'failed',
      retryCount: 1,
      lastHttpStatus: 503,
      lockedBy: null,
    });
    expect(row.lastError).toHaveLength(2000);
    expect(row.nextRetryAt?.toISOString()).toBe(retryAt.toISOString());
    expect(await eventTypes(message.id)).toEqual([
      'message_created',
      'message_sending_started',
      'message_send_failed',
      'retry_scheduled',
    ]);

    expect((await ledger.recovery.findDueRetries(later(9_999), 100)).map((due) => due.id)).not.toContain(
      message.id,
    );
    expect((await ledger.recovery.findDueRetries(retryAt, 100)).map((due) => due.id)).toContain(message.id);
    expect(await ledger.outbox.claimForSend(message.id, 'sender-2', LEASE_MS, later(9_999))).toBeNull();
    const second = await ledger.outbox.claimForSend(message.id, 'sender-2', LEASE_MS, retryAt);
    expect(second?.claim.attemptNo).toBe(2);
    expect((await reload(message.id)).nextRetryAt).toBeNull();
  });

  it('marks a final failure and stores one dead letter for it', async () => {
    const message = await newOutgoing();
    const claimed = await ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, T0);
    await ledger.outbox.markFinalFailure(claimed!.claim, {
      error: 'HTTP transport failed with status [422].',
      errorClass: 'http_error',
      httpStatus: 422,
      column: 'transport_status',
      deadLetter: true,
      retryEvent: 'retry_not_scheduled',
    });
    expect(await reload(message.id)).toMatchObject({
      overallStatus: 'failed_final',
      transportStatus: 'failed_final',
    });
    const letters = await db.dataSource.manager.findBy(TalktoDeadLetterEntity, {
      talktoMessageId: message.id,
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      status: 'open',
      failedStatus: 'failed_final',
      payload: message.payload,
    });
    expect(await eventTypes(message.id)).toEqual(
      expect.arrayContaining(['message_send_failed', 'retry_not_scheduled', 'dead_lettered']),
    );
    await ledger.recovery.storeDeadLetter(await reload(message.id), { reason: 'again' });
    expect(await db.dataSource.manager.countBy(TalktoDeadLetterEntity, { talktoMessageId: message.id })).toBe(
      1,
    );
  });

  it('processes an incoming message once and records success', async () => {
    const message = await newIncoming();
    const claims = await Promise.all([
      ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0),
      ledger.inbox.claimForProcessing(message.id, 'processor-2', LEASE_MS, T0),
    ]);
    const winner = claims.find((claim) => claim !== null)!;
    expect(claims.filter((claim) => claim !== null)).toHaveLength(1);
    expect(winner.message).toMatchObject({
      overallStatus: 'processing',
      destinationActionStatus: 'processing',
      attempts: 1,
    });
    expect(winner.message.processingStartedAt?.toISOString()).toBe(T0.toISOString());
    expect(
      await ledger.inbox.markProcessed(
        winner.claim,
        { kind: 'succeeded', result: { invoice: 7 } },
        later(50),
      ),
    ).toEqual({ callbackId: null });
    const row = await reload(message.id);
    expect(row).toMatchObject({
      overallStatus: 'succeeded',
      destinationActionStatus: 'succeeded',
      lockedBy: null,
    });
    expect(row.completedAt?.toISOString()).toBe(later(50).toISOString());
    const attempts = await attemptsOf(message.id);
    expect(attempts.map((attempt) => [attempt.stage, attempt.status])).toEqual([
      ['destination_processor', 'succeeded'],
    ]);
    expect(attempts[0]!.meta).toEqual({ result: { invoice: 7 }, result_meta: {} });
    expect(await eventTypes(message.id)).toEqual([
      'message_received',
      'destination_processing_started',
      'destination_processing_succeeded',
    ]);
    expect(await ledger.inbox.claimForProcessing(message.id, 'processor-3', LEASE_MS, later(60))).toBeNull();
  });

  it.each([
    [{ kind: 'skipped' as const }, 'skipped', 'skipped', 'incoming_command_skipped', 0],
    [
      { kind: 'failed_retryable' as const, error: 'busy', nextRetryAt: null },
      'failed_retryable',
      'failed_retryable',
      'destination_processing_failed',
      0,
    ],
    [
      { kind: 'failed_retryable' as const, error: 'busy', nextRetryAt: later(30_000) },
      'failed_retryable',
      'failed',
      'retry_scheduled',
      0,
    ],
    [
      { kind: 'failed_final' as const, error: 'bad', deadLetter: true, retryExhausted: true },
      'failed_final',
      'failed_final',
      'retry_exhausted',
      1,
    ],
  ])('applies a %j handler outcome', async (outcome, overall, destination, lastEvent, deadLetters) => {
    const message = await newIncoming();
    const claimed = await ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0);
    expect(await ledger.inbox.markProcessed(claimed!.claim, outcome, later(5))).toEqual({ callbackId: null });
    const row = await reload(message.id);
    expect(row).toMatchObject({
      overallStatus: overall,
      destinationActionStatus: destination,
      lockedBy: null,
    });
    expect((await attemptsOf(message.id)).map((attempt) => attempt.status)).toEqual([overall]);
    expect(await eventTypes(message.id)).toContain(lastEvent);
    expect(await db.dataSource.manager.countBy(TalktoDeadLetterEntity, { talktoMessageId: message.id })).toBe(
      deadLetters,
    );
  });

  it('ignores an outcome from a worker that no longer holds the claim', async () => {
    const message = await newIncoming();
    const claimed = await ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0);
    const impostor = { ...claimed!.claim, workerId: 'processor-2' };
    expect(await ledger.inbox.markProcessed(impostor, { kind: 'succeeded' })).toBe(false);
    expect((await reload(message.id)).overallStatus).toBe('processing');
  });

  describe('notes recorded with a handler outcome', () => {
    const note = (message: { id: number; messageId: string }) => ({
      talktoMessageId: message.id,
      messageId: message.messageId,
      serviceName: 'billing',
      eventType: 'result_callback_skipped',
      meta: { error: 'callbacks_disabled' },
    });
    const eventsOf = (id: number) =>
      db.dataSource.manager.find(TalktoEventEntity, { where: { talktoMessageId: id }, order: { id: 'ASC' } });

    it.each([
      [{ kind: 'succeeded' as const }, ['destination_processing_succeeded']],
      [
        { kind: 'failed_retryable' as const, error: 'busy', nextRetryAt: later(30_000) },
        ['destination_processing_failed', 'retry_scheduled'],
      ],
      [
        { kind: 'failed_final' as const, error: 'bad', deadLetter: true },
        ['destination_processing_failed', 'dead_lettered'],
      ],
    ])('writes them last, at the outcome time, after a %j outcome', async (outcome, outcomeEvents) => {
      const message = await newIncoming();
      const claimed = await ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0);
      expect(
        await ledger.inbox.markProcessed(claimed!.claim, outcome, later(5), undefined, {
          notes: [note(message)],
        }),
      ).toEqual({ callbackId: null });
      const events = await eventsOf(message.id);
      expect(events.map((event) => event.eventType)).toEqual([
        'message_received',
        'destination_processing_started',
        ...outcomeEvents,
        'result_callback_skipped',
      ]);
      expect(events.at(-1)).toMatchObject({ serviceName: 'billing', meta: { error: 'callbacks_disabled' } });
      expect(events.at(-1)!.createdAt?.toISOString()).toBe(later(5).toISOString());
    });

    it('writes none when the outcome is not recorded', async () => {
      const message = await newIncoming();
      const claimed = await ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0);
      const impostor = { ...claimed!.claim, workerId: 'processor-2' };
      expect(
        await ledger.inbox.markProcessed(impostor, { kind: 'succeeded' }, later(5), undefined, {
          notes: [note(message)],
        }),
      ).toBe(false);
      expect(await eventTypes(message.id)).toEqual(['message_received', 'destination_processing_started']);
    });
  });

  describe('a result callback recorded with a handler outcome', () => {
    const callbackFor = (original: { messageId: string }, status = 'succeeded') =>
      outgoingInput({
        messageId: `cb-${original.messageId}-${status}`,
        parentMessageId: original.messageId,
        source: 'billing',
        target: 'orders',
        command: 'talkto.result',
        idempotencyKey: `talkto:callback:${original.messageId}:${status}`,
        now: T0,
      });
    const callbackRow = (original: { messageId: string }, status = 'succeeded') =>
      db.dataSource.manager.findOneBy(TalktoMessageEntity, {
        messageId: `cb-${original.messageId}-${status}`,
      });

    it.each([
      { kind: 'succeeded' as const },
      { kind: 'failed_retryable' as const, error: 'busy', nextRetryAt: later(30_000) },
      { kind: 'failed_final' as const, error: 'bad', deadLetter: true },
    ])('creates the callback row in the same write as a %j outcome', async (outcome) => {
      const message = await newIncoming();
      const claimed = await ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0);
      const callback = callbackFor(message);
      const written = await ledger.inbox.markProcessed(claimed!.claim, outcome, later(5), undefined, {
        callback,
      });
      const row = await callbackRow(message);
      expect(written).toEqual({ callbackId: row!.id });
      expect(row).toMatchObject({
        direction: 'outgoing',
        command: 'talkto.result',
        overallStatus: 'waiting_to_send',
        transportStatus: 'pending',
        parentMessageId: message.messageId,
      });
      expect(await eventTypes(row!.id)).toEqual(['message_created']);
    });

    it('creates none when the outcome is not recorded', async () => {
      const message = await newIncoming();
      const claimed = await ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0);
      const impostor = { ...claimed!.claim, workerId: 'processor-2' };
      const followUp = { callback: callbackFor(message) };
      expect(
        await ledger.inbox.markProcessed(impostor, { kind: 'succeeded' }, later(5), undefined, followUp),
      ).toBe(false);
      expect(await callbackRow(message)).toBeNull();
    });

    it('keeps the row of an earlier report of the same status and still records the outcome', async () => {
      const message = await newIncoming();
      const earlier = await ledger.outbox.createOutgoing(callbackFor(message));
      const claimed = await ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0);
      const followUp = { callback: { ...callbackFor(message), payload: '{"later":true}' } };
      expect(
        await ledger.inbox.markProcessed(
          claimed!.claim,
          { kind: 'succeeded' },
          later(5),
          undefined,
          followUp,
        ),
      ).toEqual({ callbackId: null });
      expect((await reload(message.id)).overallStatus).toBe('succeeded');
      expect(await callbackRow(message)).toMatchObject({ id: earlier.id, payload: earlier.payload });
      expect(await eventTypes(earlier.id)).toEqual(['message_created']);
    });

    it('creates each row when many outcomes are recorded at once, one of them reported before', async () => {
      const messages = await Promise.all(Array.from({ length: 8 }, () => newIncoming()));
      const earlier = await ledger.outbox.createOutgoing(callbackFor(messages[3]!));
      const claims = await Promise.all(
        messages.map((message) => ledger.inbox.claimForProcessing(message.id, 'processor-1', LEASE_MS, T0)),
      );
      const recorded = await Promise.all(
        claims.map((claimed, i) =>
          ledger.inbox.markProcessed(claimed!.claim, { kind: 'succeeded' }, later(5), undefined, {
            callback: callbackFor(messages[i]!),
          }),
        ),
      );
      const rows = await Promise.all(messages.map((message) => callbackRow(message)));
      expect(recorded).toEqual(rows.map((row, i) => ({ callbackId: i === 3 ? null : row!.id })));
      expect(rows.map((row) => row?.parentMessageId)).toEqual(messages.map((message) => message.messageId));
      expect(rows[3]!.id).toBe(earlier.id);
    });
  });

  describe('the first claim after an insert', () => {
    afterEach(() => {
      jest.restoreAllMocks();
    });

    /** Runs `claim` and returns its result with the message-table reads the logger saw meanwhile. */
    const withMessageReads = async <T>(claim: () => Promise<T>): Promise<{ claimed: T; reads: string[] }> => {
      const logged = jest.spyOn(db.dataSource.logger, 'logQuery');
      const claimed = await claim();
      const reads = logged.mock.calls
        .map(([sql]) => sql)
        .filter((sql) => /^\s*SELECT\b/i.test(sql) && sql.includes('talkto_messages'));
      return { claimed, reads };
    };
    /** Something other than the ledger changes the row after its insert. */
    const changeAfterInsert = (id: number, changes: Partial<TalktoMessageEntity>) =>
      db.dataSource.manager.update(TalktoMessageEntity, { id }, { ...changes, updatedAt: later(1) });

    it('claims an outgoing message this ledger inserted without reading it back', async () => {
      const message = await newOutgoing();
      const { claimed, reads } = await withMessageReads(() =>
        ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, later(5)),
      );
      expect(reads).toEqual([]);
      expect(claimed!.message).toEqual(await reload(message.id));
      expect(claimed!.message).toMatchObject({ overallStatus: 'sending', attempts: 1, lockedBy: 'sender-1' });
    });

    it('claims an incoming message this ledger stored without reading it back', async () => {
      const message = await newIncoming();
      const { claimed, reads } = await withMessageReads(() =>
        ledger.inbox.claimForProcessing(message.id, 'worker-1', LEASE_MS, later(5)),
      );
      expect(reads).toEqual([]);
      expect(claimed!.message).toEqual(await reload(message.id));
      expect(claimed!.message).toMatchObject({ overallStatus: 'processing', processingStartedAt: later(5) });
    });

    it('claims the result callback row an outcome created without reading it back', async () => {
      const message = await newIncoming();
      const claimed = await ledger.inbox.claimForProcessing(message.id, 'worker-1', LEASE_MS, later(5));
      const callback = outgoingInput({
        messageId: nextMessageId('cb'),
        parentMessageId: message.messageId,
        source: 'billing',
        target: 'orders',
        command: 'talkto.result',
        now: later(6),
      });
      await ledger.inbox.markProcessed(claimed!.claim, { kind: 'succeeded' }, later(6), undefined, {
        callback,
      });
      const row = await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, {
        messageId: callback.messageId,
      });
      const { claimed: sending, reads } = await withMessageReads(() =>
        ledger.outbox.claimForSend(row.id, 'sender-1', LEASE_MS, later(7)),
      );
      expect(reads).toEqual([]);
      expect(sending!.message).toEqual(await reload(row.id));
      expect(sending!.message).toMatchObject({ overallStatus: 'sending', attempts: 1, lockedBy: 'sender-1' });
    });

    it('hands over the claimed row as an object V8 reads fast, read back or not', async () => {
      const inserted = await newOutgoing();
      const fromInsert = await ledger.outbox.claimForSend(inserted.id, 'sender-1', LEASE_MS, later(5));
      const changed = await newOutgoing();
      await changeAfterInsert(changed.id, { lastError: 'noted by an operator' });
      const readBack = await ledger.outbox.claimForSend(changed.id, 'sender-1', LEASE_MS, later(5));
      for (const claimed of [fromInsert, readBack]) {
        expect(claimed!.message).toBeInstanceOf(TalktoMessageEntity);
        expect(hasFastProperties(claimed!.message)).toBe(true);
      }
    });

    it('reads the row again when something changed it after the insert', async () => {
      const message = await newOutgoing();
      await changeAfterInsert(message.id, { lastError: 'noted by an operator' });
      const { claimed, reads } = await withMessageReads(() =>
        ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, later(5)),
      );
      expect(reads).toHaveLength(1);
      expect(claimed!.message.lastError).toBe('noted by an operator');
      expect(claimed!.message).toEqual(await reload(message.id));
    });

    it('does not claim a row whose status moved on since the insert', async () => {
      const message = await newOutgoing();
      await changeAfterInsert(message.id, { overallStatus: 'sent' });
      expect(await ledger.outbox.claimForSend(message.id, 'sender-1', LEASE_MS, later(5))).toBeNull();
      expect(await reload(message.id)).toMatchObject({ overallStatus: 'sent', attempts: 0 });
    });

    it('claims the row that now holds the id of an insert rolled back with its transaction', async () => {
      let rolledBack: TalktoMessageEntity | undefined;
      await expect(
        db.dataSource.transaction(async (manager) => {
          rolledBack = await ledger.outbox.createOutgoing(outgoingInput({ now: T0 }), manager);
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
      const claimed = await ledger.outbox.claimForSend(rolledBack!.id, 'sender-1', LEASE_MS, later(5));
      expect(claimed!.message.messageId).toBe(otherId);
      expect(claimed!.claim.messageId).toBe(otherId);
    });
  });

  it('finds dispatchable rows until they are claimed', async () => {
    const outgoing = await newOutgoing();
    const incoming = await newIncoming();
    const ids = async (now: Date) => (await ledger.recovery.findDispatchable(now, 1000)).map((row) => row.id);
    expect(await ids(T0)).toEqual(expect.arrayContaining([outgoing.id, incoming.id]));
    await ledger.outbox.claimForSend(outgoing.id, 'sender-1', LEASE_MS, T0);
    expect(await ids(T0)).not.toContain(outgoing.id);
  });

  it('finds stale claims by lease expiry and releases each exactly once', async () => {
    const outgoing = await newOutgoing();
    const incoming = await newIncoming();
    await ledger.outbox.claimForSend(outgoing.id, 'dead-sender', LEASE_MS, T0);
    await ledger.inbox.claimForProcessing(incoming.id, 'dead-processor', LEASE_MS, T0);
    const staleIds = async (now: Date) =>
      (await ledger.recovery.findStaleClaims(now, 1000)).map((row) => row.id);
    expect(await staleIds(later(LEASE_MS - 1))).not.toEqual(expect.arrayContaining([outgoing.id]));
    expect(await staleIds(later(LEASE_MS + 1))).toEqual(expect.arrayContaining([outgoing.id, incoming.id]));

    const releaseTime = later(LEASE_MS + 1);
    expect(await ledger.recovery.releaseStaleClaim(outgoing.id, 'someone-else', releaseTime)).toBe('changed');
    const releases = await Promise.all([
      ledger.recovery.releaseStaleClaim(outgoing.id, 'dead-sender', releaseTime),
      ledger.recovery.releaseStaleClaim(outgoing.id, 'dead-sender', releaseTime),
    ]);
    expect(releases.sort()).toEqual(['changed', 'released']);
    expect(await reload(outgoing.id)).toMatchObject({
      overallStatus: 'waiting_to_send',
      transportStatus: 'pending',
      lockedBy: null,
    });
    expect(await ledger.recovery.releaseStaleClaim(incoming.id, 'dead-processor', releaseTime)).toBe(
      'released',
    );
    expect(await reload(incoming.id)).toMatchObject({
      overallStatus: 'queued',
      destinationActionStatus: 'queued',
    });
    expect(await eventTypes(incoming.id)).toContain('stale_lock_recovered');
    expect(
      await ledger.inbox.claimForProcessing(incoming.id, 'processor-2', LEASE_MS, releaseTime),
    ).not.toBeNull();
  });

  it('fails a stale claim finally once its attempts are spent', async () => {
    const message = await ledger.outbox.createOutgoing(outgoingInput({ now: T0, maxAttempts: 1 }));
    await ledger.outbox.claimForSend(message.id, 'dead-sender', LEASE_MS, T0);
    expect(await ledger.recovery.releaseStaleClaim(message.id, 'dead-sender', later(LEASE_MS + 1))).toBe(
      'exhausted',
    );
    expect(await reload(message.id)).toMatchObject({
      overallStatus: 'failed_final',
      transportStatus: 'failed_final',
    });
    expect(await db.dataSource.manager.countBy(TalktoDeadLetterEntity, { talktoMessageId: message.id })).toBe(
      1,
    );
  });
});
