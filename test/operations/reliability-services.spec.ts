import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  DeadLetterService,
  PruneService,
  RetryService,
  StaleRecoveryService,
  TalktoSweeper,
} from '../../lib/index.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { type Ledgers, ledgersOf } from '../support/ledgers.js';
import { TalktoDispatcher } from '../../lib/queue/talkto.dispatcher.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type ReliabilityContext, startReliabilityContext, T0 } from '../retry/reliability-context.js';

let counter = 0;
const nextId = () => `ops-${process.pid}-${++counter}`;

describe.each(DATABASE_KINDS)('sweeper and operator services on %s', (kind) => {
  let context: ReliabilityContext;
  let ledger: Ledgers;
  let dispatched: jest.SpiedFunction<TalktoDispatcher['dispatch']>;

  beforeAll(async () => {
    context = await startReliabilityContext(kind, { sweeper: { enabled: false, graceMs: 1000 } });
    ledger = ledgersOf(context.module);
    // Calls through to the real in-process queue; only counts hand-overs.
    dispatched = jest.spyOn(context.module.get(TalktoDispatcher), 'dispatch');
  });

  afterAll(async () => {
    await context?.close();
  });

  const reload = (id: number) => context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id });
  const handOversOf = (id: number) =>
    dispatched.mock.calls.filter(([, messageId]) => messageId === id).length;
  const newOutgoing = () =>
    ledger.outbox.createOutgoing({
      messageId: nextId(),
      source: 'billing',
      target: 'ledger',
      command: 'entry.create',
      payload: '{"a":1}',
      payloadHash: 'd'.repeat(64),
      maxAttempts: 5,
      now: context.clock.now(),
    });
  /** A failed_retryable row due at `dueAt`, as the send pipeline leaves it. */
  async function failedRetryable(dueAt: Date): Promise<TalktoMessageEntity> {
    const message = await newOutgoing();
    await context.dataSource.manager.update(
      TalktoMessageEntity,
      { id: message.id },
      { overallStatus: 'failed_retryable', transportStatus: 'failed', retryCount: 1, nextRetryAt: dueAt },
    );
    return message;
  }

  /** A send claimed 20 minutes ago by a sender that died, its 5-minute lease long gone. */
  async function lockedByDeadSender(overallStatus: string): Promise<TalktoMessageEntity> {
    const message = await newOutgoing();
    const lockedAt = new Date(context.clock.now().getTime() - 20 * 60_000);
    await context.dataSource.manager.update(
      TalktoMessageEntity,
      { id: message.id },
      {
        overallStatus,
        transportStatus: 'sending',
        attempts: 1,
        lockedAt,
        lockedBy: 'sender:dead-host:1',
        lockedUntil: new Date(lockedAt.getTime() + 300_000),
      },
    );
    return message;
  }

  it('re-dispatches a message whose job was lost once, after the grace, however many sweeps run', async () => {
    context.clock.set(T0);
    const message = await newOutgoing();
    const sweeper = context.module.get(TalktoSweeper);
    await sweeper.sweep();
    expect(handOversOf(message.id)).toBe(0); // still within the grace: the regular dispatch may come
    context.clock.advance(5_000);
    const [first, second] = await Promise.all([sweeper.sweep(), sweeper.sweep()]);
    await sweeper.sweep();
    expect(first).toBe(second);
    expect(handOversOf(message.id)).toBe(1);
    // Claimed by the sweeper, then taken by a sender — or already sent, which clears the lock.
    const row = await reload(message.id);
    if (row.lockedBy === null) {
      expect(row.attempts).toBe(1);
    } else {
      expect(row.lockedBy).toMatch(/^(dispatch-claim:sweeper:|sender:)/);
    }
  });

  it('retryFailed dispatches only due rows, honours dryRun and rejects bad limits', async () => {
    context.clock.set(new Date(T0.getTime() + 3_600_000));
    const now = context.clock.now();
    const due = await failedRetryable(new Date(now.getTime() - 1000));
    const future = await failedRetryable(new Date(now.getTime() + 60_000));
    const service = context.module.get(RetryService);
    await expect(service.retryFailed({ limit: 0 })).rejects.toThrow(/limit/);

    const dry = await service.retryFailed({ dryRun: true, direction: 'outgoing' });
    expect(dry).toMatchObject({ dryRun: true, dispatched: 0 });
    expect((await reload(due.id)).overallStatus).toBe('failed_retryable');

    const real = await service.retryFailed({ direction: 'outgoing' });
    expect(real.dispatched).toBeGreaterThanOrEqual(1);
    expect(handOversOf(due.id)).toBe(1);
    expect(handOversOf(future.id)).toBe(0);
    expect((await reload(future.id)).overallStatus).toBe('failed_retryable');
  });

  it('reprocesses an open dead letter once and respects the reprocess limit without force', async () => {
    const message = await newOutgoing();
    await context.dataSource.manager.update(
      TalktoMessageEntity,
      { id: message.id },
      { overallStatus: 'failed_final', transportStatus: 'failed_final' },
    );
    await ledger.recovery.storeDeadLetter(await reload(message.id), { reason: 'boom' });
    const service = context.module.get(DeadLetterService);
    const dry = await service.reprocess({ messageIds: [message.messageId], dryRun: true });
    expect(dry).toMatchObject({ scanned: 1, eligible: 1, dispatched: 0, missingOriginal: 0 });

    const real = await service.reprocess({ messageIds: [message.messageId] });
    expect(real).toMatchObject({ scanned: 1, claimed: 1, dispatched: 1 });
    const deadLetter = await context.dataSource.manager.findOneByOrFail(TalktoDeadLetterEntity, {
      talktoMessageId: message.id,
    });
    expect(deadLetter).toMatchObject({ reprocessCount: 1 });
    expect(service.canReprocess({ status: 'failed_reprocess', reprocessCount: 3 })).toBe(false);
    expect(service.canReprocess({ status: 'failed_reprocess', reprocessCount: 3 }, true)).toBe(true);
    expect(service.canReprocess({ status: 'reprocessing', reprocessCount: 0 }, true)).toBe(false);
  });

  it('recovers a stale sending claim back to waiting_to_send and dispatches it', async () => {
    const message = await lockedByDeadSender('sending');
    const service = context.module.get(StaleRecoveryService);
    const dry = await service.recover({ dryRun: true });
    expect(dry.messages.map((row) => row.messageId)).toContain(message.messageId);
    expect((await reload(message.id)).overallStatus).toBe('sending');
    const summary = await service.recover({});
    expect(summary.staleProcessingRecovered).toBeGreaterThanOrEqual(1);
    expect(handOversOf(message.id)).toBe(1);
  });

  it('closes a send whose result was applied while its sender was gone, and never sends it again', async () => {
    // The result was applied while the send was in flight; the sender never came back.
    const message = await lockedByDeadSender('completed');
    const service = context.module.get(StaleRecoveryService);
    const dry = await service.recover({ dryRun: true, direction: 'outgoing' });
    expect(dry.messages).toContainEqual({
      messageId: message.messageId,
      direction: 'outgoing',
      status: 'completed',
    });
    expect((await reload(message.id)).transportStatus).toBe('sending');

    const summary = await service.recover({ direction: 'outgoing' });
    expect(summary.abandonedSendsClosed).toBe(1);
    expect(await reload(message.id)).toMatchObject({
      overallStatus: 'completed',
      transportStatus: 'failed',
      lockedBy: null,
    });
    expect(handOversOf(message.id)).toBe(0);
    expect((await service.recover({ direction: 'outgoing' })).abandonedSendsClosed).toBe(0);
  });

  it('prunes only terminal messages older than the cutoff, with dry run first', async () => {
    const old = await newOutgoing();
    const inFlight = await newOutgoing();
    const past = new Date(context.clock.now().getTime() - 100 * 86_400_000);
    await context.dataSource.manager.update(
      TalktoMessageEntity,
      { id: old.id },
      { overallStatus: 'completed', createdAt: past },
    );
    await context.dataSource.manager.update(TalktoMessageEntity, { id: inFlight.id }, { createdAt: past });
    const service = context.module.get(PruneService);
    await expect(service.prune({ olderThan: '0d' })).rejects.toThrow(/olderThan/);
    const dry = await service.prune({ type: 'messages', dryRun: true });
    expect(dry.results.messages?.count).toBe(1);
    const real = await service.prune({ type: 'messages' });
    expect(real.results.messages?.count).toBe(1);
    expect(await context.dataSource.manager.existsBy(TalktoMessageEntity, { id: old.id })).toBe(false);
    expect(await context.dataSource.manager.existsBy(TalktoMessageEntity, { id: inFlight.id })).toBe(true);
  });
});
